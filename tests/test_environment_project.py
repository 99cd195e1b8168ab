"""A clean table of an environment-acting project, written here from indicator-rules §3.7 (生态效益:
"effects on the natural environment caused by the project: emissions, water or air quality,
vegetation or forest cover…"; value "physical quantities with units … and a baseline"), not from
any corpus. The labelled collections hold seven 生态效益 rows named in the category's own words, so
what the model learns of them is thin: a forestry province's eco rows must not read as mismatches."""
from __future__ import annotations

import pytest

import nlp

OUTPUT, BENEFIT, SATISFACTION = "产出指标", "效益指标", "满意度指标"
FORESTRY_TABLE = [
    (OUTPUT, "数量指标", "完成人工造林面积", "≥5000亩"), (OUTPUT, "数量指标", "森林抚育面积", "≥3000亩"),
    (OUTPUT, "质量指标", "造林成活率", "≥85%"), (OUTPUT, "质量指标", "苗木合格率", "100%"),
    (OUTPUT, "时效指标", "造林任务完成时间", "2025年6月底前"), (OUTPUT, "成本指标", "每亩造林成本", "≤1200元/亩"),
    (BENEFIT, "生态效益指标", "森林覆盖率", "≥45.5%"), (BENEFIT, "生态效益指标", "新增森林蓄积量", "≥2万立方米"),
    (BENEFIT, "经济效益指标", "带动林农增收", "≥500万元"), (BENEFIT, "可持续影响指标", "林木管护期", "≥3年"),
    (SATISFACTION, "服务对象满意度指标", "林农满意度", "≥90%"),
]


@pytest.fixture(scope="module")
def scored() -> list[dict]:
    rows = [{"project_name": "2025年国土绿化造林项目", "department": "某县林业局", "level1": level1, "level2": level2,
             "level3": name, "target_value": value} for level1, level2, name, value in FORESTRY_TABLE]
    return nlp.load().score(rows)


def test_no_row_of_a_clean_forestry_table_is_a_mismatch(scored) -> None:
    flagged = [(row["level2"], row["level3"], row["codes"]) for row in scored if row["flag_mismatch"]]
    assert not flagged


def test_its_eco_rows_raise_no_finding(scored) -> None:
    eco = [row for row in scored if row["level2"] == "生态效益指标"]
    assert eco and all(not row["codes"] for row in eco), [(row["level3"], row["codes"]) for row in eco]
