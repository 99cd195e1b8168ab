"""Issue #12: Word, PDF, .xls, .ods and traditional-character tables, built from corpus rows.

Every fixture is made at test time by ``tests/make_documents.py`` and must come back cell for
cell equal to the corpus rows it was made from, through ``iqc parse`` and through the HTTP upload
(``/v1/score/file?format=xlsx`` echoes every input column). Bad documents get one line naming the file.
"""
from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import make_documents as make
from fake_scorer import make_scorer
from nlp.api import ApiSettings, create_app
from nlp.cli import EXIT_INPUT_FAILED, EXIT_OK
from nlp.readers import read_file

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
SHEET_COLUMNS = list(make.TABLE_COLUMNS)
needs_font = pytest.mark.skipif(make.cjk_font() is None, reason="no TrueType CJK font (apt-get install fonts-wqy-zenhei)")


def _docx(tmp: Path) -> tuple[Path, pd.DataFrame, list[str]]:
    rows = make.corpus_rows(*make.DOCX_TABLES)
    return make.make_docx(rows, tmp / "两个项目.docx"), rows, make.COMPARED


def _cjk_pdf() -> "FPDF":
    """An A4 document on its first page, writing in the CJK TrueType font."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("cjk", fname=str(make.cjk_font()))
    pdf.set_font("cjk", size=11)
    pdf.add_page()
    return pdf


def _pdf(tmp: Path) -> tuple[Path, pd.DataFrame, list[str]]:
    rows = make.corpus_rows(make.PDF_TABLE)
    return make.make_pdf(rows, tmp / "预算公开.pdf", make.cjk_font()), rows, make.COMPARED


def _pdf_of_two_projects(tmp: Path) -> tuple[Path, pd.DataFrame, list[str]]:
    rows = make.corpus_rows(*make.DOCX_TABLES)
    return make.make_pdf(rows, tmp / "两个项目.pdf", make.cjk_font()), rows, make.COMPARED


def _sheet(suffix: str) -> Callable[[Path], tuple[Path, pd.DataFrame, list[str]]]:
    def build(tmp: Path) -> tuple[Path, pd.DataFrame, list[str]]:
        rows = make.corpus_rows(make.SHEET_TABLE)
        return make.make_sheet(rows, tmp / f"绩效目标表{suffix}"), rows, SHEET_COLUMNS
    return build


def _traditional(tmp: Path) -> tuple[Path, pd.DataFrame, list[str]]:
    path = tmp / "繁體.csv"
    return path, make.make_traditional_csv(make.corpus_rows(*make.DOCX_TABLES), path), make.COMPARED


FIXTURES = {
    "docx": _docx,
    "pdf": pytest.param(_pdf, marks=needs_font),
    "pdf-two-projects": pytest.param(_pdf_of_two_projects, marks=needs_font),
    "xls": _sheet(".xls"),
    "ods": _sheet(".ods"),
    "traditional-csv": _traditional,
}
BUILDERS = [pytest.param(value, id=key) if callable(value) else pytest.param(*value.values, marks=value.marks, id=key)
            for key, value in FIXTURES.items()]


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def assert_same_cells(parsed: pd.DataFrame, source: pd.DataFrame, columns: list[str]) -> None:
    pd.testing.assert_frame_equal(parsed[columns].reset_index(drop=True), source[columns].reset_index(drop=True))


@pytest.mark.parametrize("build", BUILDERS)
def test_fixture_parses_cell_for_cell_through_the_cli(tmp_path: Path, iqc, build) -> None:
    path, source, columns = build(tmp_path)
    out = tmp_path / "rows.csv"
    code, err = iqc("parse", path, "-o", out)
    assert code == EXIT_OK, err
    assert_same_cells(read_csv(out), source, columns)


@pytest.mark.parametrize("build", BUILDERS)
def test_fixture_parses_cell_for_cell_through_the_upload(tmp_path: Path, build) -> None:
    path, source, columns = build(tmp_path)
    settings = ApiSettings(max_rows=100, max_body_bytes=4 << 20, max_cell_chars=2000)
    client = TestClient(create_app(scorer=make_scorer(), settings=settings))
    response = client.post("/v1/score/file", params={"format": "xlsx"}, files={"file": (path.name, path.read_bytes())})
    assert response.status_code == 200, response.text
    scored = pd.read_excel(io.BytesIO(response.content), sheet_name=0, dtype=str, keep_default_na=False)
    assert_same_cells(scored, source, columns)


def test_docx_rows_point_at_their_table_and_row(tmp_path: Path, iqc) -> None:
    path, source, _ = _docx(tmp_path)
    out = tmp_path / "rows.csv"
    assert iqc("parse", path, "-o", out)[0] == EXIT_OK
    parsed = read_csv(out)
    first_table = (source["doc_id"] == make.DOCX_TABLES[0]).sum()
    # row 1 is the title spanning every column (gridSpan), row 2 the header
    assert parsed["source_line"].iloc[0] == "table1!row3"
    assert parsed["source_line"].iloc[first_table] == "table2!row3"
    assert parsed["table_id"].nunique() == 2
    assert set(parsed["source_file"]) == {path.name}


@needs_font
def test_pdf_table_crossing_the_page_break_is_one_table(tmp_path: Path, iqc) -> None:
    import pdfplumber

    path, source, _ = _pdf(tmp_path)
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) == 2
    out = tmp_path / "rows.csv"
    code, err = iqc("parse", path, "-o", out)
    assert code == EXIT_OK and "1 table(s)" in err, err
    pages = read_csv(out)["source_line"].str.split("!").str[0]
    assert pages.iloc[0] == "page1" and pages.iloc[-1] == "page2"
    assert len(pages) == len(source)  # the header repeated on page 2 is not a row


def _pdf_with_rows_across_a_page_break(path: Path, rows: list[list[str]], on_page_2: list[list[str]]) -> Path:
    """A bordered table (一级/二级/三级/指标值) filling page 1, ``rows`` at its bottom, ``on_page_2``
    at the top of page 2 (no header repeated)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", fname=str(make.cjk_font()))
    pdf.set_font("cjk", size=10)
    pdf.add_page()
    pdf.cell(0, 10, "项目名称：培训项目", new_x="LMARGIN", new_y="NEXT")
    filler = [["产出指标", "数量指标", f"培训班次{number}", f"{number}次"] for number in range(21)]
    for index, cells in enumerate([["一级指标", "二级指标", "三级指标", "指标值"], *filler, *rows, None, *on_page_2]):
        if cells is None:
            pdf.add_page()
            continue
        for width, text in zip((30, 30, 60, 30), cells):
            pdf.cell(width, 10, text, border=1)
        pdf.ln(10)
    pdf.output(str(path))
    return path


