"""Project context stated in rows: above the header, and between tables stacked in one sheet.

Before, an .xlsx or CSV table's 项目名称 / 预算金额 rows above its header were dropped (the same
table saved as .ods kept them), and in a sheet of stacked tables every title and label row was
scored as an indicator while all the tables were read as one project.
"""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from nlp.readers import read_file
from nlp.readers.context_rows import CONTEXT, SIGNOFF, StatedContext, non_indicator_rows, row_kind

HEADER = ["一级指标", "二级指标", "三级指标", "指标值"]
ROAD = [
    ["1、农村公路养护项目绩效目标表"],
    ["项目名称", "农村公路养护项目"],
    ["主管部门", "县交通运输局"],
    ["预算金额（万元）", "120"],
    HEADER,
    ["产出指标", "数量指标", "养护公路里程", "≥120公里"],
    ["", "质量指标", "养护合格率", "≥95%"],
]
CULTURE = [
    ["2、文化下乡项目绩效目标表"],
    ["项目名称", "文化下乡项目"],
    ["预算金额（万元）", "30"],
    HEADER,
    ["", "", "演出场次", "≥20场"],  # merged 一级/二级 cells: nothing may come down from the road table
    ["满意度指标", "服务对象满意度指标", "群众满意度", "≥90%"],
]
TRAINING = [
    ["单位：万元"],
    ["3、培训项目绩效目标表"],
    ["填报单位（盖章）：县人社局"],
    ["项目名称", "培训项目", "预算金额", "8"],
    ["产出指标", "数量指标", "培训人次", "≥300人次"],  # no header repeated
]


def write(path: Path, rows: list[list[str]]) -> Path:
    if path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        book.save(path)
    elif path.suffix == ".ods":
        pd.DataFrame([row + [""] * (4 - len(row)) for row in rows]).to_excel(path, header=False, index=False, engine="odf")
    else:
        path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    return path


def read(path: Path, chunk_size: int | None = None):
    found = read_file(path, chunk_size)
    return found, pd.concat(list(found.frames), ignore_index=True)


COLUMNS = ["project_name", "department", "budget_wan", "level1", "level2", "level3"]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".ods"])
def test_the_rows_above_the_header_state_the_project_in_every_format(tmp_path: Path, suffix: str) -> None:
    _, frame = read(write(tmp_path / f"road{suffix}", ROAD))
    assert frame[COLUMNS].values.tolist() == [
        ["农村公路养护项目", "县交通运输局", "120", "产出指标", "数量指标", "养护公路里程"],
        ["农村公路养护项目", "县交通运输局", "120", "产出指标", "质量指标", "养护合格率"],
    ]


@pytest.mark.parametrize(("label_row", "budget"), [
    (["预算金额（元）", "1250000"], "125"),  # was 1250000: the label's unit was dropped with its brackets
    (["预算金额（万元）", "125万"], "125"),  # was no budget: a value stating its unit was passed over
    (["预算金额（元）", "125万", "其中：财政拨款", "800000"], "125"),  # was 800000, the next number along
    (["预算金额：1250000元"], "125"),  # was no budget
])
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_budget_label_or_value_stating_its_unit_is_read_in_it(tmp_path: Path, suffix: str, label_row: list[str],
                                                                budget: str) -> None:
    _, frame = read(write(tmp_path / f"unit{suffix}", [["项目名称", "农村公路养护项目"], label_row, *ROAD[-3:]]))
    assert frame["budget_wan"].tolist() == [budget, budget]


@pytest.mark.parametrize("chunk_size", [None, 1, 2, 3, 5])
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_stacked_tables_are_read_as_their_own_projects(tmp_path: Path, suffix: str, chunk_size: int | None) -> None:
    found, frame = read(write(tmp_path / f"stacked{suffix}", [*ROAD, [], *CULTURE, *TRAINING]), chunk_size)
    assert frame[COLUMNS].values.tolist() == [
        ["农村公路养护项目", "县交通运输局", "120", "产出指标", "数量指标", "养护公路里程"],
        ["农村公路养护项目", "县交通运输局", "120", "产出指标", "质量指标", "养护合格率"],
        ["文化下乡项目", "县交通运输局", "30", "", "", "演出场次"],
        ["文化下乡项目", "县交通运输局", "30", "满意度指标", "服务对象满意度指标", "群众满意度"],
        ["培训项目", "县人社局", "8", "产出指标", "数量指标", "培训人次"],
    ]
    assert frame["table_id"].nunique() == 3
    assert [(table.title, table.rows) for table in found.tables] == [("农村公路养护项目", 2), ("文化下乡项目", 2),
                                                                     ("培训项目", 1)]
    said = [warning.message for warning in found.warnings]
    assert sum("new table's title" in message for message in said) == 1  # said once, at the first
    assert found.warnings[0].location.endswith("9")


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_forms_signoff_lines_are_not_indicators(tmp_path: Path, suffix: str) -> None:
    """They were scored: B2 (a filled name with no value), and C8 when a second cell sat under 二级."""
    rows = [*ROAD, ["填报人：张三", "", "联系电话：12345678"], ["单位负责人：李四", "财务负责人：王五", "填报日期：2024年3月1日"]]
    found, frame = read(write(tmp_path / f"signed{suffix}", rows))
    assert frame["level3"].tolist() == ["养护公路里程", "养护合格率"]
    assert [(w.location[-1], "sign-off" in w.message) for w in found.warnings] == [("8", True)]


