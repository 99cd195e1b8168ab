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


_HIDDEN_ROW = re.compile(rb'<row\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_ROW_NUMBER = re.compile(rb'\br="([0-9]+)"')


def hidden_rows(handle: IO[bytes], part: str) -> set[int]:
    """The numbers (as Excel shows them) of the rows the sheet ``part`` hides."""
    return {int(number.group(1)) for match in part_matches(handle, part, _HIDDEN_ROW)
            if (number := _ROW_NUMBER.search(match.group(0)))}