@needs_font
def test_pdf_row_cut_by_the_page_break_is_one_row(tmp_path: Path, iqc) -> None:
    """The rest of a cut row (only its 三级指标 text) was read as an indicator of its own, with no value."""
    path = _pdf_with_rows_across_a_page_break(tmp_path / "cut.pdf", [["", "质量指标", "培训合格率达到", "≥90%"]],
                                              [["", "", "省级标准", ""], ["效益指标", "社会效益", "满意度", "≥90%"]])
    out = tmp_path / "rows.csv"
    assert iqc("parse", path, "-o", out)[0] == EXIT_OK
    assert read_csv(out)[["level1", "level2", "level3", "target_value"]].values.tolist()[-2:] == [
        ["产出指标", "质量指标", "培训合格率达到省级标准", "≥90%"], ["效益指标", "社会效益", "满意度", "≥90%"]]


@needs_font
def test_pdf_row_with_a_value_at_the_top_of_a_page_is_its_own_row(tmp_path: Path, iqc) -> None:
    path = _pdf_with_rows_across_a_page_break(tmp_path / "whole.pdf", [["", "质量指标", "培训合格率", "≥90%"]],
                                              [["", "", "结业率", "100%"]])
    out = tmp_path / "rows.csv"
    assert iqc("parse", path, "-o", out)[0] == EXIT_OK
    assert read_csv(out)["level3"].tolist()[-2:] == ["培训合格率", "结业率"]


@needs_font
def test_pdf_title_row_repeated_with_the_header_on_each_page_is_one_table(tmp_path: Path, iqc) -> None:
    """A title row spanning the table, repeated with the header on page 2: read as a new table's
    title, page 2's rows had no project and no budget."""
    from fpdf.fonts import FontFace

    pdf = _cjk_pdf()
    pdf.multi_cell(0, 8, "项目名称：培训项目", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 8, "预算金额：30万元", new_x="LMARGIN", new_y="NEXT")
    with pdf.table(line_height=8, num_heading_rows=2, headings_style=FontFace()) as rows:
        rows.row().cell("项目支出绩效目标表", colspan=3)
        rows.row(["一级指标", "三级指标", "指标值"])
        for number in range(40):
            rows.row(["产出指标", f"培训班次{number}", f"{number}次"])
    pdf.output(str(tmp_path / "titled.pdf"))
    out = tmp_path / "rows.csv"
    code, err = iqc("parse", tmp_path / "titled.pdf", "-o", out)
    assert code == EXIT_OK and "1 table(s), 40 rows" in err, err
    rows = read_csv(out)
    assert rows["source_line"].iloc[-1].startswith("page2!")
    assert set(zip(rows["project_name"], rows["budget_wan"])) == {("培训项目", "30")}



