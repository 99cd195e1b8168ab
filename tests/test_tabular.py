"""The tabular readers: headers, encodings, merged cells, Excel cells, chunking, dispatch."""
from __future__ import annotations

import datetime
import sys
import types
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from nlp.readers import (
    FileRead, expand_inputs, frame_to_rows, read_file, rows_to_frame,
)
from nlp.limits import ANALYSED_CELL_CHARS
from nlp.readers.tabular import cell_text, match_header, normalise_header
from nlp.records import ALL_COLUMNS, IndicatorRow
from ods_tables import ods_table
from workbook_spellings import positions_left_out, prefixed, rewritten, strict

ZH_HEADER = "项目名称,主管部门,一级指标,二级指标,三级指标,指标值（必填）,计量单位,备注"
ZH_ROWS = [
    "道路养护,交通局,产出指标,数量指标,养护里程,120,公里,",
    ",,,,路面完好率,≥95%,,抽查",
    ",,,质量指标,验收合格率,100%,,",
    ",,效益指标,,通行时间缩短,00123,分钟,",
    "校舍维修,教育局,产出指标,,维修面积,3000,平方米,",
]


def read_all(path: Path, chunk_size: int | None = None) -> tuple[FileRead, pd.DataFrame]:
    read = read_file(path, chunk_size)
    frames = list(read.frames)
    return read, pd.concat(frames, ignore_index=True)


