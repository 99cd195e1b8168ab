"""Clean tables of environment-acting projects, written here from indicator-rules §3.7 (生态效益:
"effects on the natural environment caused by the project: emissions, water or air quality,
vegetation or forest cover, soil, energy saving…"; value "physical quantities with units … and a
baseline") and §3.6 (社会效益: public services), not from any corpus. The labelled collections hold
few 生态效益 rows named in the category's own words, so what the model learns of them is thin: an
environment province's rows must not read as mismatches."""
from __future__ import annotations

import pytest

import nlp

OUTPUT, BENEFIT, SATISFACTION = "产出指标", "效益指标", "满意度指标"
CLEAN_TABLES = {
    "2025年国土绿化造林项目": [
        (OUTPUT, "数量指标", "完成人工造林面积", "≥5000亩"), (OUTPUT, "数量指标", "森林抚育面积", "≥3000亩"),
        (OUTPUT, "质量指标", "造林成活率", "≥85%"), (OUTPUT, "质量指标", "苗木合格率", "100%"),
        (OUTPUT, "时效指标", "造林任务完成时间", "2025年6月底前"), (OUTPUT, "成本指标", "每亩造林成本", "≤1200元/亩"),
        (BENEFIT, "生态效益指标", "森林覆盖率", "≥45.5%"), (BENEFIT, "生态效益指标", "新增森林蓄积量", "≥2万立方米"),
        (BENEFIT, "经济效益指标", "带动林农增收", "≥500万元"), (BENEFIT, "可持续影响指标", "林木管护期", "≥3年"),
        (SATISFACTION, "服务对象满意度指标", "林农满意度", "≥90%"),
    ],
    "高效节水灌溉项目": [
        (OUTPUT, "数量指标", "新增高效节水灌溉面积", "≥1.2万亩"), (OUTPUT, "数量指标", "铺设输水管道长度", "≥45公里"),
        (OUTPUT, "质量指标", "工程验收合格率", "100%"), (OUTPUT, "时效指标", "工程完工时间", "2025年10月底前"),
        (OUTPUT, "成本指标", "亩均工程投资", "≤1800元/亩"), (BENEFIT, "经济效益指标", "年节约灌溉用水成本", "≥60万元"),
        (BENEFIT, "生态效益指标", "农田灌溉水有效利用系数", "≥0.58"),
        (BENEFIT, "生态效益指标", "年节约灌溉用水量", "≥120万立方米"), (BENEFIT, "社会效益指标", "受益农户数", "≥2600户"),
        (SATISFACTION, "服务对象满意度指标", "受益农户满意度", "≥90%"),
    ],
    "公共机构节能改造项目": [
        (OUTPUT, "数量指标", "改造公共建筑面积", "≥12万平方米"), (OUTPUT, "数量指标", "更换LED节能灯具", "≥8000套"),
        (OUTPUT, "质量指标", "改造工程验收合格率", "100%"), (OUTPUT, "时效指标", "改造完成时间", "2025年9月30日前"),
        (OUTPUT, "成本指标", "单位面积改造成本", "≤150元/平方米"), (BENEFIT, "经济效益指标", "年节约电费", "≥80万元"),
        (BENEFIT, "生态效益指标", "年节电量", "≥50万千瓦时"), (BENEFIT, "生态效益指标", "年减少二氧化碳排放", "≥400吨"),
        (BENEFIT, "可持续影响指标", "节能设备使用年限", "≥8年"),
        (SATISFACTION, "服务对象满意度指标", "公共机构使用单位满意度", "≥90%"),
    ],
    "农村饮水安全巩固提升项目": [
        (OUTPUT, "数量指标", "新建集中供水工程", "≥8处"), (OUTPUT, "数量指标", "改造供水管网长度", "≥60公里"),
        (OUTPUT, "质量指标", "出厂水水质达标率", "≥95%"), (OUTPUT, "时效指标", "工程完工时间", "2025年11月30日前"),
        (OUTPUT, "成本指标", "人均供水工程投资", "≤900元/人"), (BENEFIT, "社会效益指标", "农村集中供水率", "≥90%"),
        (BENEFIT, "社会效益指标", "农村自来水普及率", "≥92%"), (BENEFIT, "社会效益指标", "受益农村人口", "≥3.5万人"),
        (BENEFIT, "生态效益指标", "饮用水水源地水质达标率", "100%"),
        (SATISFACTION, "服务对象满意度指标", "受益群众满意度", "≥90%"),
    ],
}
#: rows still flagged, kept visible: each must fail until it is fixed (then move it out of here)
KNOWN_WEAK = {("农村饮水安全巩固提升项目", "饮用水水源地水质达标率"): "a model-only C0: 达标 reads as a quality grade"}
CASES = [pytest.param(project, name, id=f"{project}-{name}", marks=[pytest.mark.xfail(strict=True, reason=KNOWN_WEAK[
    (project, name)])] if (project, name) in KNOWN_WEAK else []) for project, rows in CLEAN_TABLES.items()
         for _, _, name, _ in rows]


@pytest.fixture(scope="module")
def scored() -> dict[tuple[str, str], dict]:
    """Each table scored as one table, as a province's document would be."""
    scorer, out = nlp.load(), {}
    for project, rows in CLEAN_TABLES.items():
        records = [{"project_name": project, "department": "某县局", "level1": level1, "level2": level2,
                    "level3": name, "target_value": value} for level1, level2, name, value in rows]
        out.update({(project, record["level3"]): result for record, result in zip(records, scorer.score(records))})
    return out


@pytest.mark.parametrize(("project", "name"), CASES)
def test_no_row_of_a_clean_table_is_a_mismatch(scored, project: str, name: str) -> None:
    row = scored[(project, name)]
    assert not row["flag_mismatch"], row["codes"]


def test_the_forestry_eco_rows_raise_no_finding(scored) -> None:
    eco = [row for (project, _), row in scored.items() if project == "2025年国土绿化造林项目" and row["level2"] == "生态效益指标"]
    assert eco and all(not row["codes"] for row in eco), [(row["level3"], row["codes"]) for row in eco]
