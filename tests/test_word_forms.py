"""Word forms: what a department fills into a template is read wherever the template wraps it.

Templates put fill-in fields in content controls (``w:sdt``) around runs, paragraphs, cells, rows
(a repeating section) or the whole table, and reviewers' copies carry tracked changes. Each was
lost before: an empty value, a cell missing so that the cells after it moved one column left,
lost rows, a lost table.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from nlp.readers import read_file

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
CHANGE = 'w:author="审核人" w:date="2023-01-01T00:00:00Z"'

#: How the 指标值 cell holds "≥95%" (paragraph XML), and what is read from it.
CELL_CONTENT = {
    "run in a content control": (f'<w:p {W}><w:sdt><w:sdtContent><w:r><w:t>≥95%</w:t></w:r></w:sdtContent></w:sdt></w:p>', "≥95%"),
    "paragraph in a content control": (f'<w:sdt {W}><w:sdtContent><w:p><w:r><w:t>≥95%</w:t></w:r></w:p></w:sdtContent></w:sdt>', "≥95%"),
    "tracked insertion": (f'<w:p {W}><w:r><w:t>≥</w:t></w:r><w:ins w:id="1" {CHANGE}><w:r><w:t>95%</w:t></w:r></w:ins></w:p>', "≥95%"),
    "tracked deletion": (f'<w:p {W}><w:r><w:t>≥95%</w:t></w:r><w:del w:id="2" {CHANGE}><w:r><w:delText>≥90%</w:delText></w:r></w:del></w:p>', "≥95%"),
    "simple field": (f'<w:p {W}><w:fldSimple w:instr="QUOTE 95"><w:r><w:t>≥95%</w:t></w:r></w:fldSimple></w:p>', "≥95%"),
    "smart tag": (f'<w:p {W}><w:smartTag w:uri="u" w:element="e"><w:r><w:t>≥95%</w:t></w:r></w:smartTag></w:p>', "≥95%"),
    "hyperlink": (f'<w:p {W}><w:hyperlink w:anchor="a"><w:r><w:t>≥95%</w:t></w:r></w:hyperlink></w:p>', "≥95%"),
    "hidden instructions": (f'<w:p {W}><w:r><w:t>≥95%</w:t></w:r><w:r><w:rPr><w:vanish/></w:rPr><w:t>（填写说明：填百分比）</w:t></w:r></w:p>', "≥95%"),
    "vanish switched off": (f'<w:p {W}><w:r><w:rPr><w:vanish w:val="0"/></w:rPr><w:t>≥95%</w:t></w:r></w:p>', "≥95%"),
    "placeholder of an empty content control": (f'<w:p {W}><w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent><w:r><w:t>单击或点击此处输入文字。</w:t></w:r></w:sdtContent></w:sdt></w:p>', ""),
    "symbol from Insert > Symbol": (f'<w:p {W}><w:r><w:sym w:font="Symbol" w:char="F0B3"/><w:t>95%</w:t></w:r></w:p>', "≥95%"),
    "Symbol-font code as text (a .doc converted)": (f'<w:p {W}><w:r><w:rPr><w:rFonts w:ascii="Symbol" w:hAnsi="Symbol"/></w:rPr><w:t>\uf0b3</w:t></w:r><w:r><w:t>95%</w:t></w:r></w:p>', "≥95%"),
    "symbol of another font": (f'<w:p {W}><w:r><w:sym w:font="Wingdings" w:char="F0FE"/><w:t>95%</w:t></w:r></w:p>', "\ufffd95%"),
    "tab and line break": (f'<w:p {W}><w:r><w:t>≥95%</w:t><w:br/><w:t>抽样</w:t><w:tab/><w:t>调查</w:t></w:r></w:p>', "≥95%\n抽样\t调查"),
}


def _document(path: Path, wrap=None, cell_xml: str | None = None) -> Path:
    """项目名称 above a table of a header and two indicator rows; ``cell_xml`` replaces the first
    row's 指标值 paragraph; ``wrap(table)`` wraps a part of the table in a content control."""
    import docx

    document = docx.Document()
    document.add_paragraph("项目名称：测试项目")
    table = document.add_table(rows=3, cols=3)
    for row, cells in enumerate([["一级指标", "三级指标", "指标值"], ["产出指标", "培训人次", "≥500人次"],
                                 ["产出指标", "合格率", "≥95%"]]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    if cell_xml is not None:
        _replace_content(table.cell(2, 2)._tc, cell_xml)
    if wrap:
        wrap(table)
    document.save(str(path))
    return path


def _replace_content(tc, xml: str) -> None:
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn

    for paragraph in tc.findall(qn("w:p")):
        tc.remove(paragraph)
    tc.append(parse_xml(xml))


def _wrapped(element) -> None:
    """``element`` moved into a content control standing where it stood."""
    from docx.oxml import parse_xml

    control = parse_xml(f"<w:sdt {W}><w:sdtContent/></w:sdt>")
    element.getparent().replace(element, control)
    control[0].append(element)


WRAPS = {
    "a cell": lambda table: _wrapped(table._tbl.tr_lst[1].tc_lst[1]),
    "a row (a repeating section)": lambda table: _wrapped(table._tbl.tr_lst[2]),
    "the whole table": lambda table: _wrapped(table._tbl),
}


@pytest.mark.parametrize("wrap", WRAPS.values(), ids=WRAPS.keys())
def test_a_table_cell_or_row_in_a_content_control_is_read_in_place(tmp_path: Path, wrap) -> None:
    read = read_file(_document(tmp_path / "form.docx", wrap))
    frame = next(iter(read.frames))
    assert frame[["project_name", "level1", "level3", "target_value"]].values.tolist() == [
        ["测试项目", "产出指标", "培训人次", "≥500人次"], ["测试项目", "产出指标", "合格率", "≥95%"]]


@pytest.mark.parametrize("content, expected", CELL_CONTENT.values(), ids=CELL_CONTENT.keys())
def test_a_cell_reads_as_word_shows_it(tmp_path: Path, content: str, expected: str) -> None:
    read = read_file(_document(tmp_path / "form.docx", cell_xml=content))
    assert next(iter(read.frames))["target_value"].tolist() == ["≥500人次", expected]


def test_empty_paragraphs_around_a_value_are_not_read(tmp_path: Path) -> None:
    """Enter pressed after a value, or cells merged into it (Word keeps their empty paragraphs):
    the value read was "≥95%\\n", and a merged 一级 "产出指标\\n" was a category of its own."""
    import docx

    path = _document(tmp_path / "form.docx")
    document = docx.Document(str(path))
    cell = document.tables[0].cell(2, 2)
    cell.add_paragraph("")
    cell.paragraphs[0].insert_paragraph_before(" ")
    document.save(str(path))
    assert next(iter(read_file(path).frames))["target_value"].tolist() == ["≥500人次", "≥95%"]
