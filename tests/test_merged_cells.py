"""A cell merged down several rows is read on each of them, in every format that keeps merges.

Before, the text stayed in the merge's first row only: a 指标值 merged over two indicators left the
second empty and flagged B2, and a 指标值确定依据 merged down the table was lost on all rows but
one. The same table is written as .xlsx, .xls, .ods, .docx and .pdf with the same merges.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nlp.readers import read_file
from make_documents import cjk_font
from ods_tables import ods_table
from nlp.readers.merged_cells import MergedFill, VerticalMerge, vertical_merges

HEADER = ["一级指标", "二级指标", "三级指标", "指标值", "指标值确定依据"]
#: The table as stored: merged cells blank after their first row.
STORED = [
    ["产出指标", "数量指标", "培训人次", "≥300人次", "根据项目实施方案"],
    ["", "质量指标", "考核合格率", "≥95%", ""],
    ["", "", "结业证书发放率", "", ""],
    ["效益指标", "社会效益指标", "学员技能提升率", "≥90%", ""],
]
#: (first data row, column, last data row), 0-based within STORED.
MERGES = [(0, 0, 2), (1, 1, 2), (1, 3, 2), (0, 4, 3)]
SHOWN = [
    ["产出指标", "数量指标", "培训人次", "≥300人次", "根据项目实施方案"],
    ["产出指标", "质量指标", "考核合格率", "≥95%", "根据项目实施方案"],
    ["产出指标", "质量指标", "结业证书发放率", "≥95%", "根据项目实施方案"],
    ["效益指标", "社会效益指标", "学员技能提升率", "≥90%", "根据项目实施方案"],
]
FIELDS = ["level1", "level2", "level3", "target_value", "basis"]


def write_xlsx(path: Path) -> Path:
    import openpyxl
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    sheet = book.active
    for row in [HEADER, *STORED]:
        sheet.append(row)
    for first, column, last in MERGES:  # sheet rows: the header is row 1
        letter = get_column_letter(column + 1)
        sheet.merge_cells(f"{letter}{first + 2}:{letter}{last + 2}")
    book.save(path)
    return path


def write_xls(path: Path) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("绩效目标")
    covered = {(first + 1, column) for first, column, last in MERGES} | \
              {(row + 1, column) for first, column, last in MERGES for row in range(first, last + 1)}
    for number, row in enumerate([HEADER, *STORED]):
        for column, text in enumerate(row):
            if (number, column) not in covered:
                sheet.write(number, column, text)
    for first, column, last in MERGES:
        sheet.write_merge(first + 1, last + 1, column, column, STORED[first][column])
    book.save(str(path))
    return path


def write_ods(path: Path) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet

    spans = {(first + 1, column): last - first + 1 for first, column, last in MERGES}
    covered = frozenset((row + 1, column) for first, column, last in MERGES for row in range(first + 1, last + 1))
    document = OpenDocumentSpreadsheet()
    document.spreadsheet.addElement(ods_table("绩效目标", [HEADER, *STORED], spans, covered))
    document.save(str(path))
    return path


def write_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("项目名称：基层干部培训")
    table = document.add_table(rows=len(STORED) + 1, cols=len(HEADER))
    for number, row in enumerate([HEADER, *STORED]):
        for column, text in enumerate(row):
            if text:
                table.cell(number, column).text = text
    for first, column, last in MERGES:
        table.cell(first + 1, column).merge(table.cell(last + 1, column))
    document.save(str(path))
    return path


def write_pdf(path: Path) -> Path:
    """A ruled table (fpdf2) whose merged cells pdfplumber gives as one box over several rows."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    font = cjk_font()
    if font is None:
        pytest.skip("no CJK font installed for the PDF")
    spans = {(first, column): last - first + 1 for first, column, last in MERGES}
    covered = {(row, column) for first, column, last in MERGES for row in range(first + 1, last + 1)}
    pdf = FPDF(format="A4")
    pdf.add_font("cjk", fname=str(font))
    pdf.set_font("cjk", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 10, "项目名称：基层干部培训", new_x="LMARGIN", new_y="NEXT")
    with pdf.table(line_height=14, headings_style=FontFace()) as table:
        table.row(HEADER)
        for number, row in enumerate(STORED):
            line = table.row()
            for column, text in enumerate(row):
                if (number, column) not in covered:
                    line.cell(text, rowspan=spans.get((number, column), 1))
    pdf.output(str(path))
    return path


WRITERS = {".xlsx": write_xlsx, ".xls": write_xls, ".ods": write_ods, ".docx": write_docx, ".pdf": write_pdf}


@pytest.mark.parametrize("suffix", list(WRITERS))
def test_a_merged_cell_is_read_on_every_row_it_spans(tmp_path: Path, suffix: str) -> None:
    found = read_file(WRITERS[suffix](tmp_path / f"merged{suffix}"))
    frame = pd.concat(list(found.frames), ignore_index=True)
    assert frame[FIELDS].values.tolist() == SHOWN
    assert not found.errors


def test_a_row_of_merge_continuations_only_is_no_indicator(tmp_path: Path) -> None:
    """A name, value and basis each merged over two rows draw one taller indicator, not two."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in [HEADER, ["产出指标", "数量指标", "培训人次", "≥300人次", "实施方案"], ["", "", "", "", ""]]:
        sheet.append(row)
    for letter in "ABCDE":
        sheet.merge_cells(f"{letter}2:{letter}3")
    book.save(tmp_path / "tall.xlsx")
    frame = pd.concat(list(read_file(tmp_path / "tall.xlsx").frames), ignore_index=True)
    assert frame["level3"].tolist() == ["培训人次"]


def test_merges_fill_blank_cells_below_the_header_only_and_only_down_to_their_last_row() -> None:
    fill = MergedFill([VerticalMerge(0, 1, 2), VerticalMerge(1, 3, 4), VerticalMerge(2, 0, 5)], header_row=1)
    assert fill(2, ["", "b", "c"]) == ["", "b", "c"]          # the header's own merge (row 1) is not filled
    assert fill(3, ["", "名称", ""]) == ["", "名称", ""]       # a merge's first row keeps its own cells
    assert fill(4, ["x", "", ""]) == ["x", "名称", ""]         # filled where blank …
    assert fill(5, ["y", "", "z"]) == ["y", "", "z"]          # … and not past its last row; text wins


def test_only_boxes_spanning_rows_are_merges_and_a_wide_one_keeps_its_first_column() -> None:
    assert vertical_merges([(1, 0, 1, 3), (2, 4, 5, 6)]) == [VerticalMerge(4, 2, 5)]
