"""A cell holding only whitespace is an empty cell, in every reader.

A 主管部门 or 项目名称 cell left "blank" with a space, a full-width space (U+3000), a tab or a
no-break space looks empty to a reviewer, and an empty one takes the value above it (a merged or
left-out cell). The whitespace one did not: it became a project named " ", its rows a table of
their own (T2, too few indicators), and a row of such cells was read as an indicator with no name.
The same table is written in every format with each kind of blank.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from make_documents import cjk_font
from nlp.readers import read_file
from ods_tables import ods_table

HEADER = ["主管部门", "项目名称", "一级指标", "二级指标", "三级指标", "指标值"]
FIELDS = ["department", "project_name", "level3", "table_id"]
BLANKS = ["", " ", "\u3000", "\t", "\u00a0", " \u3000\t "]


def table(blank: str) -> list[list[str]]:
    """The header, a first row naming the project, two rows leaving it ``blank`` and, between
    them, a row of ``blank`` cells only."""
    return [HEADER,
            ["甲局", "甲项目", "产出指标", "数量指标", "培训人次", "≥500人次"],
            [blank, blank, "产出指标", "质量指标", "培训合格率", "≥95%"],
            [blank] * len(HEADER),
            [blank, blank, "效益指标", "社会效益指标", "群众满意度", "≥90%"]]


def write_delimited(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter="\t" if path.suffix == ".tsv" else ",").writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("".join(json.dumps(dict(zip(rows[0], row)), ensure_ascii=False) + "\n" for row in rows[1:]),
                    encoding="utf-8")
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append([cell or None for cell in row])
    book.save(path)
    return path


def write_xls(path: Path, rows: list[list[str]]) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("绩效目标")
    for number, row in enumerate(rows):
        for column, text in enumerate(row):
            if text:
                sheet.write(number, column, text)
    book.save(str(path))
    return path


def write_ods(path: Path, rows: list[list[str]]) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet

    document = OpenDocumentSpreadsheet()
    document.spreadsheet.addElement(ods_table("绩效目标", rows))
    document.save(str(path))
    return path


def write_docx(path: Path, rows: list[list[str]]) -> Path:
    import docx

    document = docx.Document()
    sheet = document.add_table(rows=len(rows), cols=len(HEADER))
    for number, row in enumerate(rows):
        for column, text in enumerate(row):
            sheet.cell(number, column).text = text
    document.save(str(path))
    return path


def write_pdf(path: Path, rows: list[list[str]]) -> Path:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    font = cjk_font()
    if font is None:
        pytest.skip("no CJK font installed for the PDF")
    pdf = FPDF(format="A4")
    pdf.add_font("cjk", fname=str(font))
    pdf.set_font("cjk", size=11)
    pdf.add_page()
    with pdf.table(line_height=14, headings_style=FontFace()) as sheet:
        for row in rows:
            sheet.row(row)
    pdf.output(str(path))
    return path


WRITERS = {".csv": write_delimited, ".tsv": write_delimited, ".jsonl": write_jsonl, ".xlsx": write_xlsx,
           ".xls": write_xls, ".ods": write_ods, ".docx": write_docx, ".pdf": write_pdf}


@pytest.mark.parametrize("blank", BLANKS, ids=repr)
@pytest.mark.parametrize("suffix", list(WRITERS))
def test_a_whitespace_cell_is_read_as_an_empty_one(tmp_path: Path, suffix: str, blank: str) -> None:
    found = read_file(WRITERS[suffix](tmp_path / f"t{suffix}", table(blank)))
    frame = pd.concat(list(found.frames), ignore_index=True)
    assert frame["level3"].tolist() == ["培训人次", "培训合格率", "群众满意度"]
    assert frame[["department", "project_name"]].drop_duplicates().values.tolist() == [["甲局", "甲项目"]]
    assert frame["table_id"].nunique() == 1 and [table.rows for table in found.tables] == [3]
    assert not found.errors
