"""What calamine does not give of an .ods sheet, read from the file's ``content.xml``: the cells
merged down several rows, the rows the sheet hides, and the numbers it shows as percentages.

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

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_VALUE_TYPE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}value-type"
_CELLS = (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")
_SHOWN_DECIMALS = re.compile(r"[.,]([0-9]+)\s*%")


def ods_extras(path: Path) -> dict[str, SheetExtras]:
    """Sheet name -> its merges, hidden rows and columns, and percent formats."""
    sheets: dict[str, SheetExtras] = {}
    boxes: list[tuple[int, int, int, int]] = []
    hidden: set[int] = set()
    hidden_columns: set[int] = set()
    formats: dict[int, dict[int, str]] = {}
    percent: tuple[int, int] | None = None  # the open percentage cell's first column and repeat count
    row = column = declared = 0  # declared: the columns the table has described so far
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as stream:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == f"{_TABLE}table":
                    boxes, hidden, hidden_columns, formats, row, declared = [], set(), set(), {}, 0, 0
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
                    repeated = int(element.get(f"{_TABLE}number-columns-repeated", "1"))
                    percent = (column, repeated) if element.get(_VALUE_TYPE) == "percentage" else None
                    column += repeated
            elif tag in _CELLS and percent:
                number_format = _shown_format("".join(element.itertext()))
                formats.setdefault(row, {}).update(dict.fromkeys(range(percent[0], sum(percent)), number_format))
                percent = None
            elif tag == f"{_TABLE}table-row":
                repeated = int(element.get(f"{_TABLE}number-rows-repeated", "1"))
                if repeated < 1 << 16:  # not the sheet's million blank rows
                    if element.get(f"{_TABLE}visibility", "visible") != "visible":
                        hidden.update(range(row, row + repeated))
                    if row in formats:
                        formats.update(dict.fromkeys(range(row + 1, row + repeated), formats[row]))
                row += repeated
                element.clear()
            elif tag == f"{_TABLE}table":
                layout = SheetLayout(vertical_merges(boxes), hidden, hidden_columns)
                sheets[element.get(f"{_TABLE}name", "")] = SheetExtras(layout, formats)
                element.clear()
    return sheets


def _shown_format(shown: str) -> str:
    """The percent format a cell's shown text implies: ``95.12%`` -> ``0.00%``."""
    decimals = _SHOWN_DECIMALS.search(shown)
    return f"0.{'0' * len(decimals[1])}%" if decimals else "0%"
