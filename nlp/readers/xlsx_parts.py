"""Searching an .xlsx part's XML without parsing it.

openpyxl's read-only mode streams the cells and nothing else; what the readers need besides them
(formula cells, merged ranges, hidden rows) is found by a regular expression over the sheet's XML, streamed in
blocks: a sheet of a million rows is hundreds of MiB of XML, and ``<mergeCells>`` comes after all
of them.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from typing import IO

from nlp.readers.merged_cells import vertical_merges
from nlp.readers.sheet_layout import SheetLayout

_BLOCK = 1 << 20
_OVERLAP = 512  # longer than any element these patterns match


def part_matches(handle: IO[bytes], part: str, pattern: re.Pattern[bytes]) -> Iterator[re.Match[bytes]]:
    """Every match of ``pattern`` in the zip member ``part``, each block searched from where the
    previous block's matches ended (a match is never cut by a block's edge, nor found twice)."""
    tail = b""
    with zipfile.ZipFile(handle) as archive, archive.open(part) as stream:
        while block := stream.read(_BLOCK):
            text = tail + block
            end = 0
            for match in pattern.finditer(text):
                end = match.end()
                yield match
            tail = text[max(end, len(text) - _OVERLAP):]


#: A merge (its range) or a hidden row (its opening tag), found in one pass over the sheet.
_LAYOUT = re.compile(rb'<mergeCell\b[^>]*?\bref="([A-Z]{1,3}[0-9]+):([A-Z]{1,3}[0-9]+)"'
                     rb'|<row\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_ROW_NUMBER = re.compile(rb'\br="([0-9]+)"')


def xlsx_layout(handle: IO[bytes], part: str) -> SheetLayout:
    """The merges and hidden rows of the .xlsx sheet ``part``, rows numbered as Excel shows them."""
    from openpyxl.utils.cell import range_boundaries

    boxes, hidden = [], set()
    for match in part_matches(handle, part, _LAYOUT):
        if match.group(1):
            min_col, min_row, _, max_row = range_boundaries(f"{match.group(1).decode()}:{match.group(2).decode()}")
            boxes.append((min_row, min_col - 1, max_row, min_col - 1))
        elif number := _ROW_NUMBER.search(match.group(0)):
            hidden.add(int(number.group(1)))
    return SheetLayout(vertical_merges(boxes), hidden)
