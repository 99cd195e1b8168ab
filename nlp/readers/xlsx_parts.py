"""What calamine does not give of an .xlsx workbook, read from its XML parts.

calamine reads the cell values; besides them the readers need a sheet's merged ranges, its hidden
rows, which numbers a number format shows otherwise (0.95 in a ``0%`` cell is ``95%`` on screen; see
:mod:`nlp.readers.number_formats`) and the
text of error cells (``#N/A``, which calamine gives as an empty cell). A sheet's XML is searched
by one regular expression, streamed in blocks: a sheet of a million rows is hundreds of MiB of
XML, and ``<mergeCells>`` comes after all of them. A cell or row may leave out its position
(``r="B5"``: it is then the one after the previous); only then is the sheet parsed element by
element, counting. The small parts (the workbook, its relationships, the styles, the document
properties) are parsed whole. Any namespace prefix is accepted (``<x:c>``, as .NET's Open XML SDK
writes), and so are both the transitional and the strict namespaces (ISO/IEC 29500 Strict, an
Excel "Save as" choice): calamine reads those files, and this module must not silently read
nothing of them. Rows and columns are 0-based, as calamine's grid has them.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

from nlp.readers.merged_cells import vertical_merges
from nlp.readers.number_formats import changes_what_is_shown
from nlp.readers.sheet_layout import SheetExtras, SheetLayout

_BLOCK = 1 << 20
_OVERLAP = 512  # longer than any element these patterns match
_ANY = "{*}"  # any namespace: transitional or strict SpreadsheetML
_PACKAGE_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
#: A document's description (Dublin Core), in an .xlsx's core properties as in an .ods's meta.xml.
DESCRIPTION_TAG = "{http://purl.org/dc/elements/1.1/}description"
#: Excel's built-in number formats that show a number otherwise (percentages: ids 9 and 10 of
#: ECMA-376 §18.8.30; the others are plain numbers, dates, or currencies whose text depends on the locale).
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
    for sheet in ElementTree.fromstring(archive.read("xl/workbook.xml")).iterfind(f".//{_ANY}sheet"):
        target = targets.get(_relationship_id(sheet), "")
        if target:
            parts[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
    return parts


def _relationship_id(element: ElementTree.Element) -> str | None:
    """The ``r:id`` attribute, whichever namespace (transitional or strict) ``r`` stands for."""
    return next((value for name, value in element.attrib.items() if name.endswith("}id")), None)


def shown_styles(archive: zipfile.ZipFile) -> dict[int, str]:
    """Cell style index -> its number format, for the styles whose format shows a number otherwise
    than as itself (:func:`~nlp.readers.number_formats.changes_what_is_shown`)."""
    if "xl/styles.xml" not in archive.namelist():
        return {}
    styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    codes = {**_BUILT_IN_PERCENT, **{int(fmt.get("numFmtId", "-1")): fmt.get("formatCode", "")
                                     for fmt in styles.iterfind(f".//{_ANY}numFmt")}}
    cell_styles = styles.find(f"{_ANY}cellXfs")
    found = {}
    for index, style in enumerate(cell_styles if cell_styles is not None else ()):
        code = codes.get(int(style.get("numFmtId", "0")), "")
        if changes_what_is_shown(code):
            found[index] = code
    return found


def workbook_description(archive: zipfile.ZipFile) -> str:
    """The workbook's description property (docProps/core.xml), "" when it has none."""
    if "docProps/core.xml" not in archive.namelist():
        return ""
    found = ElementTree.fromstring(archive.read("docProps/core.xml")).find(DESCRIPTION_TAG)
    return (found.text or "") if found is not None else ""


_ROOT_PREFIX = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet\b")


def element_prefix(archive: zipfile.ZipFile, part: str) -> bytes:
    """The namespace prefix the sheet ``part`` writes its elements with: ``b""`` as Excel writes
    them, ``b"x:"`` as .NET's Open XML SDK does. A part uses one; searching for any prefix at
    every tag took 2.2× as long (a 100,000-row sheet: 0.58 against 0.26 s)."""
    return _prefix(_head(archive, part, 1 << 12))


def _head(archive: zipfile.ZipFile, part: str, size: int = _BLOCK) -> bytes:
    """The first ``size`` bytes of the zip member ``part``."""
    with archive.open(part) as stream:
        return stream.read(size)


def _prefix(head: bytes) -> bytes:
    found = _ROOT_PREFIX.search(head)
    return found[1] + b":" if found and found[1] else b""


def _layout(prefix: bytes) -> bytes:
    """A merge (its range) or a hidden row (its opening tag); an error cell (its value). With the
    cells in a style that shows numbers otherwise, added per workbook, one pass over the sheet finds them all."""
    c, f, v = (re.escape(b"<" + prefix + name) for name in (b"c", b"f", b"v"))
    close_f, close_v = re.escape(b"</" + prefix + b"f>"), re.escape(b"</" + prefix + b"v>")
    return (re.escape(b"<" + prefix + b"mergeCell") + rb'\b[^>]*?\bref="([A-Z]{1,3}[0-9]+):([A-Z]{1,3}[0-9]+)"'
            rb"|" + re.escape(b"<" + prefix + b"row") + rb'\b[^>]*?\bhidden="(?:1|true)"[^>]*>'
            rb"|" + c + rb'\b[^>]*?\bt="e"[^>]*>(?:' + f + rb"\b[^>]*/>|" + f + rb"\b[^>]*>[^<]*" + close_f + rb")?"
            + v + rb">([^<]*)" + close_v)


_ROW_NUMBER = re.compile(rb'\br="([0-9]+)"')
_CELL = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_STYLE = re.compile(rb'\bs="([0-9]+)"')


