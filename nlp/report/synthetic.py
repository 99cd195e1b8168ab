"""Synthetic scored frames: the scorer's output shape without running the scorer.

The report writers are tested, benchmarked (100,000 rows) and screenshotted for the docs on these
frames, so they must look like real output: Chinese indicators, codes from the catalogue, findings
pointing at the right cells, advisory-only rows, several departments and projects.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from nlp.codes import catalogue
from nlp.records import ALL_COLUMNS
from nlp.schema import FAMILIES, FINDINGS_COLUMN, Finding

DEPARTMENTS: tuple[str, ...] = (
    "市文化广电旅游局", "市生态环境局", "市教育局", "市卫生健康委员会", "市交通运输局",
    "市农业农村局", "市住房和城乡建设局", "市财政局",
)
PROJECTS: tuple[str, ...] = (
    "广播剧制作专项", "基层文化站设备维修", "空气质量监测运维", "义务教育薄弱学校改造",
    "农村公路养护", "公共卫生服务补助", "免费开放博物馆运行", "老旧小区改造",
)

#: (level1, level2, level3, target_value, unit, codes) -- good rows have no codes.
PATTERNS: tuple[tuple[str, str, str, str, str, tuple[str, ...]], ...] = (
    ("产出指标", "数量指标", "完成广播剧制作", "12", "集", ()),
    ("产出指标", "质量指标", "设备维修验收合格率", "≥98%", "", ()),
    ("产出指标", "时效指标", "资金拨付及时率", "≥95%", "", ()),
    ("成本指标", "经济成本指标", "单集广播剧制作成本", "≤2", "万元/集", ()),
    ("效益指标", "社会效益指标", "作品全网播放量", "≥50", "万次", ()),
    ("满意度指标", "服务对象满意度指标", "听众满意度", "≥90%", "", ()),
    ("产出指标", "质量指标", "质量指标", "≥95%", "", ("B1",)),
    ("效益指标", "生态效益指标", "生态效益提升值", "≥95%", "", ("B3", "B4")),
    ("效益指标", "社会效益指标", "宣传覆盖面", "拓宽", "", ("M1",)),
    ("效益指标", "社会效益指标", "收听人次", "比上年提升", "", ("M2",)),
    ("产出指标", "时效指标", "工作任务完成及时率", "≤12月", "", ("C2", "B9")),
    ("产出指标", "质量指标", "合格率", "≥100百分比", "", ("M6",)),
    ("产出指标", "数量指标", "业务工作支出安排金额", "28.8", "万元", ("B6",)),
    ("效益指标", "社会效益指标", "免费开放接待观众人数", "30000", "人次", ("C4",)),
    ("产出指标", "数量指标", "广告宣传数量", "90", "", ("M5",)),
    ("效益指标", "社会效益指标", "提升开发区形象", "比上年提升", "", ("B5", "M2")),
    ("产出指标", "质量指标", "经费支出合规性", "严格执行相关制度规定", "", ("B7", "M4")),
)


def synthetic_scored_frame(rows: int, departments: int = 5, seed: int = 0) -> pd.DataFrame:
    """A scored frame of ``rows`` rows over ``departments`` departments (deterministic per seed)."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(PATTERNS), rows)
    dept = rng.integers(0, min(departments, len(DEPARTMENTS)), rows)
    project = rng.integers(0, len(PROJECTS), rows)
    frame = pd.DataFrame({column: [""] * rows for column in ALL_COLUMNS})
    frame["row_id"] = [str(i + 1) for i in range(rows)]
    frame["doc_id"] = [f"doc{d}" for d in dept]
    frame["department"] = [DEPARTMENTS[d] for d in dept]
    frame["project_name"] = [f"{PROJECTS[p]}（{DEPARTMENTS[d][1:3]}）" for d, p in zip(dept, project)]
    frame["project_goal"] = "按计划完成项目建设任务，提升公共服务水平。"
    for offset, column in enumerate(("level1", "level2", "level3", "target_value", "unit")):
        frame[column] = [PATTERNS[i][offset] for i in pick]
    frame["budget_wan"] = np.round(rng.uniform(10, 5000, rows), 1)
    frame["table_id"] = [f"t{d}-{p}" for d, p in zip(dept, project)]
    frame["source_file"] = [f"{DEPARTMENTS[d]}2024年预算绩效目标表.xlsx" for d in dept]
    frame["source_line"] = [str(i + 2) for i in range(rows)]
    return _add_scores(frame, pick, rng)


def _add_scores(frame: pd.DataFrame, pick: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    findings = [_findings(PATTERNS[i], name) for i, name in zip(pick, frame["project_name"])]
    for family in FAMILIES:
        flags = [int(any(f["family"] == family for f in row)) for row in findings]
        frame[f"flag_{family}"] = flags
        noise = rng.uniform(0, 0.3, len(frame))
        frame[f"score_{family}"] = np.round(np.where(flags, 0.6 + noise, noise), 3)
    frame["risk"] = frame[[f"score_{family}" for family in FAMILIES]].max(axis=1)
    frame["codes"] = [";".join(f["code"] for f in row if f["family"] in FAMILIES) for row in findings]
    frame["suggested_level2"] = ""
    frame["explanation"] = ["".join(f["message"] for f in row) for row in findings]
    frame[FINDINGS_COLUMN] = findings
    return frame


def _findings(pattern: tuple[str, ...], project: str) -> list[dict[str, str]]:
    _level1, level2, name, value, unit, codes = pattern
    slots = defaultdict(str, name=name, value=value + unit, level2=level2, project=project,
                        evidence=name[:4], suggested="社会效益指标")
    return [_finding(code, slots) for code in codes]


def _finding(code: str, slots: defaultdict[str, str]) -> dict[str, str]:
    entry = catalogue()[code]
    return Finding(
        code=code,
        family=entry["family"],
        severity=entry["severity"],
        title=entry["title"],
        message=entry["message"].format_map(slots),
        evidence=slots["evidence"],
        suggestion=entry["suggestion"].format_map(slots),
        field=entry["field"],
    ).to_dict()