@needs_font
def test_pdf_project_block_at_the_foot_of_a_page_is_the_next_pages_tables_context(tmp_path: Path, iqc) -> None:
    """A project's title and block at the bottom of a page, its table on the next: the table was
    read as the page before's table continued (its rows under the other project), or, when a row's
    basis was 预算金额, as a table with no project at all."""
    from fpdf.fonts import FontFace

    pdf = _cjk_pdf()
    pdf.multi_cell(0, 8, "项目名称：甲项目", new_x="LMARGIN", new_y="NEXT")
    with pdf.table(line_height=8, headings_style=FontFace()) as rows:
        rows.row(["一级指标", "三级指标", "指标值", "指标值确定依据"])
        rows.row(["产出指标", "培训班次", "4次", "年度计划"])
    pdf.set_y(pdf.h - 45)
    pdf.multi_cell(0, 8, "乙项目绩效目标表", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 8, "项目名称：乙项目", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    with pdf.table(line_height=8, headings_style=FontFace()) as rows:
        rows.row(["一级指标", "三级指标", "指标值", "指标值确定依据"])
        rows.row(["产出指标", "成本控制数", "≤1.2万元", "预算金额"])
        rows.row(["效益指标", "服务对象满意度", "≥90%", "年度计划"])
    pdf.output(str(tmp_path / "two.pdf"))
    out = tmp_path / "rows.csv"
    code, err = iqc("parse", tmp_path / "two.pdf", "-o", out)
    assert code == EXIT_OK and "2 table(s), 3 rows" in err, err
    assert read_csv(out)["project_name"].tolist() == ["甲项目", "乙项目", "乙项目"]


@needs_font
def test_pdf_row_whose_basis_is_a_context_label_still_continues_its_table(tmp_path: Path, iqc) -> None:
    """The first row on the next page had 预算金额 as its 指标值确定依据, which was taken for a project
    block's label: the table's rest was read as a new table, with no project."""
    from fpdf.fonts import FontFace

    pdf = _cjk_pdf()
    pdf.multi_cell(0, 8, "项目名称：培训项目", new_x="LMARGIN", new_y="NEXT")
    with pdf.table(line_height=8, headings_style=FontFace()) as rows:
        rows.row(["一级指标", "三级指标", "指标值", "指标值确定依据"])
        for number in range(40):
            rows.row(["产出指标", f"成本控制数{number}", f"≤{number}万元", "预算金额"])
    pdf.output(str(tmp_path / "long.pdf"))
    out = tmp_path / "rows.csv"
    code, err = iqc("parse", tmp_path / "long.pdf", "-o", out)
    assert code == EXIT_OK and "1 table(s), 40 rows" in err, err
    assert set(read_csv(out)["project_name"]) == {"培训项目"}

def test_scanned_pdf_says_it_needs_ocr(tmp_path: Path, iqc) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")  # an image-only page: no characters
    scan = tmp_path / "scan.pdf"
    pdf.output(str(scan))
    code, err = iqc("parse", scan, "-o", tmp_path / "rows.csv")
    assert code == EXIT_INPUT_FAILED
    assert any(line.startswith(f"iqc: {scan}: no text layer (a scanned PDF?)") for line in err.splitlines()), err


def _typed_then_scanned(path: Path, table: bool) -> Path:
    """A typed page (项目名称, and a table when ``table``), a scanned page (only an image) and a blank page."""
    from fpdf.fonts import FontFace
    from PIL import Image

    pdf = _cjk_pdf()
    pdf.multi_cell(0, 10, "项目名称：道路养护", new_x="LMARGIN", new_y="NEXT")
    if table:
        with pdf.table(headings_style=FontFace()) as rows:
            rows.row(["一级指标", "三级指标", "指标值"])
            rows.row(["产出指标", "养护里程", "120公里"])
    pdf.add_page()
    pdf.image(Image.new("RGB", (200, 100), "white"), x=10, y=10, w=180)
    pdf.add_page()
    pdf.output(str(path))
    return path


@needs_font
@pytest.mark.parametrize("table", [True, False], ids=["table on the typed page", "table on the scanned page"])
def test_scanned_page_among_typed_pages_is_named(tmp_path: Path, iqc, table: bool) -> None:
    """The rows of a scanned page were lost without a word (or with only "no indicator columns")."""
    path = _typed_then_scanned(tmp_path / "mixed.pdf", table)
    code, err = iqc("parse", path, "-o", tmp_path / "rows.csv")
    assert code == (EXIT_OK if table else EXIT_INPUT_FAILED)
    lines = [line for line in err.splitlines() if "no text layer" in line]
    assert len(lines) == 1 and "page 2 has no text layer (scanned?): not read" in lines[0], err


@needs_font
@pytest.mark.parametrize("angle", [90, 180])
def test_page_with_its_table_turned_is_named_not_misread(tmp_path: Path, iqc, angle: int) -> None:
    """A table drawn turned on its page: its columns were read as rows (one row, 三级指标 "指标值")."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF()
    pdf.add_font("cjk", fname=str(make.cjk_font()))
    pdf.set_font("cjk", size=11)
    for page, turn in ((1, 0), (2, angle)):
        pdf.add_page()
        with pdf.rotation(turn, x=105, y=148), pdf.table(headings_style=FontFace(), width=150) as rows:
            rows.row(["一级指标", "三级指标", "指标值"])
            rows.row(["产出指标", f"第{page}页指标", "100%"])
    pdf.output(str(tmp_path / "turned.pdf"))
    out = tmp_path / "rows.csv"
    code, err = iqc("parse", tmp_path / "turned.pdf", "-o", out)
    assert code == EXIT_OK, err
    assert read_csv(out)["level3"].tolist() == ["第1页指标"]
    assert "page 2 has its text turned sideways or upside down" in err, err


@needs_font
def test_pdf_table_without_borders_is_named(tmp_path: Path, iqc) -> None:
    """Its cells are laid out by spacing only: the file failed with "expected 三级指标 in a header
    row", though the page shows one."""

    pdf = _cjk_pdf()
    for cells in (["一级指标", "三级指标", "指标值"], ["产出指标", "养护里程", "120公里"]):
        for text in cells:
            pdf.cell(40, 10, text)
        pdf.ln(10)
    pdf.output(str(tmp_path / "borderless.pdf"))
    code, err = iqc("parse", tmp_path / "borderless.pdf", "-o", tmp_path / "rows.csv")
    assert code == EXIT_INPUT_FAILED
    assert "page 1 has an indicator header in its text but no ruled table (a table drawn without borders?)" in err, err


@needs_font
def test_what_pdfminer_finds_damaged_is_one_warning_naming_the_file(tmp_path: Path, iqc) -> None:
    """pdfminer logs each damaged operator or stream and reads on: its lines reached stderr, naming
    no file (dozens for a damaged file), among the batch's one-line messages."""
    pdf = _cjk_pdf()
    pdf.set_compression(False)
    for cells in (["一级指标", "三级指标", "指标值"], ["产出指标", "养护里程", "120公里"]):
        for text in cells:
            pdf.cell(40, 10, text, border=1)
        pdf.ln(10)
    pdf.output(str(tmp_path / "sound.pdf"))
    sound = (tmp_path / "sound.pdf").read_bytes()
    (tmp_path / "damaged.pdf").write_bytes(sound.replace(b"0.57 w", b"/Xy g ", 1))  # a gray level that is no number
    code, err = iqc("parse", tmp_path / "damaged.pdf", "-o", tmp_path / "rows.csv")
    assert code == EXIT_OK and read_csv(tmp_path / "rows.csv")["level3"].tolist() == ["养护里程"]
    lines = err.splitlines()
    assert len(lines) == 3 and lines[0].startswith(str(tmp_path / "damaged.pdf")), err
    assert lines[1].startswith(f"  warning: {tmp_path / 'damaged.pdf'}: damaged PDF: 1 problem(s) while reading it, "
                               "the first: Cannot set gray level"), err


@needs_font
def test_password_protected_pdf_says_so(tmp_path: Path, iqc) -> None:

    pdf = _cjk_pdf()
    pdf.cell(text="三级指标")
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.output(str(tmp_path / "locked.pdf"))
    code, err = iqc("parse", tmp_path / "locked.pdf", "-o", tmp_path / "rows.csv")
    assert code == EXIT_INPUT_FAILED
    assert f"iqc: {tmp_path / 'locked.pdf'}: password-protected PDF: ask for a copy without a password" in err, err


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("broken.docx", b"PK\x03\x04 not a zip", "not a readable Word .docx document"),
    ("broken.pdf", b"%PDF-1.4 garbage", "not a readable PDF"),
    ("broken.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 64, "not a readable Excel 97-2003 .xls workbook"),
    ("broken.ods", b"PK\x03\x04 not a zip", "not a readable OpenDocument .ods workbook"),
])
def test_damaged_documents_get_one_line(tmp_path: Path, iqc, name: str, content: bytes, problem: str) -> None:
    (tmp_path / name).write_bytes(content)
    code, err = iqc("parse", tmp_path / name, "-o", tmp_path / "rows.csv")
    assert code == EXIT_INPUT_FAILED and "Traceback" not in err
    lines = [line for line in err.splitlines() if name in line]
    assert len(lines) == 1 and lines[0].startswith(f"iqc: {tmp_path / name}: {problem}"), err