def sheet_extras(archive: zipfile.ZipFile, part: str, styles: dict[int, str]) -> SheetExtras:
    """What the .xlsx sheet ``part`` says beyond calamine's values; ``styles``: :func:`shown_styles`."""
    head = _head(archive, part)  # its root (the prefix) and its <cols> (the hidden columns)
    prefix = _prefix(head)
    pattern = _layout(prefix)
    if styles:
        pattern += (rb"|" + re.escape(b"<" + prefix + b"c") + rb'\b[^>]*?\bs="(?:'
                    + b"|".join(str(index).encode() for index in styles) + rb')"[^>]*>')
    extras = SheetExtras()
    boxes, hidden, row_tag = [], set(), b"<" + prefix + b"row"
    for match in part_matches(archive, part, re.compile(pattern)):
        if match.group(1):
            (first_row, column), (last_row, _) = _cell(match.group(1)), _cell(match.group(2))
            boxes.append((first_row, column, last_row, column))
        elif match.group(0).startswith(row_tag):
            if not (number := _ROW_NUMBER.search(match.group(0))):
                return counted_extras(archive, part, styles)
            hidden.add(int(number.group(1)) - 1)
        elif cell := _CELL.search(match.group(0)):
            row, column = _cell(cell.group(1) + cell.group(2))
            if match.group(3) is not None:
                extras.texts.setdefault(row, {})[column] = match.group(3).decode()
            elif style := _STYLE.search(match.group(0)):
                extras.formats.setdefault(row, {})[column] = styles[int(style.group(1))]
        else:
            return counted_extras(archive, part, styles)
    extras.layout = SheetLayout(vertical_merges(boxes), hidden, _hidden_columns(head, prefix))
    return extras


_COLUMN_SPAN = re.compile(rb'\b(min|max)="([0-9]+)"')
_COLUMNS = 1 << 14  # Excel's last column, XFD


def _hidden_columns(head: bytes, prefix: bytes) -> set[int]:
    """The columns a sheet hides, from its ``head``: its ``<cols>`` comes before its cells
    (ECMA-376 §18.3.1.99); searching the whole sheet for them cost ~3 %."""
    cells = head.find(b"<" + prefix + b"sheetData")
    head = head if cells < 0 else head[:cells]
    tags = re.finditer(re.escape(b"<" + prefix + b"col") + rb'\b[^>]*?\bhidden="(?:1|true)"[^>]*>', head)
    return {column for tag in tags for column in _column_range(tag.group(0))}


def _column_range(tag: bytes) -> range:
    """The 0-based columns a ``<col min= max=>`` opening tag describes."""
    bounds = dict(_COLUMN_SPAN.findall(tag))
    return _columns(bounds.get(b"min", b"1"), bounds.get(b"max"))


def _columns(first: str | bytes, last: str | bytes | None) -> range:
    return range(int(first) - 1, min(int(last or first), _COLUMNS))


def counted_extras(archive: zipfile.ZipFile, part: str, styles: dict[int, str]) -> SheetExtras:
    """:func:`sheet_extras` for a sheet whose cells or rows may leave out their position: each
    element parsed, and a cell (row) without ``r`` is the one after the previous (ECMA-376
    §18.3.1.4, §18.3.1.73). 11× slower than the search (a 100,000-row sheet: 2.8 against 0.25 s),
    hence only for such sheets; on others both give the same."""
    extras = SheetExtras()
    boxes, hidden, hidden_columns = [], set(), set()
    row = column = -1
    sheet_data = None
    with archive.open(part) as stream:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            name = element.tag.rpartition("}")[2]
            if event == "start":
                if name == "sheetData":
                    sheet_data = element
                elif name == "row":
                    row, column = int(element.get("r", row + 2)) - 1, -1
                    if element.get("hidden") in {"1", "true"}:
                        hidden.add(row)
                elif name == "c":
                    reference = element.get("r")
                    column = _cell(reference.encode())[1] if reference else column + 1
                elif name == "col" and element.get("hidden") in {"1", "true"}:
                    hidden_columns.update(_columns(element.get("min", "1"), element.get("max")))
                elif name == "mergeCell" and ":" in element.get("ref", ""):
                    first, last = element.get("ref", "").split(":")
                    (first_row, first_column), (last_row, _) = _cell(first.encode()), _cell(last.encode())
                    boxes.append((first_row, first_column, last_row, first_column))
            elif name == "c":
                _add_shown_cell(extras, row, column, element, styles)
                element.clear()
            elif name == "row" and sheet_data is not None:
                sheet_data.clear()  # rows read so far are not kept
    extras.layout = SheetLayout(vertical_merges(boxes), hidden, hidden_columns)
    return extras


def _add_shown_cell(extras: SheetExtras, row: int, column: int, cell: ElementTree.Element,
                    styles: dict[int, str]) -> None:
    """Note the cell at (``row``, ``column``) if it is an error or in a style of ``styles``."""
    if cell.get("t") == "e":
        value = next((child.text or "" for child in cell if child.tag.rpartition("}")[2] == "v"), None)
        if value is not None:
            extras.texts.setdefault(row, {})[column] = value
    elif (style := cell.get("s")) and style.isdigit() and int(style) in styles:
        extras.formats.setdefault(row, {})[column] = styles[int(style)]


def _cell(reference: bytes) -> tuple[int, int]:
    """``b"AB12"`` -> (11, 27): 0-based row and column. (openpyxl's ``coordinate_to_tuple`` would
    import openpyxl, ~0.14 s a reading process, which the readers no longer need.)"""
    letters = reference.rstrip(b"0123456789")
    column = 0
    for letter in letters:
        column = column * 26 + letter - 64
    return int(reference[len(letters):]) - 1, column - 1
