"""What calamine does not give of an .ods sheet, read from the file's ``content.xml``: the cells
merged down several rows, the rows the sheet hides, the numbers it shows as percentages, the
text of a cell holding a tab or a line break within a paragraph (``text:tab``, ``text:line-break``,
which calamine leaves out: ``见<tab/>附表`` read ``见附表``), and the text of an error cell (a
formula that failed: LibreOffice saves ``#N/A`` as its shown text and an empty string as its value,
which calamine gives: the cell read as empty, as an .xlsx's or .xls's reads ``#N/A``).

Cells and rows carry repeat counts (``number-columns-repeated``, ``number-rows-repeated``); a
merged cell carries ``number-rows-spanned`` and the cells it covers are ``covered-table-cell``; a
hidden row has ``visibility`` ``collapse`` (hidden) or ``filter`` (filtered out); a percentage is
``value-type="percentage"`` with the fraction as its value (calamine gives 0.95) and the text shown
(``95%``, whose decimals the format keeps). Rows and columns are 0-based, as calamine's grid has
them.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from nlp.readers.merged_cells import vertical_merges
from nlp.readers.sheet_layout import SheetExtras, SheetLayout
from nlp.readers.xlsx_parts import DESCRIPTION_TAG

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_VALUE_TYPE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}value-type"
#: LibreOffice's own value type, which says "error" where the office one says "string".
_CALC_VALUE_TYPE = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}value-type"
_CELLS = (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_ANNOTATION = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}annotation"
#: The marks calamine reads a cell's text without, and what each is in the text.
_MARKS = {f"{_TEXT}tab": "\t", f"{_TEXT}line-break": "\n"}
_SHOWN_DECIMALS = re.compile(r"[.,]([0-9]+)\s*%")


def ods_extras(path: Path) -> dict[str, SheetExtras]:
    """Sheet name -> its merges, hidden rows and columns, percent formats, and the texts of the
    cells whose marks calamine leaves out or that hold an error."""
    sheets: dict[str, SheetExtras] = {}
    boxes: list[tuple[int, int, int, int]] = []
    hidden: set[int] = set()
    hidden_columns: set[int] = set()
    formats: dict[int, dict[int, str]] = {}
    texts: dict[int, dict[int, str]] = {}
    cell = range(0)  # the open cell's columns (a cell repeated across several)
    percent = marked = False  # the open cell is a percentage; it holds one of the _MARKS or is an error
    row = column = declared = 0  # declared: the columns the table has described so far
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as stream:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == f"{_TABLE}table":
                    boxes, hidden, hidden_columns, formats, texts, row, declared = [], set(), set(), {}, {}, 0, 0
                elif tag == f"{_TABLE}table-column":
                    repeated = int(element.get(f"{_TABLE}number-columns-repeated", "1"))
                    if element.get(f"{_TABLE}visibility", "visible") != "visible" and repeated < 1 << 14:
                        hidden_columns.update(range(declared, declared + repeated))
                    declared += repeated
                elif tag == f"{_TABLE}table-row":
                    column = 0
                elif tag in _CELLS:
                    spanned = int(element.get(f"{_TABLE}number-rows-spanned", "1"))
                    if spanned > 1:
                        boxes.append((row, column, row + spanned - 1, column))
                    cell = range(column, column + int(element.get(f"{_TABLE}number-columns-repeated", "1")))
                    percent, marked = element.get(_VALUE_TYPE) == "percentage", element.get(_CALC_VALUE_TYPE) == "error"
                    column = cell.stop
                elif tag in _MARKS:
                    marked = True
            elif tag in _CELLS and (percent or marked):
                if percent:
                    formats.setdefault(row, {}).update(dict.fromkeys(cell, _shown_format("".join(element.itertext()))))
                if marked:
                    texts.setdefault(row, {}).update(dict.fromkeys(cell, _cell_text(element)))
                percent = marked = False
            elif tag == f"{_TABLE}table-row":
                repeated = int(element.get(f"{_TABLE}number-rows-repeated", "1"))
                if repeated < 1 << 16:  # not the sheet's million blank rows
                    if element.get(f"{_TABLE}visibility", "visible") != "visible":
                        hidden.update(range(row, row + repeated))
                    for shown in (formats, texts):
                        if row in shown:
                            shown.update(dict.fromkeys(range(row + 1, row + repeated), shown[row]))
                row += repeated
                element.clear()
            elif tag == f"{_TABLE}table":
                layout = SheetLayout(vertical_merges(boxes), hidden, hidden_columns)
                sheets[element.get(f"{_TABLE}name", "")] = SheetExtras(layout, formats, texts)
                element.clear()
    return sheets


def ods_description(path: Path) -> str:
    """The document's description (``meta.xml``), "" when it has none: LibreOffice keeps an
    .xlsx's, saving it as .ods."""
    with zipfile.ZipFile(path) as archive:
        if "meta.xml" not in archive.namelist():
            return ""
        found = ElementTree.fromstring(archive.read("meta.xml")).find(f".//{DESCRIPTION_TAG}")
    return (found.text or "") if found is not None else ""


def _shown_format(shown: str) -> str:
    """The percent format a cell's shown text implies: ``95.12%`` -> ``0.00%``."""
    decimals = _SHOWN_DECIMALS.search(shown)
    return f"0.{'0' * len(decimals[1])}%" if decimals else "0%"


def _cell_text(cell: ElementTree.Element) -> str:
    """The text a cell shows: its paragraphs a line each (its note left out), with their marks."""
    return "\n".join(_run_text(paragraph) for paragraph in cell if paragraph.tag != _ANNOTATION)


def _run_text(element: ElementTree.Element) -> str:
    """An element's text with its spans', a mark as the character it stands for, ``text:s`` as its spaces."""
    parts = [element.text or ""]
    for child in element:
        if child.tag in _MARKS:
            parts.append(_MARKS[child.tag])
        elif child.tag == f"{_TEXT}s":
            parts.append(" " * int(child.get(f"{_TEXT}c", "1")))
        else:
            parts.append(_run_text(child))
        parts.append(child.tail or "")
    return "".join(parts)
