"""Searching an .xlsx part's XML without parsing it.

openpyxl's read-only mode streams the cells and nothing else; what the readers need besides them
(formula cells, merged ranges) is found by a regular expression over the sheet's XML, streamed in
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