def test_docx_without_indicator_table_is_reported(tmp_path: Path, iqc) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("项目名称：无表")
    document.add_table(rows=2, cols=2).cell(0, 0).text = "金额"
    document.save(str(tmp_path / "no_table.docx"))
    code, err = iqc("parse", tmp_path / "no_table.docx", "-o", tmp_path / "rows.csv")
    assert code == EXIT_INPUT_FAILED and "no indicator columns" in err


def test_docx_two_row_header_with_merged_cells_is_one_header(tmp_path: Path, iqc) -> None:
    """绩效指标 merged across 一级/二级/三级 and 指标值 merged down two rows: the lower row alone
    (3 columns wide) was taken as the header, and every row was refused as text beyond it."""
    import docx

    document = docx.Document()
    document.add_paragraph("项目名称：道路养护")
    table = document.add_table(rows=4, cols=5)
    for column, text in enumerate(["", "", "", "", "备注"]):
        table.cell(0, column).text = text
    table.cell(0, 0).merge(table.cell(0, 2)).text = "绩效指标"
    table.cell(0, 3).merge(table.cell(1, 3)).text = "指标值"
    for row, cells in enumerate([["一级指标", "二级指标", "三级指标"], ["产出指标", "数量指标", "养护里程", "120公里", ""],
                                 ["", "质量指标", "验收合格率", "100%", "抽查"]], 1):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    document.save(str(tmp_path / "merged.docx"))
    code, err = iqc("parse", tmp_path / "merged.docx", "-o", tmp_path / "rows.csv")
    rows = pd.read_csv(tmp_path / "rows.csv", dtype=str, keep_default_na=False)
    assert code == 0, err
    assert rows[["level1", "level2", "level3", "target_value", "备注"]].values.tolist() == [
        ["产出指标", "数量指标", "养护里程", "120公里", ""], ["产出指标", "质量指标", "验收合格率", "100%", "抽查"]]