def test_a_stacked_table_that_names_no_project_is_still_its_own_table(tmp_path: Path) -> None:
    rows = [*ROAD, ["部门整体支出绩效目标表"], HEADER, ["产出指标", "数量指标", "养护公路里程", "≥120公里"]]
    _, frame = read(write(tmp_path / "plain.xlsx", rows))
    assert frame["project_name"].tolist() == ["农村公路养护项目", "农村公路养护项目", ""]
    assert frame["table_id"].nunique() == 2


def test_a_header_column_for_the_project_wins_over_the_rows_above(tmp_path: Path) -> None:
    rows = [["项目名称", "上面写的项目"], ["项目名称", *HEADER], ["本行项目", "产出指标", "数量指标", "里程", "10公里"]]
    _, frame = read(write(tmp_path / "own.xlsx", rows))
    assert frame["project_name"].tolist() == ["本行项目"]


def test_indicators_named_like_labels_are_rows(tmp_path: Path) -> None:
    """Only the table's first column opens a context row: a cost named 预算金额 is an indicator."""
    rows = [HEADER, ["成本指标", "经济成本指标", "预算金额", "≤30万元"], ["", "", "项目名称", "按计划"],
            ["产出指标", "数量指标", "XX项目绩效目标表", "1个"]]
    found, frame = read(write(tmp_path / "names.csv", rows))
    assert frame["level3"].tolist() == ["预算金额", "项目名称", "XX项目绩效目标表"]
    assert found.warnings == []


@pytest.mark.parametrize("cells", [
    ["项目名称", "X"], [" 项 目 名 称 ", "X"], ["项目名称（必填）", "X"], ["预算金额（万元）", "", "30"],
    ["部门(单位)名称", "X"], ["填报单位(盖章)：县人社局"], ["项目名称：X"], ["单位：万元"], ["金额单位：元"],
    ["2、XX项目绩效目标表"], ["XX项目绩效目标表", "", ""], ["年度绩效目标", "目标1：完成养护"],
])
def test_context_rows(cells: list[str]) -> None:
    assert row_kind(cells, 0) == CONTEXT
    assert non_indicator_rows([cells + [""] * (4 - len(cells))], 0) == [(0, CONTEXT)]


@pytest.mark.parametrize("cells", [
    ["填报人：张三", "", "联系电话：12345678"], ["单位负责人", "李四", "财务负责人", "王五"], ["填 报 人：", ""],
    ["联系电话(手机)：139"], ["填报日期：2024年3月1日"],
])
def test_signoff_rows(cells: list[str]) -> None:
    assert row_kind(cells, 0) == SIGNOFF
    assert non_indicator_rows([cells + [""] * (4 - len(cells))], 0) == [(0, SIGNOFF)]


@pytest.mark.parametrize("cells", [
    ["产出指标", "数量指标", "项目名称", "1"], ["XX项目绩效目标表", "数量指标", "里程", "1"], ["绩效目标完成率", "", "", ""],
    ["单位：个", "", "", ""], ["", "项目名称", "X", ""], ["", "", "", ""], ["产出指标", "数量指标", "联系电话", "1部"],
    ["", "填报人：张三", "", ""], ["负责人培训率", "", "", ""],
])
def test_indicator_rows(cells: list[str]) -> None:
    assert row_kind(cells, 0) is None
    assert non_indicator_rows([cells], 0) == []


def test_a_block_of_context_rows_replaces_the_context_and_keeps_the_department() -> None:
    context = StatedContext([["项目名称", "甲"], ["主管部门", "局"], ["预算数", "5"]])
    assert context.add(["项目名称", "乙"], "9") is False  # right below: the same block
    context.rows_read()
    assert context.add(["2、丙项目绩效目标表"], "12") is True
    assert context.fields == {"department": "局", "project_name": "丙项目"}
    assert context.add(["预算数", "7"], "13") is False
    assert context.fields == {"department": "局", "project_name": "丙项目", "budget_wan": "7"}