def write_text(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


# --- headers --------------------------------------------------------------------------------


def test_header_normalisation_ignores_width_case_space_and_notes() -> None:
    assert normalise_header("指标值（必填）") == normalise_header(" 指标值 ") == "指标值"
    assert normalise_header("项目(政策)名称") == "项目名称"
    assert normalise_header("Level3") == "level3"


def test_header_prefers_earlier_synonym_and_keeps_the_other_as_extra() -> None:
    header = match_header(["单位名称", "主管部门", "三级指标", "", "备注", "备注", ""])
    assert header is not None
    assert header.names == ("单位名称", "department", "level3", "column4", "备注", "备注.1")
    assert header.extras == ("单位名称", "column4", "备注", "备注.1")


def test_header_without_indicator_column_is_not_a_header() -> None:
    assert match_header(["项目名称", "主管部门", "金额"]) is None


# --- encodings and Chinese headers ----------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8", "utf-16", "utf-32"])
def test_chinese_header_csv_in_any_encoding(tmp_path: Path, encoding: str) -> None:
    path = write_text(tmp_path / "zh.csv", [ZH_HEADER, *ZH_ROWS], encoding)
    _, frame = read_all(path)
    assert list(frame.columns) == [*ALL_COLUMNS, "备注"]
    assert frame["level3"].tolist() == ["养护里程", "路面完好率", "验收合格率", "通行时间缩短", "维修面积"]
    assert frame.loc[3, "target_value"] == "00123"
    assert frame.loc[1, "target_value"] == "≥95%"
    assert frame.loc[1, "备注"] == "抽查"
    assert frame.loc[0, "source_line"] == "2" and frame.loc[0, "row_id"] == "zh:2"
    assert frame.loc[0, "source_file"] == "zh.csv"


@pytest.mark.parametrize("rows", [
    ["Crème visits niño,13,façade Ltd"],  # was read as GB18030: Cr鑝e visits ni駉
    ["coût Tests niño,99,déjà Ltd", "façade rate naïve,62,coût Ltd"],  # was refused as garbled
    [f"Café visits {n},{n},Société Générale “Zürich” – €" for n in range(40)],  # was refused as garbled
])
def test_an_english_headed_csv_in_windows_1252_is_read_as_written(tmp_path: Path, rows: list[str]) -> None:
    """Only GB18030 and Big5 were tried for text that is not UTF-8: a Western European file was read
    as Chinese garbage (a short one) or refused. Text whose non-ASCII bytes all stand alone cannot
    be GBK or Big5 Chinese (two bytes a character, both non-ASCII for all but rare ones)."""
    path = write_text(tmp_path / "latin.csv", ["level3,target_value,department", *rows], "cp1252")
    _, frame = read_all(path)
    assert (frame["level3"] + "," + frame["target_value"] + "," + frame["department"]).tolist() == rows


def test_big5_characters_standing_alone_are_still_big5(tmp_path: Path) -> None:
    """年 (A6 7E) and 否 (A7 5F) have one byte above ASCII each, as é has, but read as signs in
    Windows-1252 (¦~, §_): the file is not taken for Western European text."""
    path = write_text(tmp_path / "yes_no.csv", ["level3,target_value", "on budget,年", "over budget,否"], "big5")
    assert read_all(path)[1]["target_value"].tolist() == ["年", "否"]


def test_merged_cells_carry_down_within_a_table_only(tmp_path: Path) -> None:
    read, frame = read_all(write_text(tmp_path / "zh.csv", [ZH_HEADER, *ZH_ROWS]))
    assert frame["project_name"].tolist() == ["道路养护"] * 4 + ["校舍维修"]
    assert frame["level1"].tolist() == ["产出指标", "产出指标", "产出指标", "效益指标", "产出指标"]
    # a new 一级 ends the 二级 above it; a new project starts from nothing
    assert frame["level2"].tolist() == ["数量指标", "数量指标", "质量指标", "", ""]
    assert frame["table_id"].tolist() == ["zh:道路养护"] * 4 + ["zh:校舍维修"]
    assert [(table.title, table.rows) for table in read.tables] == [("道路养护", 4), ("校舍维修", 1)]


def test_a_new_department_does_not_take_the_project_above(tmp_path: Path) -> None:
    """Without doc_id or table_id, a blank 项目名称 under a new 部门 is no merged cell of the project
    above: the row keeps no project and starts a table of its own."""
    rows = ["道路养护,交通局,产出指标,数量指标,养护里程,120,公里,", ",,,,路面完好率,≥95%,,",
            ",教育局,产出指标,数量指标,维修面积,3000,平方米,", ",,,,维修学校数,5,所,"]
    _, frame = read_all(write_text(tmp_path / "zh.csv", [ZH_HEADER, *rows]))
    assert frame["project_name"].tolist() == ["道路养护", "道路养护", "", ""]
    assert frame["department"].tolist() == ["交通局", "交通局", "教育局", "教育局"]
    assert frame["table_id"].iloc[0] == frame["table_id"].iloc[1] != frame["table_id"].iloc[2] == frame["table_id"].iloc[3]


def test_title_rows_above_header_and_blank_rows_are_skipped(tmp_path: Path) -> None:
    path = write_text(tmp_path / "t.csv", ["2023年项目支出绩效目标表", "单位：万元", ZH_HEADER, ZH_ROWS[0], ",,,,,,,", ZH_ROWS[1]])
    _, frame = read_all(path)
    assert frame["level3"].tolist() == ["养护里程", "路面完好率"]
    assert frame["source_line"].tolist() == ["4", "6"]


# --- header rows inside a table ---------------------------------------------------------------

#: The same table's columns in another order, as a second table stacked below the first may have them.
REORDERED_HEADER = "项目名称,主管部门,一级指标,二级指标,指标值,三级指标,计量单位,备注"
REORDERED_ROW = "宣传活动,宣传部,产出指标,数量指标,≥10场,宣传场次,场,"


@pytest.mark.parametrize("chunk_size", [None, 1, 2, 5])
def test_a_repeated_header_row_is_not_read_as_an_indicator(tmp_path: Path, chunk_size: int | None) -> None:
    """Two exports pasted one under another: the second header is not a row (it was scored, C8+B1)."""
    path = write_text(tmp_path / "cat.csv", [ZH_HEADER, *ZH_ROWS[:3], ZH_HEADER.replace("（必填）", ""), *ZH_ROWS[3:]])
    read, frame = read_all(path, chunk_size)
    _, alone = read_all(write_text(tmp_path / "one.csv", [ZH_HEADER, *ZH_ROWS]))
    assert frame["level3"].tolist() == alone["level3"].tolist()
    assert frame["source_line"].tolist() == ["2", "3", "4", "6", "7"]
    assert [(w.location, "appears again" in w.message) for w in read.warnings] == [("5", True)]


@pytest.mark.parametrize("chunk_size", [None, 1])
def test_two_csv_exports_joined_each_with_its_bom_are_two_tables(tmp_path: Path, chunk_size: int | None) -> None:
    """``cat a.csv b.csv`` of two "CSV UTF-8" exports: the second header's first cell was
    "\ufeff项目名称", read as a column of its own, so the second table's rows got the first one's
    project (carried down) and its own name sat in an extra column."""
    path = tmp_path / "joined.csv"
    path.write_bytes(b"".join(("\ufeff" + "\n".join([ZH_HEADER, row]) + "\n").encode() for row in (ZH_ROWS[0], ZH_ROWS[4])))
    read, frame = read_all(path, chunk_size)
    assert list(frame.columns) == [*ALL_COLUMNS, "备注"]
    assert frame[["project_name", "level3", "source_line"]].values.tolist() == [["道路养护", "养护里程", "2"],
                                                                              ["校舍维修", "维修面积", "4"]]
    assert frame["table_id"].nunique() == 2 and [w.location for w in read.warnings] == ["3"]


def test_a_header_marked_as_required_names_its_field(tmp_path: Path) -> None:
    """A form marks the columns it requires (``*指标值``, ``计量单位＊``): such a header named a column
    of its own, its targets were read as none (and flagged B2), and a header of marked cells only
    refused the whole file; a repeat of it is not a row either."""
    marked = "*项目名称,*主管部门,*一级指标,*二级指标,* 三级指标,＊指标值（必填）,计量单位★,备注"
    read, frame = read_all(write_text(tmp_path / "marked.csv", [marked, *ZH_ROWS[:3], marked, *ZH_ROWS[3:]]))
    _, alone = read_all(write_text(tmp_path / "one.csv", [ZH_HEADER, *ZH_ROWS]))
    assert frame[list(ALL_COLUMNS[1:13])].values.tolist() == alone[list(ALL_COLUMNS[1:13])].values.tolist()
    assert list(frame.columns) == list(alone.columns)
    assert [(w.location, "appears again" in w.message) for w in read.warnings] == [("5", True)]


@pytest.mark.parametrize(("other", "kept", "said"), [("备注", "备注", 1), ("source_line", "source_line.1", 2)])
def test_a_header_naming_a_column_of_its_own_where_a_field_was_is_no_repeat(tmp_path: Path, other: str, kept: str,
                                                                            said: int) -> None:
    """A header stacked below whose third column is the table's own (备注, or a lone source_line kept
    as the table's) where the first header's is 项目名称: it was taken for a repeat, and its notes
    were read as the rows' project."""
    path = write_text(tmp_path / "s.csv", ["level3,target_value,project_name", "a,1,甲", f"level3,target_value,{other}",
                                           "c,3,见附件"])
    read, frame = read_all(path)
    assert "见附件" not in frame["project_name"].tolist() and frame[kept].tolist() == ["", "见附件"]
    messages = [warning.message for warning in read.warnings if warning.location == "3"]
    assert len(messages) == said and "other columns" in messages[0] and (said == 1 or f"“{kept}”" in messages[-1])


@pytest.mark.parametrize("chunk_size", [None, 1, 3])
def test_rows_below_a_header_with_other_columns_are_read_by_it(tmp_path: Path, chunk_size: int | None) -> None:
    """Never a shifted column: the name and the value stay the name and the value."""
    path = write_text(tmp_path / "stack.csv", [ZH_HEADER, ZH_ROWS[0], REORDERED_HEADER, REORDERED_ROW, ZH_HEADER, ZH_ROWS[4]])
    read, frame = read_all(path, chunk_size)
    assert frame[["level3", "target_value"]].values.tolist() == [["养护里程", "120"], ["宣传场次", "≥10场"],
                                                                 ["维修面积", "3000"]]
    assert [w.location for w in read.warnings] == ["3", "5"]


def test_a_reordered_header_in_a_sheet_is_followed(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    for line in ["XX项目绩效目标表", ZH_HEADER, ZH_ROWS[0], "", "YY项目绩效目标表", REORDERED_HEADER, REORDERED_ROW]:
        workbook.active.append(line.split(",") if line else [])
    workbook.save(tmp_path / "stacked.xlsx")
    read, frame = read_all(tmp_path / "stacked.xlsx")
    assert frame[["level3", "target_value", "unit"]].values.tolist() == [["养护里程", "120", "公里"], ["宣传场次", "≥10场", "场"]]
    assert [w.location for w in read.warnings] == ["Sheet!5", "Sheet!6"]  # the second table's title; its header


def test_rows_under_a_rubric_header_are_not_read_until_the_next_indicator_header(tmp_path: Path) -> None:
    rubric = "项目名称,主管部门,一级指标,二级指标,三级指标,指标值,得分,评分标准"
    path = write_text(tmp_path / "self.csv", [ZH_HEADER, ZH_ROWS[0], rubric, "道路养护,交通局,产出指标,数量指标,养护里程,120,10,完成得满分",
                                              ZH_HEADER, ZH_ROWS[4]])
    read, frame = read_all(path)
    assert frame["level3"].tolist() == ["养护里程", "维修面积"]
    assert [w.location for w in read.warnings] == ["3", "5"]


@pytest.mark.parametrize("chunk_size", [None, 1, 2])
def test_a_two_row_header_is_one_header_also_when_it_repeats(tmp_path: Path, chunk_size: int | None) -> None:
    """绩效指标 above 一级/二级/三级: the lower row's fields over the upper's. Before, the lower row was
    scored as an indicator and 一级 values were read as 三级 names; the value column kept."""
    upper, lower = ["项目名称", "主管部门", "绩效指标", "", "", "指标值"], ["", "", "一级指标", "二级指标", "三级指标", ""]
    workbook = openpyxl.Workbook()
    for cells in [upper, lower, ["道路养护", "交通局", "产出指标", "数量指标", "养护里程", "120公里"],
                  upper, lower, ["", "", "", "质量指标", "验收合格率", "100%"]]:  # the header again: a second page
        workbook.active.append(cells)
    workbook.save(tmp_path / "two.xlsx")
    read, frame = read_all(tmp_path / "two.xlsx", chunk_size)
    assert frame[["project_name", "level1", "level2", "level3", "target_value"]].values.tolist() == [
        ["道路养护", "产出指标", "数量指标", "养护里程", "120公里"], ["道路养护", "产出指标", "质量指标", "验收合格率", "100%"]]
    assert [(w.location, "appears again" in w.message) for w in read.warnings] == [("Sheet!4", True)]


def test_a_wider_table_stacked_below_neither_hides_the_first_nor_shifts_its_own(tmp_path: Path) -> None:
    """The second header names more columns: it used to be taken as the file's header, and the
    first table's rows above it were dropped without a word."""
    wider = "项目名称,主管部门,一级指标,二级指标,指标值,三级指标,计量单位,备注,指标解释"
    path = write_text(tmp_path / "wide.csv", [ZH_HEADER, *ZH_ROWS[:2], wider, REORDERED_ROW + ",按场次统计", REORDERED_ROW])
    read, frame = read_all(path)
    assert frame[["level3", "target_value"]].values.tolist() == [["养护里程", "120"], ["路面完好率", "≥95%"],
                                                                 ["宣传场次", "≥10场"]]
    assert [w.location for w in read.warnings] == ["4"]
    assert [(e.location, "beyond the header" in e.message) for e in read.errors] == [("5", True)]


def test_a_row_named_like_a_header_word_is_still_a_row(tmp_path: Path) -> None:
    """项目金额 is a budget header and a cost indicator's name: one header word is not a header."""
    path = write_text(tmp_path / "cost.csv", [ZH_HEADER, "道路养护,交通局,产出指标,成本指标,项目金额,≤120,万元,"])
    read, frame = read_all(path)
    assert frame["level3"].tolist() == ["项目金额"] and read.warnings == []


def test_budget_in_yuan_is_converted_to_wan(tmp_path: Path) -> None:
    path = write_text(tmp_path / "b.tsv", ["三级指标\t项目金额（元）", "里程\t1234500", "面积\t未定"])
    _, frame = read_all(path)
    assert frame["budget_wan"].tolist() == ["123.45", "未定"]


def test_a_budget_cell_stating_its_unit_is_read_in_that_unit(tmp_path: Path) -> None:
    """Before, ``12.5万`` was kept as text and scored as no budget, without a word."""
    path = write_text(tmp_path / "b.csv", ["三级指标,预算金额(元)", "a,12.5万", "b,\"125,000\"", "c,1.2亿元", "d,300万元",
                                           "e,50000元", "f,3 万"])
    read, frame = read_all(path)
    assert frame["budget_wan"].tolist() == ["12.5", "12.5", "12000", "300", "5", "3"]
    assert read.warnings == []
    in_wan = write_text(tmp_path / "w.csv", ["三级指标,预算金额", "a,12.5万", "b,12.5", "c,80000元"])
    assert read_all(in_wan)[1]["budget_wan"].tolist() == ["12.5", "12.5", "8"]


def test_a_budget_cell_that_is_no_amount_is_kept_and_named_once(tmp_path: Path) -> None:
    """Before, ``约12万`` was kept as text and scored as no budget, without a word."""
    path = write_text(tmp_path / "b.csv", ["项目名称,三级指标,预算金额", "甲,a,约12万", ",b,", "乙,c,待定", "丙,d,约12万"])
    read, frame = read_all(path)
    assert frame["budget_wan"].tolist() == ["约12万", "约12万", "待定", "约12万"]
    assert [str(warning) for warning in read.warnings] == [
        f"{path}:{line}: budget cell “{text}” is not an amount: kept as written, its rows are scored without a budget"
        for line, text in ((2, "约12万"), (4, "待定"))]


def test_giant_cell_is_kept_and_reported(tmp_path: Path) -> None:
    giant = "很" * (ANALYSED_CELL_CHARS + 1)
    read, frame = read_all(write_text(tmp_path / "g.tsv", ["level3\tdescription", f"x\t{giant}"]))
    assert frame.loc[0, "description"] == giant
    assert [str(warning) for warning in read.warnings] == [
        f"{tmp_path / 'g.tsv'}:2: cell description has {ANALYSED_CELL_CHARS + 1} characters (over {ANALYSED_CELL_CHARS}); kept"
    ]


def test_a_giant_cell_is_named_at_this_file_s_line(tmp_path: Path) -> None:
    """A parsed output read again keeps its rows' source_line (their own file's): the warning
    named this file at that line, another row of it."""
    giant = "很" * (ANALYSED_CELL_CHARS + 1)
    path = write_text(tmp_path / "parsed.tsv", ["level3\tdescription\tsource_file\tsource_line", "a\t\tt.csv\t7",
                                                f"b\t{giant}\tt.csv\t9"])
    read, frame = read_all(path)
    assert frame["source_line"].tolist() == ["7", "9"]
    assert [warning.location for warning in read.warnings] == ["3"]


def test_a_row_with_text_beyond_the_header_is_an_error_and_the_others_are_read(tmp_path: Path) -> None:
    path = write_text(tmp_path / "m.csv", ["level3,target_value", "a,1,", "b,2,3", "c,3"])
    read, frame = read_all(path)
    assert frame[["level3", "target_value", "source_line"]].values.tolist() == [["a", "1", "2"], ["c", "3", "4"]]
    assert [(error.location, "row not read" in error.message) for error in read.errors] == [("3", True)]


def test_cr_only_line_endings_are_lines(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b"level3,target_value\ra,1\rb,2\r")
    _, frame = read_all(path)
    assert frame[["level3", "source_line"]].values.tolist() == [["a", "2"], ["b", "3"]]


# --- chunking -------------------------------------------------------------------------------


def test_chunked_reading_gives_the_same_rows(tmp_path: Path, public_tables: pd.DataFrame) -> None:
    lines = [ZH_HEADER, *ZH_ROWS * 5]
    path = write_text(tmp_path / "zh.csv", lines)
    _, whole = read_all(path)
    read = read_file(path, chunk_size=3)
    chunks = list(read.frames)
    assert len(chunks) == 9 and max(len(chunk) for chunk in chunks) == 3
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
    # and on the real corpus
    public = tmp_path / "public.tsv"
    public_tables.to_csv(public, sep="\t", index=False)
    pd.testing.assert_frame_equal(read_all(public, chunk_size=17)[1], read_all(public)[1])


# --- Excel ----------------------------------------------------------------------------------


def test_xlsx_header_on_row_3_and_sheet_without_indicators_skipped(
    tmp_path: Path, public_tables: pd.DataFrame, make_samples: types.ModuleType
) -> None:
    rows = public_tables.iloc[:18].reset_index(drop=True)
    path = tmp_path / "zh.xlsx"
    make_samples.write_zh_workbook(rows, path)
    read, frame = read_all(path)
    assert [(skip.location, skip.reason) for skip in read.skipped] == [("填报说明", "no indicator header in the first 20 rows")]
    for column in make_samples.ZH_HEADERS:
        source = "来源网址" if column == "source_url" else column
        assert frame[source].tolist() == rows[column].tolist(), column
    assert frame.loc[0, "source_line"] == "绩效目标!4"
    assert [table.rows for table in read.tables] == [8, 10]
    pd.testing.assert_frame_equal(read_all(path, chunk_size=5)[1], frame)


def test_excel_cells_read_as_a_person_sees_them(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["三级指标", "指标值"])
    sheet.append(["整数", 95])
    sheet.append(["浮点整数", 95.0])
    sheet.append(["小数", 0.1 + 0.2])
    sheet.append(["文本数字", "00123"])
    sheet.append(["百分比", 0.95])
    sheet["B6"].number_format = "0%"
    sheet.append(["日期", datetime.datetime(2023, 6, 30)])
    path = tmp_path / "cells.xlsx"
    workbook.save(path)
    _, frame = read_all(path)
    assert frame["target_value"].tolist() == ["95", "95", "0.3", "00123", "95%", "2023-06-30"]


def _shown_cells_openpyxl(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "绩效目标"
    sheet["C2"] = "项目名称：测试项目"
    for column, name in enumerate(["三级指标", "指标值", "指标值确定依据"], 3):
        sheet.cell(row=4, column=column, value=name)
    rows = [("合格率", 0.95, "0%"), ("优良率", 0.955, "0.0%"), ("覆盖率", 1, "0.00%;[Red]-0.00%"),
            ("文本", "≥95%", "0%"), ("完成时间", datetime.time(9, 30), None), ("已完成", True, None),
            ("知晓率", "#N/A", None)]
    for number, (name, value, shown_as) in enumerate(rows, 5):
        sheet.cell(row=number, column=3, value=name)
        cell = sheet.cell(row=number, column=4, value=value)
        if shown_as:
            cell.number_format = shown_as
    sheet["D11"].data_type = "e"  # an error cell, as a formula that failed leaves it
    sheet["E5"] = 0.5  # a number in General format beside them stays a number
    workbook.save(path)
    return path


def _shown_cells_xlsxwriter(path: Path) -> Path:
    """The same cells written by another program (shared strings, relative part names)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("绩效目标")
    sheet.write("C2", "项目名称：测试项目")
    sheet.write_row("C4", ["三级指标", "指标值", "指标值确定依据"])
    formats = {shown: book.add_format({"num_format": shown}) for shown in ("0%", "0.0%", "0.00%;[Red]-0.00%")}
    for number, (name, value, shown_as) in enumerate(
            [("合格率", 0.95, "0%"), ("优良率", 0.955, "0.0%"), ("覆盖率", 1, "0.00%;[Red]-0.00%")], 5):
        sheet.write(f"C{number}", name)
        sheet.write_number(f"D{number}", value, formats[shown_as])
    sheet.write_string("C8", "文本")
    sheet.write_string("D8", "≥95%", formats["0%"])
    sheet.write_number("E5", 0.5)
    book.close()
    return path


@pytest.mark.parametrize("write", [_shown_cells_openpyxl, _shown_cells_xlsxwriter], ids=["openpyxl", "xlsxwriter"])
def test_xlsx_cells_read_as_the_sheet_shows_them(tmp_path: Path, write) -> None:
    """calamine gives values; what the sheet shows besides them (a percent format in any style,
    an error's text) comes from the sheet's XML, and a table that starts at C4 keeps Excel's row
    numbers and its context rows above."""
    read, frame = read_all(write(tmp_path / "shown.xlsx"))
    expected = ["95%", "95.5%", "100.00%", "≥95%", "09:30:00", "TRUE", "#N/A"]
    assert frame["target_value"].tolist() == expected[:len(frame)]
    assert len(frame) == (7 if write is _shown_cells_openpyxl else 4)
    assert frame.loc[0, ["basis", "source_line", "project_name"]].tolist() == ["0.5", "绩效目标!5", "测试项目"]


def _shown_cells_xls(path: Path) -> Path:
    """The cells an .xls shows otherwise than calamine gives them, written by xlwt."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("绩效目标")
    sheet.write(1, 2, "项目名称：测试项目")
    for column, name in enumerate(["三级指标", "指标值", "指标值确定依据"], 2):
        sheet.write(3, column, name)
    rows = [("合格率", 0.95, "0%"), ("优良率", 0.955, "0.0%"), ("覆盖率", 1, "0.00%;[Red]-0.00%"),
            ("文本", "≥95%", "0%"), ("人次", 0.5, None), ("知晓率", None, None)]
    for number, (name, value, shown_as) in enumerate(rows, 4):
        sheet.write(number, 2, name)
        if value is not None:
            sheet.write(number, 3, value, xlwt.easyxf(num_format_str=shown_as) if shown_as else xlwt.Style.default_style)
    sheet.row(9).set_cell_error(3, 42)  # #N/A (xlwt spells it "#N/A!")
    sheet.write(4, 4, 0.5)  # a number in General format beside them stays a number
    book.save(str(path))
    return path


def _shown_cells_ods(path: Path) -> Path:
    """The same as an .ods: a percentage is the fraction as its value and the shown text."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = ods_table("绩效目标", [[], ["", "", "项目名称：测试项目"], [], ["", "", "三级指标", "指标值", "指标值确定依据"]])
    for name, value, shown in [("合格率", "0.95", "95%"), ("优良率", "0.955", "95.5%"), ("覆盖率", "1", "100.00%"),
                               ("文本", None, "≥95%"), ("人次", "0.5", "0.5")]:
        row = TableRow()
        row.addElement(TableCell(numbercolumnsrepeated=2))
        for cell in (TableCell(valuetype="string"), TableCell(valuetype="string") if value is None else
                     TableCell(valuetype="percentage" if "%" in shown else "float", value=value)):
            cell.addElement(P(text=name if not len(row.childNodes) - 1 else shown))
            row.addElement(cell)
        table.addElement(row)
    document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


@pytest.mark.parametrize("write", [_shown_cells_xls, _shown_cells_ods], ids=["xls", "ods"])
def test_xls_and_ods_cells_read_as_the_sheet_shows_them(tmp_path: Path, write) -> None:
    """A 0.95 an .xls or .ods shows as 95% was read as 0.95 (calamine gives values only): a target
    of 95 % became a bare number below one. Now both read what the sheet shows."""
    read, frame = read_all(write(tmp_path / f"shown.{write.__name__.rsplit('_', 1)[1]}"))
    expected = ["95%", "95.5%", "100.00%", "≥95%", "0.5", "#N/A"]
    assert frame["target_value"].tolist() == expected[:len(frame)]
    assert len(frame) == (6 if write is _shown_cells_xls else 5)
    assert frame.loc[0, ["source_line", "project_name"]].tolist() == ["绩效目标!5", "测试项目"]
    assert not read.warnings


@pytest.mark.parametrize("named", [".xls", ".ods"])
def test_an_xlsx_named_as_another_workbook_format_is_read_by_its_content(tmp_path: Path, named: str) -> None:
    """It went to the .xlsx reader by its content, then calamine opened it by its name: "not a
    readable Excel workbook (… not an office document?)"."""
    book = openpyxl.Workbook()
    book.active.append(["三级指标", "指标值"])
    book.active.append(["培训人次", "≥300人次"])
    book.save(tmp_path / f"table{named}")
    read, frame = read_all(tmp_path / f"table{named}")
    assert frame[["level3", "target_value"]].values.tolist() == [["培训人次", "≥300人次"]] and not read.errors


def test_an_ods_cells_tabs_and_line_breaks_are_read(tmp_path: Path) -> None:
    """calamine reads an .ods cell without its ``text:tab`` and ``text:line-break``: ``见<tab/>附表``
    was read ``见附表`` and two lines were run together, also in a cell repeated down two rows
    and across two columns."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import TableCell, TableRow
    from odf.text import LineBreak, P, Tab

    table = ods_table("表", [["三级指标", "指标值", "指标解释"], ["人数", "10人", "不变"]])
    row = TableRow(numberrowsrepeated=2)
    for repeated, (before, mark, after) in ((1, ("见", Tab(), "附表")), (2, ("第一行", LineBreak(), "第二行"))):
        cell, paragraph = TableCell(valuetype="string", numbercolumnsrepeated=repeated), P(text=before)
        paragraph.addElement(mark)
        paragraph.addText(after)
        cell.addElement(paragraph)
        row.addElement(cell)
    table.addElement(row)
    document = OpenDocumentSpreadsheet()
    document.spreadsheet.addElement(table)
    document.save(str(tmp_path / "marks.ods"))
    _, frame = read_all(tmp_path / "marks.ods")
    assert frame[["level3", "target_value", "description"]].values.tolist() == [
        ["人数", "10人", "不变"], *[["见\t附表", "第一行\n第二行", "第一行\n第二行"]] * 2]


def test_an_ods_error_cell_reads_as_its_error_text(tmp_path: Path) -> None:
    """LibreOffice saves a failed formula's cell as an empty string value with ``#N/A`` shown and
    its own value type "error"; calamine gives the empty value, so the cell read as empty (an
    .xlsx's or .xls's reads ``#N/A``) and the indicator was scored as having no target."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import TableCell, TableRow
    from odf.text import P

    table = ods_table("表", [["三级指标", "指标值"], ["人数", "10人"]])
    row = TableRow()
    for cell, text in ((TableCell(valuetype="string"), "知晓率"), (TableCell(valuetype="string", stringvalue=""), "#N/A")):
        cell.addElement(P(text=text))
        row.addElement(cell)
    table.addElement(row)
    document = OpenDocumentSpreadsheet()
    document.spreadsheet.addElement(table)
    document.save(str(tmp_path / "saved.ods"))
    calcext = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
    with zipfile.ZipFile(tmp_path / "saved.ods") as source, zipfile.ZipFile(tmp_path / "error.ods", "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "content.xml":
                data = data.replace(b"<office:document-content ", f'<office:document-content xmlns:calcext="{calcext}" '.encode(), 1)
                data = data.replace(b'office:string-value=""', b'office:string-value="" calcext:value-type="error"')
            target.writestr(entry, data)
    read, frame = read_all(tmp_path / "error.ods")
    assert frame[["level3", "target_value"]].values.tolist() == [["人数", "10人"], ["知晓率", "#N/A"]]
    assert not read.errors


def test_an_xls_whose_formats_cannot_be_read_is_still_read_and_says_so(tmp_path: Path, monkeypatch) -> None:
    """xlrd is stricter than calamine about damaged records: its failure costs the formats, not the rows."""
    import nlp.readers.spreadsheet as spreadsheet

    def refuse(path: Path) -> None:
        raise ValueError("bad BIFF record")

    monkeypatch.setattr(spreadsheet, "xls_extras", refuse)
    read, frame = read_all(_shown_cells_xls(tmp_path / "shown.xls"))
    assert frame["target_value"].tolist()[:2] == ["0.95", "0.955"]
    assert len(read.warnings) == 1
    assert "bad BIFF record" in read.warnings[0].message and "95%" in read.warnings[0].message


def _dense_sheet(path: Path) -> Path:
    """A percent cell, a hidden row, an error cell, a merge; each row filled from column A."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "表"
    for row in (["一级指标", "三级指标", "指标值"], ["产出指标", "合格率", 0.95], ["产出指标", "旧", "1"],
                ["效益指标", "优良率", 0.955], ["效益指标", "知晓率", "#N/A"]):
        sheet.append(row)
    sheet["C2"].number_format, sheet["C4"].number_format, sheet["C5"].data_type = "0%", "0.0%", "e"
    sheet.row_dimensions[3].hidden = True
    sheet.column_dimensions["E"].hidden = True  # an empty column: only the readers' layouts see it
    sheet.merge_cells("A4:A5")
    workbook.save(path)
    return path


@pytest.mark.parametrize("rewrite", [strict, prefixed, positions_left_out])
def test_xlsx_written_otherwise_is_read_as_shown(tmp_path: Path, rewrite) -> None:
    """calamine reads these spellings of the same workbook; what the sheet shows besides its values
    (percent formats, error texts, merges, hidden rows) was searched for in one spelling only, so
    each of these read 95% as 0.95, lost the merged 一级 and said nothing of the hidden row."""
    path = rewritten(_dense_sheet(tmp_path / "plain.xlsx"), tmp_path / "written.xlsx", rewrite)
    read, frame = read_all(path)
    assert frame[["level1", "level3", "target_value"]].values.tolist() == [
        ["产出指标", "合格率", "95%"], ["产出指标", "旧", "1"], ["效益指标", "优良率", "95.5%"], ["效益指标", "知晓率", "#N/A"]]
    assert [(warning.location, "表!3" in warning.message) for warning in read.warnings] == [("表", True)]



@pytest.mark.parametrize("write", [_shown_cells_openpyxl, _shown_cells_xlsxwriter, _dense_sheet])
def test_counting_positions_finds_what_the_search_finds(tmp_path: Path, write) -> None:
    """The element-by-element reading (for sheets that leave positions out) is the definition the
    fast search must agree with, on sheets that give every position."""
    from nlp.readers.xlsx_parts import counted_extras, shown_styles, sheet_extras, sheet_parts

    with zipfile.ZipFile(write(tmp_path / "book.xlsx")) as archive:
        styles, (part,) = shown_styles(archive), sheet_parts(archive).values()
        searched = sheet_extras(archive, part, styles)
        assert searched.formats and searched == counted_extras(archive, part, styles)
        assert searched.layout.hidden_columns == ({4} if write is _dense_sheet else set())


_FORMATTED = [("合格率", 95, '0"%"'), ("培训人次", 500, '"≥"0"人次"'), ("人均成本", 80, '0"万元"'),
              ("知晓率", 90, "0\\%"), ("采购金额", 1234.5, "#,##0")]


def _formatted_xlsx(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    workbook.active.append(["三级指标", "指标值"])
    for number, (name, value, shown_as) in enumerate(_FORMATTED, 2):
        workbook.active.append([name, value])
        workbook.active.cell(row=number, column=2).number_format = shown_as
    workbook.save(path)
    return path


def _formatted_xls(path: Path) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet")
    sheet.write(0, 0, "三级指标")
    sheet.write(0, 1, "指标值")
    for number, (name, value, shown_as) in enumerate(_FORMATTED, 1):
        sheet.write(number, 0, name)
        sheet.write(number, 1, value, xlwt.easyxf(num_format_str=shown_as))
    book.save(str(path))
    return path


@pytest.mark.parametrize("write", [_formatted_xlsx, _formatted_xls], ids=["xlsx", "xls"])
def test_text_a_number_format_adds_is_read(tmp_path: Path, write) -> None:
    """A quoted percent sign does not multiply (95 in 0"%" read as 9500%: an "impossible number"
    on a correct row); a comparator or a unit in the format is part of the target."""
    read, frame = read_all(write(tmp_path / f"formatted.{write.__name__.rsplit('_', 1)[1]}"))
    assert frame["target_value"].tolist() == ["95%", "≥500人次", "80万元", "90%", "1234.5"]

def test_xlsx_chart_sheets_are_not_tables(tmp_path: Path) -> None:
    from openpyxl.chart import BarChart, Reference

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (["三级指标", "指标值"], ["培训人次", 300]):
        sheet.append(row)
    workbook.create_sheet("说明")
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=2))
    workbook.create_chartsheet("图表").add_chart(chart)
    workbook.save(tmp_path / "chart.xlsx")
    read, frame = read_all(tmp_path / "chart.xlsx")
    assert frame["level3"].tolist() == ["培训人次"]
    assert [skipped.location for skipped in read.skipped] == ["说明"]


def test_cell_text_rules() -> None:
    assert cell_text(None) == ""
    assert cell_text(True) == "TRUE"
    assert cell_text(0.955, "0.0%") == "95.5%"
    assert cell_text(1234567.5) == "1234567.5"
    assert cell_text(datetime.datetime(2023, 6, 30, 8, 30)) == "2023-06-30 08:30:00"
    assert cell_text(datetime.timedelta(hours=2, minutes=30)) == "2:30:00"  # a [h]:mm duration
    assert cell_text(datetime.timedelta(days=2)) == "48:00:00"
    assert cell_text(-datetime.timedelta(seconds=61)) == "-0:01:01"


# --- dispatch and the document branch -------------------------------------------------------


def test_tsv_like_txt_is_read_as_a_table(tmp_path: Path) -> None:
    _, frame = read_all(write_text(tmp_path / "t.txt", ["三级指标\t指标值", "里程\t120"]))
    assert frame["level3"].tolist() == ["里程"]


def test_document_txt_goes_to_the_document_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_text(tmp_path / "doc.txt", ["怀来县融媒体中心2023年绩效目标", "一、总体绩效目标"])
    rows = [IndicatorRow(level3="新闻发稿量", target_value="≥500篇", budget_wan=12.5, extra={"page": "3"})]
    fake = types.ModuleType("nlp.readers.documents")
    fake.looks_like_document = lambda candidate: candidate == path
    fake.read_document = lambda candidate: types.SimpleNamespace(rows=rows, tables=["t"], skipped=["s"])
    monkeypatch.setitem(sys.modules, "nlp.readers.documents", fake)
    read, frame = read_all(path)
    assert (read.tables, read.skipped) == (["t"], ["s"])
    assert frame.loc[0, ["level3", "budget_wan", "source_file", "page"]].tolist() == ["新闻发稿量", "12.5", "doc.txt", "3"]


def test_real_document_reader_integration() -> None:
    documents = pytest.importorskip("nlp.readers.documents")
    seed = Path("/work/shared/seeds/000_8bd0021a2eb4a235.txt")
    if not seed.exists():
        pytest.skip("seed documents not available")
    assert documents.looks_like_document(seed)
    read, frame = read_all(seed)
    assert len(frame) > 0 and list(frame.columns[: len(ALL_COLUMNS)]) == list(ALL_COLUMNS)


def test_rows_and_frames_convert_both_ways() -> None:
    rows = [IndicatorRow(row_id="1", level3="里程", budget_wan=120.0, extra={"备注": "x"}),
            IndicatorRow(row_id="2", level3="面积")]
    frame = rows_to_frame(rows)
    assert list(frame.columns) == [*ALL_COLUMNS, "备注"]
    assert frame["budget_wan"].tolist() == ["120", ""]
    back = frame_to_rows(frame)
    assert back[0] == rows[0]
    assert back[1].extra == {"备注": ""} and back[1].budget_wan is None


# --- expanding inputs -----------------------------------------------------------------------


def test_expand_inputs_files_folders_globs_and_missing(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("a.csv", "sub/b.xlsx", "sub/c.txt", "sub/~$b.xlsx", "sub/notes.md", ".hidden.csv"):
        (tmp_path / name).write_text("x")
    files, errors, passed_over = expand_inputs([str(tmp_path), str(tmp_path / "*.csv"), str(tmp_path / "nope.csv"),
                                                str(tmp_path / "z*.tsv")])
    assert files == [tmp_path / "a.csv", tmp_path / "sub" / "b.xlsx", tmp_path / "sub" / "c.txt"]
    assert [(error.file, error.message) for error in errors] == [
        (str(tmp_path / "nope.csv"), "no such file or folder"),
        (str(tmp_path / "z*.tsv"), "no files match this pattern"),
    ]
    assert [(part.file, part.reason) for part in passed_over] == [
        (str(tmp_path), "1 file(s) of types iqc does not search folders for: sub/notes.md "
                        "(a file named as input is read by its content)")]


def test_a_folders_files_of_other_types_are_named_once_not_passed_over_in_silence(tmp_path: Path) -> None:
    """A folder of WPS spreadsheets (.et), OFD documents or archives was read as fewer files, or as
    "no indicator files", without a word of what it held."""
    from nlp.readers import PASSED_OVER_NAMED

    (tmp_path / "in" / "sub").mkdir(parents=True)
    names = ["a.et", "b.ofd", "sub/c.zip", *(f"sub/scan{i}.png" for i in range(PASSED_OVER_NAMED))]
    for name in [*names, "t.csv", ".hidden.et", "~$t.xlsx"]:
        (tmp_path / "in" / name).write_text("x")
    files, _, passed_over = expand_inputs([str(tmp_path / "in"), str(tmp_path / "in" / "a.et"),
                                           str(tmp_path / "in" / "sub")])
    assert files == [tmp_path / "in" / "t.csv", tmp_path / "in" / "a.et"]  # named: read by its content
    [note] = passed_over  # sub's files were named under in/, and are not named again
    assert note.file == str(tmp_path / "in") and note.reason.startswith(f"{len(names) - 1} file(s) of types")
    assert ", ".join(names[1:PASSED_OVER_NAMED + 1]) + " and 2 more" in note.reason
    assert ".hidden" not in note.reason and "~$" not in note.reason
    _, errors, passed_over = expand_inputs([str(tmp_path / "in" / "sub")])
    assert errors[0].message.endswith(f"in this folder (only {PASSED_OVER_NAMED + 1} file(s) of other types)")
    assert passed_over[0].reason.startswith(f"{PASSED_OVER_NAMED + 1} file(s) of types")


def test_a_link_to_a_file_that_is_gone_is_reported_not_skipped(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A folder of links into a share that is not mounted must not score fewer files in silence."""
    from nlp.cli import EXIT_INPUT_FAILED, main

    folder = tmp_path / "in"
    folder.mkdir()
    write_text(folder / "good.csv", [ZH_HEADER, *ZH_ROWS])
    (folder / "gone.xlsx").symlink_to(tmp_path / "unmounted" / "gone.xlsx")
    files, errors, _ = expand_inputs([str(folder), str(folder / "*.xlsx"), str(folder / "gone.xlsx")])
    assert files == [folder / "gone.xlsx", folder / "good.csv"] and errors == []

    assert main(["score", str(folder), "-o", str(tmp_path / "out.csv"), "--quiet"]) == EXIT_INPUT_FAILED
    said = capsys.readouterr().err
    assert f"{folder / 'gone.xlsx'}: a link to {tmp_path / 'unmounted' / 'gone.xlsx'}, which does not exist" in said
    assert len(pd.read_csv(tmp_path / "out.csv", dtype=str)) == len(ZH_ROWS)


def test_a_linked_folder_in_a_folder_is_searched_once(tmp_path: Path) -> None:
    """A county's folder linked in from a share was passed over without a word (``rglob`` does not
    follow links to folders), though ``in/**/*.csv`` read it; a link back up the tree is not a loop."""
    share, folder = tmp_path / "share" / "甲县", tmp_path / "in"
    share.mkdir(parents=True)
    folder.mkdir()
    write_text(share / "a.csv", [ZH_HEADER, *ZH_ROWS])
    write_text(folder / "b.csv", [ZH_HEADER, *ZH_ROWS])
    (folder / "甲县").symlink_to(share, target_is_directory=True)
    (share / "up").symlink_to(folder, target_is_directory=True)
    files, errors, passed_over = expand_inputs([str(folder)])
    assert files == [folder / "b.csv", folder / "甲县" / "a.csv"] and not errors and not passed_over
    assert {path.resolve() for path in expand_inputs([f"{folder}/**/*.csv"]).files} == {path.resolve() for path in files}


def test_a_folder_that_cannot_be_listed_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A subfolder without read permission (or on a share that went away) was passed over in
    silence, its tables unread; the folder named cannot be listed is named, not "no indicator files"."""
    import os

    folder = tmp_path / "in"
    (folder / "乙县").mkdir(parents=True)
    write_text(folder / "a.csv", [ZH_HEADER, *ZH_ROWS])
    write_text(folder / "乙县" / "b.csv", [ZH_HEADER, *ZH_ROWS])
    listed = os.scandir

    def denied(path: "os.PathLike[str] | str" = ".") -> "os.ScandirIterator[str]":
        if Path(path).name == "乙县":
            raise PermissionError(13, "Permission denied", str(path))
        return listed(path)

    monkeypatch.setattr(os, "scandir", denied)
    files, errors, _ = expand_inputs([str(folder)])
    assert files == [folder / "a.csv"]
    assert [(error.file, error.message) for error in errors] == [
        (str(folder / "乙县"), "this folder cannot be listed (Permission denied): the files in it were not read")]
    assert [error.file for error in expand_inputs([str(folder / "乙县")]).missing] == [str(folder / "乙县")]


@pytest.mark.parametrize("chunk_size", [None, 1, 2, 5])
def test_rows_before_a_break_come_out_at_every_chunk_size(tmp_path: Path, chunk_size: int | None) -> None:
    from nlp.readers.tabular import FileRead, Framer, TableLog, chunked_frames

    path = tmp_path / "t.csv"
    header = match_header(["level3", "target_value"])

    def rows_then_break():
        yield from ((["name" + str(i), str(i)], str(i + 2)) for i in range(3))
        raise OSError("stream ended")

    read = FileRead(path, iter(()))
    frames = chunked_frames(Framer(path, header, "t", TableLog(path, read.tables), read.warnings), rows_then_break(), chunk_size)
    got = []
    with pytest.raises(OSError, match="stream ended"):
        for frame in frames:
            got += frame["level3"].tolist()
    assert got == ["name0", "name1", "name2"]


def _hidden_ods(path: Path) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableProperties

    document = OpenDocumentSpreadsheet()
    hidden = Style(name="hiddenTable", family="table")
    hidden.addElement(TableProperties(display=False))
    document.automaticstyles.addElement(hidden)
    document.spreadsheet.addElement(ods_table("表", [["三级指标", "指标值"], ["a", "1"]]))
    document.spreadsheet.addElement(ods_table("旧表", [["三级指标", "指标值"], ["b", "2"]], stylename=hidden))
    document.save(str(path))
    return path


def _hidden_xlsx(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    workbook.active.title = "表"
    for sheet, row in [(workbook.active, ["a", "1"]), (workbook.create_sheet("旧表"), ["b", "2"])]:
        sheet.append(["三级指标", "指标值"])
        sheet.append(row)
    workbook["旧表"].sheet_state = "hidden"
    workbook.save(path)
    return path


@pytest.mark.parametrize("make", [_hidden_xlsx, _hidden_ods], ids=["xlsx", "ods"])
def test_a_hidden_sheet_is_read_and_said(tmp_path: Path, make) -> None:
    """Its rows are scored though Excel does not show them: the reviewer is told where they come from."""
    path = make(tmp_path / f"book.{make.__name__.rsplit('_', 1)[1]}")
    read, frame = read_all(path)
    assert frame["level3"].tolist() == ["a", "b"]
    assert [(warning.location, "hidden" in warning.message) for warning in read.warnings] == [("旧表", True)]


def test_hidden_rows_with_indicators_are_read_and_said_once_per_sheet(tmp_path: Path) -> None:
    """A department hides the rows it replaced; they are scored (nothing is dropped), and the
    reviewer is told which, as for a hidden sheet. A hidden blank row says nothing."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "表"
    for row in (["三级指标", "指标值"], ["a", "1"], ["a（旧）", "2"], ["b", "3"], [], ["c", "4"]):
        sheet.append(row)
    for number in (3, 5):
        sheet.row_dimensions[number].hidden = True
    workbook.save(tmp_path / "rows.xlsx")
    for chunk_size in (None, 1):
        read, frame = read_all(tmp_path / "rows.xlsx", chunk_size)
        assert frame["level3"].tolist() == ["a", "a（旧）", "b", "c"]
        assert [(warning.location, warning.message.split(" (")[1].split(")")[0]) for warning in read.warnings] == \
               [("表", "表!3")]


def test_hidden_columns_with_text_are_read_and_said_once_per_sheet(tmp_path: Path) -> None:
    """A hidden column's cells were read and scored without a word (hidden rows and sheets are
    said); a hidden blank column says nothing, and a hidden column headed as a field read from a
    shown one is named by that warning only."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "表"
    for row in (["三级指标", "指标值", "指标值", "指标解释", "备注"], ["a", "1", "≥1人", "旧口径", ""], ["b", "2", "≥2人", "", ""]):
        sheet.append(row)
    for column in "BDE":
        sheet.column_dimensions[column].hidden = True
    workbook.save(tmp_path / "columns.xlsx")
    for chunk_size in (None, 1):
        read, frame = read_all(tmp_path / "columns.xlsx", chunk_size)
        assert frame[["level3", "target_value", "description"]].values.tolist() == [["a", "≥1人", "旧口径"], ["b", "≥2人", ""]]
        said = [warning.message for warning in read.warnings if "hidden column(s)" in warning.message]
        assert said == ["1 hidden column(s) (D “description”) are read and scored, though the spreadsheet does not show them"]
        assert [warning.location for warning in read.warnings if "hidden column(s)" in warning.message] == ["表"]


def test_a_sheet_s_header_below_the_rows_searched_is_an_error_not_a_skip(tmp_path: Path) -> None:
    """A sheet with a long note above its table was "skipped: no indicator header in the first 20
    rows", exit 0, beside another sheet's rows, though it has one; a sheet of notes is still skipped."""
    workbook = openpyxl.Workbook()
    workbook.active.title = "表一"
    for row in (["三级指标", "指标值"], ["a", "1"]):
        workbook.active.append(row)
    for title, below in (("表二", ["项目名称", "一级指标", "三级指标", "指标值"]), ("说明", ["三级指标", "评分标准", "得分"])):
        sheet = workbook.create_sheet(title)
        for number in range(22):
            sheet.append([f"填报说明第{number + 1}条"])
        sheet.append(below)
        sheet.append(["乙项目", "产出指标", "人数", "10"])
    workbook.save(tmp_path / "deep.xlsx")
    read, frame = read_all(tmp_path / "deep.xlsx")
    assert frame["level3"].tolist() == ["a"]
    assert [(error.location, "below the first 20 rows" in error.message) for error in read.errors] == [("表二!23", True)]
    assert [part.location for part in read.skipped] == ["说明"]


def test_hidden_rows_of_an_xls_sheet_are_read_and_said(tmp_path: Path) -> None:
    """calamine does not say which rows an .xls hides; they were read with no warning."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("表")
    for number, row in enumerate([["三级指标", "指标值"], ["a", "1"], ["a（旧）", "2"], ["b", "3"], [], ["c", "4"]]):
        for column, text in enumerate(row):
            sheet.write(number, column, text)
    for number in (2, 4):
        sheet.row(number).hidden = True
    book.save(str(tmp_path / "rows.xls"))
    read, frame = read_all(tmp_path / "rows.xls")
    assert frame["level3"].tolist() == ["a", "a（旧）", "b", "c"]
    assert [(warning.location, warning.message.split(" (")[1].split(")")[0]) for warning in read.warnings] == \
           [("表", "表!3")]


def test_hidden_rows_of_an_ods_sheet_are_read_and_said(tmp_path: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet

    document = OpenDocumentSpreadsheet()
    rows = [["三级指标", "指标值"], ["a", "1"], ["a（旧）", "2"], ["b", "3"]]
    document.spreadsheet.addElement(ods_table("表", rows, hidden=frozenset({2})))
    document.save(str(tmp_path / "rows.ods"))
    read, frame = read_all(tmp_path / "rows.ods")
    assert frame["level3"].tolist() == ["a", "a（旧）", "b"]
    assert [(warning.location, "表!3" in warning.message) for warning in read.warnings] == [("表", True)]



def test_two_columns_headed_as_one_field_are_said(tmp_path: Path) -> None:
    """The first 指标值 column was read and the second kept as an extra column, without a word."""
    (tmp_path / "twice.csv").write_text("三级指标,指标值,目标值\n培训人次,≥300人次,≥500人次\n", encoding="utf-8")
    read, frame = read_all(tmp_path / "twice.csv")
    assert frame["target_value"].tolist() == ["≥300人次"] and frame["目标值"].tolist() == ["≥500人次"]
    [warning] = read.warnings
    assert warning.location == "1" and "target_value: column B read, column C kept as “目标值”" in warning.message


def _hidden_old_column_xlsx(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    workbook.active.title = "表"
    for row in (["三级指标", "指标值", "指标值"], ["培训人次", "≥300人次", "≥500人次"]):
        workbook.active.append(row)
    workbook.active.column_dimensions["B"].hidden = True
    workbook.save(path)
    return path


def _hidden_old_column_xls(path: Path) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("表")
    for number, row in enumerate([["三级指标", "指标值", "指标值"], ["培训人次", "≥300人次", "≥500人次"]]):
        for column, text in enumerate(row):
            sheet.write(number, column, text)
    sheet.col(1).hidden = True
    book.save(str(path))
    return path


def _hidden_old_column_ods(path: Path) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import TableColumn

    document = OpenDocumentSpreadsheet()
    table = ods_table("表", [["三级指标", "指标值", "指标值"], ["培训人次", "≥300人次", "≥500人次"]])
    for visibility in ("visible", "collapse", "visible"):
        table.insertBefore(TableColumn(visibility=visibility), table.firstChild)
    document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


@pytest.mark.parametrize("write", [_hidden_old_column_xlsx, _hidden_old_column_xls, _hidden_old_column_ods],
                         ids=["xlsx", "xls", "ods"])
def test_a_field_headed_twice_is_read_from_the_column_shown(tmp_path: Path, write) -> None:
    """A department hides the column it replaced: the reviewer sees ≥500人次, and that was not
    what was scored (the hidden ≥300人次 was, without a word)."""
    read, frame = read_all(write(tmp_path / f"hidden.{write.__name__.rsplit('_', 1)[1]}"))
    assert frame["target_value"].tolist() == ["≥500人次"] and frame["指标值"].tolist() == ["≥300人次"]
    [warning] = read.warnings
    assert "target_value: column C read, column B (hidden) kept as “指标值”" in warning.message


def test_a_two_row_header_naming_a_field_twice_is_said(tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("绩效指标,,指标值,指标值\n一级指标,三级指标,,\n产出指标,培训人次,≥300人次,≥500人次\n",
                                       encoding="utf-8")
    read, frame = read_all(tmp_path / "rows.csv")
    assert frame["target_value"].tolist() == ["≥300人次"]
    assert ["column C read, column D kept" in warning.message for warning in read.warnings] == [True]


def test_one_column_a_field_says_nothing(tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("三级指标,指标值,计量单位\n培训人次,≥300,人次\n", encoding="utf-8")
    assert read_all(tmp_path / "rows.csv")[0].warnings == []


def test_the_first_shown_of_several_columns_headed_alike_is_read() -> None:
    from nlp.readers.tabular import shown_first

    header = shown_first(match_header(["三级指标", "指标值", "指标值", "指标值"]), {1})
    assert header.names == ("level3", "指标值", "target_value", "指标值.1")
    assert header.doubled == (("target_value", 2, 1), ("target_value", 2, 3))
    assert shown_first(match_header(["三级指标", "指标值", "指标值"]), {2}).names == ("level3", "target_value", "指标值")