def test_folder_scan_reads_every_format(tmp_path: Path, iqc) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    expected = 0
    for build in (_docx, _sheet(".xls"), _sheet(".ods"), *([_pdf] if make.cjk_font() else [])):
        _, source, _ = build(folder)
        expected += len(source)
    out = tmp_path / "rows.csv"
    code, err = iqc("parse", folder, "-o", out)
    assert code == EXIT_OK, err
    assert len(read_csv(out)) == expected


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_doc_is_read_through_libreoffice(tmp_path: Path, iqc) -> None:
    path, source, columns = _docx(tmp_path)
    # via .odt: LibreOffice 7.4 drops python-docx's tables when it writes a .docx straight to .doc
    for target, source_file in (("odt", path), ("doc", tmp_path / "odt" / path.with_suffix(".odt").name)):
        subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                        "--convert-to", target, "--outdir", str(tmp_path / target), str(source_file)],
                       check=True, capture_output=True, timeout=180)
    doc = tmp_path / "doc" / path.with_suffix(".doc").name
    out = tmp_path / "rows.csv"
    code, err = iqc("parse", doc, "-o", out)
    assert code == EXIT_OK, err
    parsed = read_csv(out)
    assert_same_cells(parsed, source, columns)
    assert set(parsed["source_file"]) == {doc.name}


def test_doc_without_libreoffice_says_how_to_convert(tmp_path: Path, iqc, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    doc = tmp_path / "old.doc"
    doc.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 64)
    code, err = iqc("parse", doc, "-o", tmp_path / "rows.csv")
    assert code == EXIT_INPUT_FAILED
    assert f"iqc: {doc}: Word 97-2003 document (.doc) needs LibreOffice" in err, err


def test_docx_context_in_label_rows_above_the_header(tmp_path: Path, iqc) -> None:
    """The common Word layout: the project's label/value rows are the table's own first rows."""
    import docx

    document = docx.Document()
    table = document.add_table(rows=4, cols=4)
    for cell, text in zip(table.rows[0].cells, ["项目名称", "道路养护", "主管部门", "交通运输局"]):
        cell.text = text
    table.cell(1, 0).text = "年度绩效目标"
    table.cell(1, 1).merge(table.cell(1, 3)).text = "完成道路养护120公里"
    for cell, text in zip(table.rows[2].cells, ["一级指标", "二级指标", "三级指标", "指标值"]):
        cell.text = text
    for cell, text in zip(table.rows[3].cells, ["产出指标", "数量指标", "养护里程", "120公里"]):
        cell.text = text
    document.save(str(tmp_path / "one_table.docx"))
    out = tmp_path / "rows.csv"
    assert iqc("parse", tmp_path / "one_table.docx", "-o", out)[0] == EXIT_OK
    row = read_csv(out).iloc[0]
    assert (row["project_name"], row["department"], row["project_goal"]) == ("道路养护", "交通运输局", "完成道路养护120公里")
    assert (row["level3"], row["target_value"], row["source_line"]) == ("养护里程", "120公里", "table1!row4")


def _word_table(document, rows: list[list[str]]) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for row, cells in enumerate(rows):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text


@pytest.mark.parametrize(("repeated_header", "mark"), [(False, ""), (True, ""), (False, "续表"), (True, "绩效目标表（续）")],
                         ids=["no header on page 2", "header repeated", "续表", "title (续)"])
def test_docx_table_continued_in_a_second_table_after_a_page_break(tmp_path: Path, iqc, repeated_header: bool,
                                                                    mark: str) -> None:
    """A table split into two Word tables at a page break (the second one under a "续表" line or
    not): the second one's rows were dropped (no header of its own) or read as a table with no
    project, budget or 一级."""
    import docx
    from docx.enum.text import WD_BREAK

    header = ["一级指标", "二级指标", "三级指标", "指标值"]
    document = docx.Document()
    document.add_paragraph("项目名称：道路养护")
    document.add_paragraph("预算金额：100万元")
    _word_table(document, [header, ["产出指标", "数量指标", "养护里程", "120公里"]])
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_paragraph(mark)
    _word_table(document, [*([header] if repeated_header else []), ["", "质量指标", "验收合格率", "100%"]])
    document.save(str(tmp_path / "split.docx"))
    out = tmp_path / "rows.csv"
    assert iqc("parse", tmp_path / "split.docx", "-o", out)[0] == EXIT_OK
    rows = read_csv(out)[["project_name", "budget_wan", "level1", "level2", "level3", "source_line"]].values.tolist()
    second = "table2!row2" if repeated_header else "table2!row1"
    assert rows == [["道路养护", "100", "产出指标", "数量指标", "养护里程", "table1!row2"],
                    ["道路养护", "100", "产出指标", "质量指标", "验收合格率", second]]


