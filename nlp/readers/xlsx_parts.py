"""What calamine does not give of an .xlsx workbook, read from its XML parts.

calamine reads the cell values; besides them the readers need a sheet's merged ranges, its hidden
rows, which numbers are shown as percentages (0.95 in a ``0%`` cell is ``95%`` on screen) and the
text of error cells (``#N/A``, which calamine gives as an empty cell). A sheet's XML is searched
by one regular expression, streamed in blocks: a sheet of a million rows is hundreds of MiB of
XML, and ``<mergeCells>`` comes after all of them. The small parts (the workbook, its
relationships, the styles, the document properties) are parsed whole. Rows and columns are
0-based, as calamine's grid has them.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

from nlp.readers.merged_cells import vertical_merges
from nlp.readers.sheet_layout import SheetExtras, SheetLayout

_BLOCK = 1 << 20
_OVERLAP = 512  # longer than any element these patterns match
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_DESCRIPTION = "{http://purl.org/dc/elements/1.1/}description"
#: Excel's built-in number formats that show a percentage (ids 9 and 10 of ECMA-376 §18.8.30).
_BUILT_IN_PERCENT = {9: "0%", 10: "0.00%"}


def part_matches(archive: zipfile.ZipFile, part: str, pattern: re.Pattern[bytes]) -> Iterator[re.Match[bytes]]:
    """Every match of ``pattern`` in the zip member ``part``, each block searched from where the
    previous block's matches ended (a match is never cut by a block's edge, nor found twice)."""
    tail = b""
    with archive.open(part) as stream:
        while block := stream.read(_BLOCK):
            text = tail + block
            end = 0
            for match in pattern.finditer(text):
                end = match.end()
                yield match
            tail = text[max(end, len(text) - _OVERLAP):]


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part in the zip (``xl/worksheets/sheet1.xml``), through the workbook's
    relationships (a target is relative to ``xl/`` or absolute)."""
    targets = {relation.get("Id"): relation.get("Target", "")
               for relation in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
               .iter(_PACKAGE_RELATIONSHIP)}
    parts = {}
    for sheet in ElementTree.fromstring(archive.read("xl/workbook.xml")).iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_RELATIONSHIP_ID), "")
        if target:
            parts[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
    return parts


def percent_styles(archive: zipfile.ZipFile) -> dict[int, str]:
    """Cell style index -> its number format, for the styles whose format shows a percentage."""
    if "xl/styles.xml" not in archive.namelist():
        return {}
    styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    codes = {**_BUILT_IN_PERCENT, **{int(fmt.get("numFmtId", "-1")): fmt.get("formatCode", "")
                                     for fmt in styles.iter(f"{_MAIN}numFmt")}}
    cell_styles = styles.find(f"{_MAIN}cellXfs")
    found = {}
    for index, style in enumerate(cell_styles if cell_styles is not None else ()):
        code = codes.get(int(style.get("numFmtId", "0")), "")
        if "%" in code:
            found[index] = code
    return found


def workbook_description(archive: zipfile.ZipFile) -> str:
    """The workbook's description property (docProps/core.xml), "" when it has none."""
    if "docProps/core.xml" not in archive.namelist():
        return ""
    found = ElementTree.fromstring(archive.read("docProps/core.xml")).find(_DESCRIPTION)
    return (found.text or "") if found is not None else ""


#: A merge (its range) or a hidden row (its opening tag); an error cell (its value) or a cell in a
#: percent style, added per workbook. One pass over the sheet finds them all.
_LAYOUT = (rb'<mergeCell\b[^>]*?\bref="([A-Z]{1,3}[0-9]+):([A-Z]{1,3}[0-9]+)"'
           rb'|<row\b[^>]*?\bhidden="(?:1|true)"[^>]*>'
           rb'|<c\b[^>]*?\bt="e"[^>]*>(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?<v>([^<]*)</v>')
_ROW_NUMBER = re.compile(rb'\br="([0-9]+)"')
_CELL = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_STYLE = re.compile(rb'\bs="([0-9]+)"')


def sheet_extras(archive: zipfile.ZipFile, part: str, styles: dict[int, str]) -> SheetExtras:
    """What the .xlsx sheet ``part`` says beyond calamine's values; ``styles``: :func:`percent_styles`."""
    pattern = _LAYOUT
    if styles:
        pattern += rb'|<c\b[^>]*?\bs="(?:' + b"|".join(str(index).encode() for index in styles) + rb')"[^>]*>'
    extras = SheetExtras()
    boxes, hidden = [], set()
    for match in part_matches(archive, part, re.compile(pattern)):
        if match.group(1):
            (first_row, column), (last_row, _) = _cell(match.group(1)), _cell(match.group(2))
            boxes.append((first_row, column, last_row, column))
        elif match.group(0).startswith(b"<row"):
            if number := _ROW_NUMBER.search(match.group(0)):
                hidden.add(int(number.group(1)) - 1)
        elif cell := _CELL.search(match.group(0)):
            row, column = _cell(cell.group(1) + cell.group(2))
            if match.group(3) is not None:
                extras.errors.setdefault(row, {})[column] = match.group(3).decode()
            elif style := _STYLE.search(match.group(0)):
                extras.formats.setdefault(row, {})[column] = styles[int(style.group(1))]
    extras.layout = SheetLayout(vertical_merges(boxes), hidden)
    return extras


def _cell(reference: bytes) -> tuple[int, int]:
    """``b"AB12"`` -> (11, 27): 0-based row and column. (openpyxl's ``coordinate_to_tuple`` would
    import openpyxl, ~0.14 s a reading process, which the readers no longer need.)"""
    letters = reference.rstrip(b"0123456789")
    column = 0
    for letter in letters:
        column = column * 26 + letter - 64
    return int(reference[len(letters):]) - 1, column - 1
