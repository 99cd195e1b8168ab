"""What calamine does not give of an .ods sheet, read from the file's ``content.xml``: the cells
merged down several rows, and the rows the sheet hides.

Cells and rows carry repeat counts (``number-columns-repeated``, ``number-rows-repeated``); a
merged cell carries ``number-rows-spanned`` and the cells it covers are ``covered-table-cell``; a
hidden row has ``visibility`` ``collapse`` (hidden) or ``filter`` (filtered out). Rows and columns
are 0-based, as calamine's grid has them.
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree

from nlp.readers.merged_cells import vertical_merges
from nlp.readers.sheet_layout import SheetLayout

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_CELLS = (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")


def ods_layouts(path: Path) -> dict[str, SheetLayout]:
    """Sheet name -> its merges and hidden rows."""
    sheets: dict[str, SheetLayout] = {}
    boxes: list[tuple[int, int, int, int]] = []
    hidden: set[int] = set()
    row = column = 0
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as stream:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == f"{_TABLE}table":
                    boxes, hidden, row = [], set(), 0
                elif tag == f"{_TABLE}table-row":
                    column = 0
                elif tag in _CELLS:
                    spanned = int(element.get(f"{_TABLE}number-rows-spanned", "1"))
                    if spanned > 1:
                        boxes.append((row, column, row + spanned - 1, column))
                    column += int(element.get(f"{_TABLE}number-columns-repeated", "1"))
            elif tag == f"{_TABLE}table-row":
                repeated = int(element.get(f"{_TABLE}number-rows-repeated", "1"))
                if element.get(f"{_TABLE}visibility", "visible") != "visible" and repeated < 1 << 16:
                    hidden.update(range(row, row + repeated))  # not the sheet's million blank rows
                row += repeated
                element.clear()
            elif tag == f"{_TABLE}table":
                sheets[element.get(f"{_TABLE}name", "")] = SheetLayout(vertical_merges(boxes), hidden)
                element.clear()
    return sheets