def test_docx_table_continued_with_a_blank_column_more_is_one_table(tmp_path: Path, iqc) -> None:
    """A table redrawn on the next page with a column more, left blank: "as wide" compared the
    columns, so its rows were skipped as a table without a header (exit 0). A wider table with
    text in its last column is still a table of its own."""
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    document.add_paragraph("项目名称：道路养护")
    _word_table(document, [["一级指标", "二级指标", "三级指标", "指标值"], ["产出指标", "数量指标", "养护里程", "120公里"]])
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _word_table(document, [["", "质量指标", "验收合格率", "100%", ""], ["", "时效指标", "完成时间", "6月底", ""]])
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _word_table(document, [["", "数量指标", "检测座数", "12座", "另表"]])
    document.save(str(tmp_path / "wider.docx"))
    out = tmp_path / "rows.csv"
    code, err = iqc("parse", tmp_path / "wider.docx", "-o", out)
    assert read_csv(out)[["level2", "level3", "source_line"]].values.tolist() == [
        ["数量指标", "养护里程", "table1!row2"], ["质量指标", "验收合格率", "table2!row1"], ["时效指标", "完成时间", "table2!row2"]]
    assert "skipped table3" in err and "skipped table2" not in err, err


def test_docx_tables_with_a_project_between_them_stay_apart(tmp_path: Path, iqc) -> None:
    import docx

    header = ["一级指标", "二级指标", "三级指标", "指标值"]
    document = docx.Document()
    document.add_paragraph("项目名称：道路养护")
    _word_table(document, [header, ["产出指标", "数量指标", "养护里程", "120公里"]])
    document.add_paragraph("")
    _word_table(document, [["项目名称", "桥梁检测", "", ""], header, ["产出指标", "数量指标", "检测座数", "12座"]])
    document.add_paragraph("")
    _word_table(document, [["一级指标", "二级指标", "三级指标", "分值"], ["产出指标", "数量指标", "检测座数", "10"]])
    document.save(str(tmp_path / "two.docx"))
    out = tmp_path / "rows.csv"
    assert iqc("parse", tmp_path / "two.docx", "-o", out)[0] == EXIT_OK
    assert read_csv(out)[["project_name", "level3", "target_value"]].values.tolist() == [
        ["道路养护", "养护里程", "120公里"], ["桥梁检测", "检测座数", "12座"]]


def test_docx_project_block_in_a_table_of_its_own_is_the_context(tmp_path: Path, iqc) -> None:
    """项目名称 / 主管部门 / 预算金额 / 年度绩效目标 in a table above the indicator table: the rows
    had no project, department, budget or goal."""
    import docx

    document = docx.Document()
    document.add_paragraph("项目支出绩效目标表")
    _word_table(document, [["项目名称", "道路养护", "主管部门", "交通运输局"], ["预算金额（元）", "300000", "", ""],
                           ["年度绩效目标", "完成道路养护120公里", "", ""]])
    document.add_paragraph("")
    _word_table(document, [["一级指标", "二级指标", "三级指标", "指标值"], ["产出指标", "数量指标", "养护里程", "120公里"]])
    document.save(str(tmp_path / "block.docx"))
    out = tmp_path / "rows.csv"
    assert iqc("parse", tmp_path / "block.docx", "-o", out)[0] == EXIT_OK
    assert read_csv(out)[["project_name", "department", "budget_wan", "project_goal", "level3"]].values.tolist() == [
        ["道路养护", "交通运输局", "30", "完成道路养护120公里", "养护里程"]]


def test_docx_indicator_table_inside_a_frame_table_is_read(tmp_path: Path, iqc) -> None:
    """A form drawn inside a one-cell frame table: the indicator table nested in it was never
    read ("no indicator columns"), nor the project paragraphs above it in the frame."""
    import docx

    document = docx.Document()
    frame = document.add_table(rows=1, cols=1).cell(0, 0)
    frame.paragraphs[0].text = "项目名称：道路养护"
    frame.add_paragraph("预算金额：20万元")
    inner = frame.add_table(rows=2, cols=3)
    for row, cells in enumerate([["一级指标", "三级指标", "指标值"], ["产出指标", "养护里程", "120公里"]]):
        for column, text in enumerate(cells):
            inner.cell(row, column).text = text
    document.save(str(tmp_path / "frame.docx"))
    out = tmp_path / "rows.csv"
    code, err = iqc("parse", tmp_path / "frame.docx", "-o", out)
    assert code == EXIT_OK, err
    assert read_csv(out)[["project_name", "budget_wan", "level1", "level3", "target_value"]].values.tolist() == [
        ["道路养护", "20", "产出指标", "养护里程", "120公里"]]


