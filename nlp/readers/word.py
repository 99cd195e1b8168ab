"""Word .docx documents: every table in the body, with the paragraphs above it as context.

Departments attach their 绩效目标表 as Word files: a few paragraphs (项目名称：…, 主管部门：…,
年度绩效目标：…) and a table whose 一级/二级 cells are merged down the rows they cover; one file
often holds several projects. The body is walked in document order so each table gets the
paragraphs written since the previous table, or, with none between, the rows of a table just
above it that has no indicator header (the project block, 项目名称 | X | 预算金额 | 30, as a table
of its own). A table split at a page break into two Word tables (header repeated or not, nothing
but a break or a "续表" between them) is read as one; a frame table drawn around a form is read
as what is inside it. Merged cells are read from the XML (``gridSpan`` across, ``vMerge`` down):
a cell merged across is blank after its first grid column, and a cell merged down is read on
every row it spans (:mod:`nlp.readers.merged_cells`), as in Excel.

Text is read from the XML too, as Word shows it, because forms wrap what is filled in:
python-docx's ``text`` and its lists of tables, rows and cells read only direct children, so a
table, row or cell inside a content control (``w:sdt``: a template's fill-in field, a repeating
section's rows) or custom XML was left out — a lost table, lost rows, or a cell missing so that
every cell after it moved one column left — and so were runs inside content controls, tracked
insertions (``w:ins``), simple fields and smart tags. Deleted text (``w:del``) is not read, nor
hidden text (``w:vanish``), which Word neither shows nor prints, nor the placeholder of an empty
content control; a symbol (≥ put in with Insert > Symbol: ``w:sym``, or a Symbol-font code in a
.doc) is read as the character shown.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import dropwhile
from pathlib import Path
from typing import Any, NamedTuple

from lxml import etree

from nlp.readers.base import InputError
from nlp.readers.grid import Grid, continue_grid, continues, has_header, read_grids, with_project_blocks
from nlp.readers.merged_cells import VerticalMerge, vertical_merges
from nlp.readers.sheet_layout import SheetLayout
from nlp.readers.tabular import FileRead

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: Elements that wrap block, row or cell content without changing what is shown.
_WRAPPERS = {_W + "sdt", _W + "sdtContent", _W + "customXml"}
#: A line saying the table goes on from the page before ("续表", "续表3-1", "表1（续）", a title
#: ending in "（续）"): not text between two tables, which would make the second a table of its own.
_CONTINUED = re.compile(r"(?:续表|续上表)\s*[\w.\-－—]{0,8}|[^:：]{0,30}[（(]续(?:表|上表)?[）)]")
#: An on/off property that is on (``<w:vanish/>``; not ``<w:vanish w:val="0"/>``).
_ON = "[not(@w:val = '0' or @w:val = 'false' or @w:val = 'off')]"
#: A run's text as Word shows it, in document order: text, tabs, breaks, symbols; not the text of a
#: deletion, of a text box (drawn apart from the paragraph), of the fallback copy of a drawing, hidden
#: text (``w:vanish``: a template's fill-in instructions, neither shown nor printed), nor the
#: placeholder an empty content control shows (单击或点击此处输入文字。: nothing was filled in).
_SHOWN_TEXT_PATH = ("(.//w:r/w:t | .//w:r/w:tab | .//w:r/w:br | .//w:r/w:cr | .//w:r/w:noBreakHyphen | .//w:r/w:sym)"
                    "[not(ancestor::w:del) and not(ancestor::w:moveFrom) and not(ancestor::w:txbxContent)"
                    f" and not(ancestor::mc:Fallback) and not(../w:rPr/w:vanish{_ON})"
                    f" and not(ancestor::w:sdtContent[../w:sdtPr/w:showingPlcHdr{_ON}])]")
_NAMESPACES = {"w": _W[1:-1], "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}
_SHOWN_TEXT = etree.XPath(_SHOWN_TEXT_PATH, namespaces=_NAMESPACES)
_NESTED_TABLES = etree.XPath(".//w:tc//w:tbl", namespaces=_NAMESPACES)
_NESTED_TEXT = etree.XPath("boolean(.//w:tbl//w:t[normalize-space()])", namespaces=_NAMESPACES)
_SHOWN_AS = {_W + "tab": "\t", _W + "br": "\n", _W + "cr": "\n", _W + "noBreakHyphen": "-"}
#: A symbol font's codes (F000 + the code in the font) written as characters of a run.
_FONT_CODES = re.compile("[\uf000-\uf0ff]")
#: The Symbol font's characters from 0xA3 (Insert > Symbol stores ≥ as ``<w:sym w:font="Symbol"
#: w:char="F0B3"/>``) and the few below 0x40 that are not ASCII's.
_SYMBOL_FONT = {0x22: "∀", 0x24: "∃", 0x27: "∋", **dict(zip(range(0xA3, 0xBC), "≤⁄∞ƒ♣♦♥♠↔←↑→↓°±″≥×∝∂•÷≠≡≈"))}


def read_docx(path: Path, chunk_size: int | None, source: Path | None = None) -> FileRead:
    """The indicator tables of a .docx; ``source_line`` is ``table<N>!row<M>`` (1-based).

    ``source`` is the file to name in rows and messages when ``path`` is a conversion of it (.doc).
    """
    import docx

    named = source or path
    try:
        grids = _grids(named, docx.Document(str(path)))
    except InputError:
        raise
    except Exception as error:  # noqa: BLE001 - python-docx, the zip and lxml raise many types for a damaged file
        # a damaged document.xml in a sound zip (lxml's XMLSyntaxError) or one without a body was a
        # traceback that ended the whole batch, the other files' rows unwritten
        raise InputError(str(named), f"not a readable Word .docx document ({type(error).__name__}: {error})") from error
    return read_grids(named, grids, chunk_size)


def _grids(path: Path, document: object) -> list[Grid]:
    """The body's tables, each with the paragraphs since the table before as the lines above it
    (see :func:`~nlp.readers.grid.with_project_blocks` for a project block in a table of its own).
    A table right below an indicator table, as wide and introducing no project, is that table
    continued after a page break."""
    grids: list[Grid] = []
    above: list[list[str]] = []
    number = 0
    for item in _blocks(document.element.body):  # type: ignore[attr-defined]
        if item.tag == _W + "p":
            if (text := _paragraph_text(item)).strip() and not _CONTINUED.fullmatch(text.strip()):
                above.append([text])
            continue
        number += 1
        grid = _grid(path, item, number, above)
        if not above and grids and continues(grids[-1], grid):
            continue_grid(grids[-1], grid)
        else:
            grids.append(grid)
        above = []
    return with_project_blocks(grids)


def _blocks(parent: Any) -> Iterator[Any]:
    """The paragraphs and tables of ``parent`` in reading order. A layout table (a frame drawn
    around the form, :func:`_is_frame`) gives its cells' paragraphs and tables instead; read as a
    table, the indicator table inside was lost."""
    for item in _unwrapped(parent, ("p", "tbl")):
        if item.tag == _W + "tbl" and _is_frame(item):
            for tc in (tc for tr in _unwrapped(item, ("tr",)) for tc in _unwrapped(tr, ("tc",))):
                yield from _blocks(tc)
        else:
            yield item


#: Cells filled in a row of indicators (一级, 三级, 指标值): a frame's rows have fewer.
_INDICATOR_ROW_CELLS = 3


def _is_frame(tbl: Any) -> bool:
    """A frame drawn around a form: tables nested in its cells, no indicator header of its own, and
    either one in a table inside it or no row filled like an indicator's. A table of indicators
    continued after a page break has no header of its own either: one with a table pasted into a
    cell was taken for a frame, and its rows were lost."""
    nested = _NESTED_TABLES(tbl)
    if not nested or has_header(rows := _rows(tbl)):
        return False
    return (any(has_header(_rows(inner)) for inner in nested)
            or all(sum(bool(cell.strip()) for cell in row) < _INDICATOR_ROW_CELLS for row in rows))


class _Row(NamedTuple):
    """A table row as grid cells (a merged cell's text in its first grid column, then blanks), the
    ``vMerge`` state (restart/continue) of its cells merged down, by grid column, the (first,
    last) grid columns of its cells merged across, and the grid columns of its cells holding a
    table with text (not read: see :func:`_nested_warning`)."""

    cells: list[str]
    down: dict[int, str]
    across: list[tuple[int, int]]
    nested: list[int]


def _rows(tbl: Any) -> list[list[str]]:
    return [row.cells for row in map(_row, _unwrapped(tbl, ("tr",)))]


def _grid(path: Path, tbl: Any, number: int, above: list[list[str]]) -> Grid:
    parsed = [_row(tr) for tr in _unwrapped(tbl, ("tr",))]
    rows = [row.cells for row in parsed]
    locations = [f"table{number}!row{index}" for index in range(1, len(rows) + 1)]
    spans = [(index, first, last) for index, row in enumerate(parsed) for first, last in row.across]
    nested = [_nested_warning(path, locations[index], column) for index, row in enumerate(parsed) for column in row.nested]
    return Grid(f"table{number}", f"{path.stem}#{number}", rows, locations, above,
                layout=SheetLayout(_vertical_merges(row.down for row in parsed), spans=spans), notes=nested)


def _nested_warning(path: Path, location: str, column: int) -> InputError:
    """A table inside a cell of an indicator table is left out of the cell's text (its rows are not
    the table's rows, nor one cell's text): said, for it was dropped without a word."""
    return InputError(str(path), f"the table inside the cell of column {column + 1} is not read (its text is not in "
                                 "the cell): copy it into the cell as text", location)


def _row(tr: object) -> _Row:
    row = _Row([""] * getattr(tr, "grid_before", 0), {}, [], [])
    for tc in _unwrapped(tr, ("tc",)):
        first = len(row.cells)
        if tc.vMerge:
            row.down[first] = tc.vMerge
        if tc.grid_span > 1:
            row.across.append((first, first + tc.grid_span - 1))
        if _NESTED_TEXT(tc):
            row.nested.append(first)
        row.cells.extend(["" if tc.vMerge == "continue" else _cell_text(tc), *[""] * (tc.grid_span - 1)])
    return row


def _unwrapped(parent: Any, names: tuple[str, ...]) -> Iterator[Any]:
    """The children of ``parent`` named ``names`` (``w:`` local names), in order, also those
    inside content controls and custom XML."""
    wanted = {_W + name for name in names}
    for child in parent:
        if child.tag in wanted:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _unwrapped(child, names)


def _paragraph_text(paragraph: Any) -> str:
    return "".join(map(_node_text, _SHOWN_TEXT(paragraph)))


def _node_text(node: Any) -> str:
    if node.tag == _W + "sym":
        return _symbol(node.get(_W + "font", ""), int(node.get(_W + "char", "FFFD"), 16))
    text = _SHOWN_AS.get(node.tag, node.text or "")
    if _FONT_CODES.search(text):  # a symbol font's codes typed as text (a .doc as LibreOffice converts it)
        fonts = node.getparent().find(f"{_W}rPr/{_W}rFonts")
        font = "" if fonts is None else fonts.get(_W + "ascii", "")
        text = _FONT_CODES.sub(lambda code: _symbol(font, ord(code[0])), text)
    return text


def _symbol(font: str, code: int) -> str:
    """The character a symbol font's code shows: a code in the private range (F000 + its code in
    the font) is read through the Symbol font's table, else shown as U+FFFD (a Wingdings box …)
    rather than dropped, so "≥95%" never reads as "95%" without a word."""
    if not 0xF000 <= code <= 0xF0FF:
        return chr(code)
    code -= 0xF000
    if font.lower() != "symbol":
        return "\ufffd"
    return _SYMBOL_FONT.get(code) or (chr(code) if 0x20 <= code < 0x40 else "\ufffd")


def _cell_text(tc: Any) -> str:
    """The cell's paragraphs (not those of a table nested in it), a line each, without the empty
    ones at its end or start: Enter pressed after a value, the cells merged into it (Word keeps
    their paragraphs) and a nested table's closing paragraph are layout, not text (产出指标 and an
    empty line was a 一级 of its own)."""
    lines = [_paragraph_text(paragraph) for paragraph in _unwrapped(tc, ("p",))]
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(dropwhile(lambda line: not line.strip(), lines))


def _vertical_merges(states: Iterable[dict[int, str]]) -> list[VerticalMerge]:
    """The cells merged down, from each row's ``vMerge`` states: a merge starts at ``restart`` and
    runs while the rows below ``continue`` it in the same grid column."""
    running: dict[int, list[int]] = {}  # column -> [first row, last row]
    boxes = []
    for row, by_column in enumerate(states):
        for column in [column for column in running if by_column.get(column) != "continue"]:
            first, last = running.pop(column)
            boxes.append((first, column, last, column))
        for column, state in by_column.items():
            if state == "restart":
                running[column] = [row, row]
            elif column in running:
                running[column][1] = row
    boxes += [(first, column, last, column) for column, (first, last) in running.items()]
    return vertical_merges(boxes)