def test_docx_continued_table_with_a_table_in_a_cell_is_read(tmp_path: Path, iqc) -> None:
    """A table continued after a page break has no header of its own; with a table pasted into a
    cell (a breakdown in 指标解释) it was taken for a frame drawn around a form, and its rows were
    lost: only its nested table was named, as skipped."""
    import docx
    from docx.enum.text import WD_BREAK

    header = ["一级指标", "三级指标", "指标值", "指标解释"]
    document = docx.Document()
    document.add_paragraph("项目名称：道路养护")
    _word_table(document, [header, ["产出指标", "养护里程", "120公里", "见下表"]])
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _word_table(document, [["产出指标", "验收合格率", "100%", ""], ["产出指标", "完成时限", "6月底", ""]])
    for table, row in ((document.tables[0], 1), (document.tables[1], 1)):
        inner = table.cell(row, 3).add_table(rows=1, cols=2)
        inner.cell(0, 0).text, inner.cell(0, 1).text = "国道", "80公里"
    document.save(str(tmp_path / "nested.docx"))
    out = tmp_path / "rows.csv"
    code, err = iqc("parse", tmp_path / "nested.docx", "-o", out)
    assert code == EXIT_OK, err
    assert read_csv(out)[["level3", "target_value", "description"]].values.tolist() == [
        ["养护里程", "120公里", "见下表"], ["验收合格率", "100%", ""], ["完成时限", "6月底", ""]]
    assert "skipped" not in err


def test_docx_table_inside_an_indicator_table_s_cell_is_named(tmp_path: Path, iqc) -> None:
    """A table nested in a cell (a breakdown pasted into 指标解释) is not read, and was left out
    without a word; it is named by its row and column, also in a table continued after a page
    break, and an empty one is not."""
    import docx
    from docx.enum.text import WD_BREAK

    header = ["一级指标", "三级指标", "指标值", "指标解释"]
    document = docx.Document()
    _word_table(document, [header, ["产出指标", "养护里程", "120公里", "见下表"], ["产出指标", "桥梁数", "3座", ""]])
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _word_table(document, [["产出指标", "验收合格率", "100%", ""], ["产出指标", "完成时限", "6月底", ""]])
    for table, row in ((document.tables[0], 1), (document.tables[1], 1)):
        inner = table.cell(row, 3).add_table(rows=1, cols=2)
        inner.cell(0, 0).text, inner.cell(0, 1).text = "国道", "80公里"
    document.tables[0].cell(2, 3).add_table(rows=1, cols=1)
    document.save(str(tmp_path / "nested.docx"))
    code, err = iqc("parse", tmp_path / "nested.docx", "-o", tmp_path / "rows.csv")
    assert code == EXIT_OK, err
    said = [line for line in err.splitlines() if "table inside the cell" in line]
    assert [line.split(": the table")[0].rsplit(":", 1)[1] for line in said] == ["table1!row2", "table2!row2"]
    assert all("column 4 is not read" in line for line in said)


def _docx_with_spanned_header(tmp: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("项目名称：道路养护")
    table = document.add_table(rows=3, cols=4)
    for row, cells in enumerate([["一级指标", "三级指标", "指标值", ""], ["产出指标", "养护里程", "≥", "120公里"],
                                 ["产出指标", "验收合格率", "", "100%"]]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    table.cell(0, 2).merge(table.cell(0, 3))
    document.save(str(tmp / "spanned.docx"))
    return tmp / "spanned.docx"


def _pdf_with_spanned_header(tmp: Path) -> Path:
    from fpdf.fonts import FontFace

    pdf = _cjk_pdf()
    pdf.cell(0, 10, "项目名称：道路养护", new_x="LMARGIN", new_y="NEXT")
    with pdf.table(headings_style=FontFace()) as rows:
        header = rows.row()
        header.cell("一级指标")
        header.cell("三级指标")
        header.cell("指标值", colspan=2)
        rows.row(["产出指标", "养护里程", "≥", "120公里"])
        rows.row(["产出指标", "验收合格率", "", "100%"])
    pdf.output(str(tmp / "spanned.pdf"))
    return tmp / "spanned.pdf"


@pytest.mark.parametrize("build", [_docx_with_spanned_header, pytest.param(_pdf_with_spanned_header, marks=needs_font)],
                         ids=["docx", "pdf"])
def test_header_cell_merged_across_two_columns_reads_them_as_one(tmp_path: Path, iqc, build) -> None:
    """指标值 merged over a sign column and a number column: every row was refused as "text beyond
    the header's columns"."""
    path = build(tmp_path)
    out = tmp_path / "rows.csv"
    code, err = iqc("parse", path, "-o", out)
    assert code == EXIT_OK, err
    assert read_csv(out)[["level3", "target_value"]].values.tolist() == [["养护里程", "≥120公里"], ["验收合格率", "100%"]]


@pytest.mark.parametrize("lines", [["项目名称：道路养护　　预算金额：100万元", "主管部门：交通运输局    实施期限：1年"],
                                   ["项目名称\t道路养护\t预算金额\t100万元", "主管部门\t交通运输局"]],
                         ids=["wide gaps", "tabs"])
def test_docx_label_value_pairs_side_by_side_on_a_line(tmp_path: Path, iqc, lines: list[str]) -> None:
    """The first label's value ran on over the others: project "道路养护　　预算金额：100万元", no
    budget, department "交通运输局    实施期限：1年" (or, laid out with tabs, no context at all)."""
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    _word_table(document, [["一级指标", "三级指标", "指标值"], ["产出指标", "养护里程", "120公里"]])
    document.save(str(tmp_path / "pairs.docx"))
    out = tmp_path / "rows.csv"
    assert iqc("parse", tmp_path / "pairs.docx", "-o", out)[0] == EXIT_OK
    assert read_csv(out)[["project_name", "budget_wan", "department"]].values.tolist() == [["道路养护", "100", "交通运输局"]]


def test_docx_budget_table_above_is_not_a_project_block(tmp_path: Path, iqc) -> None:
    import docx

    document = docx.Document()
    _word_table(document, [["项目名称", "预算数", "财政拨款"], ["道路养护", "300", "300"], ["桥梁检测", "50", "50"]])
    document.add_paragraph("")
    _word_table(document, [["一级指标", "三级指标", "指标值"], ["产出指标", "养护里程", "120公里"]])
    document.save(str(tmp_path / "budget.docx"))
    out = tmp_path / "rows.csv"
    assert iqc("parse", tmp_path / "budget.docx", "-o", out)[0] == EXIT_OK
    assert read_csv(out)[["project_name", "budget_wan", "level3"]].values.tolist() == [["", "", "养护里程"]]


@needs_font
def test_pdf_project_block_in_a_table_of_its_own_is_the_context(tmp_path: Path, iqc) -> None:
    from fpdf.fonts import FontFace

    pdf = _cjk_pdf()
    with pdf.table(first_row_as_headings=False) as rows:
        rows.row(["项目名称", "道路养护", "主管部门", "交通运输局"])
        rows.row(["预算金额（万元）", "45", "实施期限", "1年"])
    pdf.ln(4)
    with pdf.table(headings_style=FontFace()) as rows:
        rows.row(["一级指标", "二级指标", "三级指标", "指标值"])
        rows.row(["产出指标", "数量指标", "养护里程", "120公里"])
    pdf.output(str(tmp_path / "block.pdf"))
    out = tmp_path / "rows.csv"
    assert iqc("parse", tmp_path / "block.pdf", "-o", out)[0] == EXIT_OK
    assert read_csv(out)[["project_name", "department", "budget_wan", "level3"]].values.tolist() == [
        ["道路养护", "交通运输局", "45", "养护里程"]]


@pytest.mark.parametrize(("cell", "text"), [
    ("5000吨稻谷、500吨成品粮储备到\n位率", "5000吨稻谷、500吨成品粮储备到位率"),
    ("annual\nreport", "annual report"),
    ("≥\n95%", "≥95%"),
    ("3500\n公斤", "3500公斤"),
    (None, ""),
])
def test_pdf_cell_lines_are_rejoined(cell: str | None, text: str) -> None:
    from nlp.readers.pdf import _cell_text

    assert _cell_text(cell) == text


def test_docx_scoring_rubric_is_skipped_with_the_reason(tmp_path: Path, iqc) -> None:
    import docx

    document = docx.Document()
    rubric = (["一级指标", "二级指标", "三级指标", "分值", "评分标准"], ["产出指标", "数量指标", "养护里程", "10", "完成得满分"])
    targets = (["一级指标", "二级指标", "三级指标", "指标值"], ["产出指标", "数量指标", "养护里程", "120公里"])
    for header, row in (rubric, targets):
        table = document.add_table(rows=2, cols=len(header))
        for cells, texts in zip(table.rows, (header, row)):
            for cell, text in zip(cells.cells, texts):
                cell.text = text
    document.save(str(tmp_path / "rubric.docx"))
    out = tmp_path / "rows.csv"
    code, err = iqc("parse", tmp_path / "rubric.docx", "-o", out)
    assert code == EXIT_OK, err
    assert "skipped table1: 绩效评价评分表(scoring rubric), not a target table" in err
    assert read_csv(out)["source_line"].tolist() == ["table2!row2"]


def _overprinted_pdf(path: Path, offset_mm: float) -> Path:
    """A ruled table whose header and 三级 names are printed twice, ``offset_mm`` apart (bold
    imitated by overprinting, as exported forms do)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("cjk", "", make.cjk_font())
    pdf.set_font("cjk", size=11)
    pdf.text(20, 20, "项目名称：测试项目")
    for row, cells in enumerate([["一级指标", "三级指标", "指标值"], ["产出指标", "培训人次", "≥500人次"],
                                 ["产出指标", "人人参与率", "≥95%"]]):
        for column, text in enumerate(cells):
            pdf.rect(20 + 50 * column, 30 + 10 * row, 50, 10)
            pdf.text(22 + 50 * column, 37 + 10 * row, text)
            if row == 0 or column == 1:
                pdf.text(22 + 50 * column + offset_mm, 37 + 10 * row, text)
    pdf.output(str(path))
    return path


@needs_font
@pytest.mark.parametrize("offset_mm", [0.1, 0.3])
def test_overprinted_text_is_read_once(tmp_path: Path, offset_mm: float) -> None:
    """Read twice, 三级指标 was 三三级级指指标标: no header was recognised and the table was lost.
    A character repeated by the text itself (人人) is not an overprint."""
    read = read_file(_overprinted_pdf(tmp_path / "bold.pdf", offset_mm))
    frame = next(iter(read.frames))
    assert frame[["project_name", "level1", "level3", "target_value"]].values.tolist() == [
        ["测试项目", "产出指标", "培训人次", "≥500人次"], ["测试项目", "产出指标", "人人参与率", "≥95%"]]
