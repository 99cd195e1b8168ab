"""Tables that web systems export as "Excel" files: an HTML page, or an XML Spreadsheet 2003.

Budget and finance systems often offer an "Excel" download that is a web page (``<table>``) or
Excel 2003's XML format, saved as ``.xls``; Excel and WPS open both, and a reviewer cannot tell
them from a workbook. calamine refused them as damaged .xls files. Each table (each worksheet)
is read as a grid (:mod:`nlp.readers.grid`): a cell spanning columns is blank after its first
column, a cell spanning rows (``rowspan``, ``ss:MergeDown``) is read on every row it spans
(:mod:`nlp.readers.merged_cells`), as in Excel. Of a web page, the text above a table is its
context (as in Word) and a table inside a table's cell is not read; of an XML spreadsheet, hidden
rows are named in a warning and percent formats are shown as the sheet shows them.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from datetime import datetime

from nlp.readers.base import OUTPUT_REASON, InputError, Skipped
from nlp.readers.encoding import detect_encoding
from nlp.readers.grid import Grid, SheetLines, read_grids
from nlp.readers.merged_cells import VerticalMerge, vertical_merges
from nlp.readers.number_formats import changes_what_is_shown
from nlp.readers.sheet_layout import SheetLayout
from nlp.readers.tabular import FileRead, cell_text
from nlp.schema import OUTPUT_WORKBOOK_MARK

_SPREADSHEET = "urn:schemas-microsoft-com:office:spreadsheet"
_SS = "{" + _SPREADSHEET + "}"
#: Excel 2003's named number formats that change what a number says (the others show digits).
_NAMED_FORMATS = {"Percent": "0.00%"}
#: A sheet's rows and columns in Excel: an ``ss:Index`` or a merge beyond them is a damaged file.
_SHEET_ROWS, _SHEET_COLUMNS = 1_048_576, 16_384
#: Elements whose text is a line of context above a web page's table.
_TEXT_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre"}


def read_web_page(path: Path, chunk_size: int | None) -> FileRead:
    """Every ``<table>`` of an HTML file, with the text written since the previous one above it."""
    import lxml.html

    try:
        document = lxml.html.document_fromstring(path.read_bytes().decode(detect_encoding(path), errors="replace"))
    except (ValueError, lxml.etree.ParserError) as error:
        raise InputError(str(path), f"not a readable web page ({type(error).__name__}: {error})") from error
    if document.xpath(f'//meta[@name="generator"][@content="{OUTPUT_WORKBOOK_MARK}"]'):  # an HTML report
        return FileRead(path, iter(()), skipped=[Skipped(str(path), "page", OUTPUT_REASON)])
    return read_grids(path, list(_web_grids(path, document)), chunk_size)


def _web_grids(path: Path, document: Any) -> Iterator[Grid]:
    above: list[list[str]] = []
    number = 0
    for element in document.iter("table", *_TEXT_BLOCKS):
        if _inside_a_table(element):
            continue
        if element.tag != "table":
            if (text := _own_text(element)).strip():
                above.append([text])
            continue
        number += 1
        rows, merges = _html_rows(element)
        where = f"table{number}"
        yield Grid(where, f"{path.stem}#{number}", rows, [f"{where}!row{index}" for index in range(1, len(rows) + 1)],
                   above, layout=SheetLayout(merges))
        above = []


def _inside_a_table(element: Any) -> bool:
    return any(ancestor.tag == "table" for ancestor in element.iterancestors())


def _own_text(element: Any) -> str:
    """An element's text without that of its child blocks (each is a line of its own) or tables."""
    return _text(element, _TEXT_BLOCKS | {"table"})


def _html_rows(table: Any) -> tuple[list[list[str]], list[VerticalMerge]]:
    """The table's rows as grid cells, with ``rowspan`` and ``colspan`` laid out as Excel would."""
    rows: list[list[str]] = []
    boxes: list[tuple[int, int, int, int]] = []
    covered: set[tuple[int, int]] = set()  # (row, column) that a span from a row above covers
    for row_number, tr in enumerate(_own_rows(table)):
        cells: list[str] = []
        for td in (cell for cell in tr if cell.tag in {"td", "th"}):
            _blank_while_covered(cells, row_number, covered)
            column, across, down = len(cells), _span(td.get("colspan")), _span(td.get("rowspan"))
            cells.extend([_text(td, {"table"}), *[""] * (across - 1)])  # not a table nested in the cell
            if down > 1:
                boxes.append((row_number, column, row_number + down - 1, column))
                covered.update((below, col) for below in range(row_number + 1, row_number + down)
                               for col in range(column, column + across))
        _blank_while_covered(cells, row_number, covered)
        rows.append(cells)
    return rows, vertical_merges(boxes)


def _blank_while_covered(cells: list[str], row: int, covered: set[tuple[int, int]]) -> None:
    """A blank cell for each column from here on that a span from above covers."""
    while (row, len(cells)) in covered:
        cells.append("")


def _text(element: Any, skipped: set[str]) -> str:
    """The element's text, whitespace runs as one space, without the text of children tagged ``skipped``."""
    return " ".join("".join(_text_parts(element, skipped)).split())


def _text_parts(element: Any, skipped: set[str]) -> Iterator[str]:
    yield element.text or ""
    for child in element:
        if child.tag not in skipped:
            yield from _text_parts(child, skipped)
        yield child.tail or ""


def _own_rows(table: Any) -> Iterator[Any]:
    """The table's rows (also under thead/tbody/tfoot), not those of a table nested in a cell."""
    for child in table:
        if child.tag == "tr":
            yield child
        elif child.tag in {"thead", "tbody", "tfoot"}:
            yield from (row for row in child if row.tag == "tr")


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def read_xml_spreadsheet(path: Path, chunk_size: int | None) -> FileRead:
    """Every worksheet of an Excel 2003 XML spreadsheet."""
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise InputError(str(path), f"not a readable XML spreadsheet ({error})") from error
    formats = _style_formats(root)
    return read_grids(path, [_xml_grid(path, sheet, formats) for sheet in root.iter(f"{_SS}Worksheet")], chunk_size)


def _style_formats(root: ElementTree.Element) -> dict[str, str]:
    """Style id -> its number format, for the styles whose format changes what a number says."""
    found = {}
    for style in root.iter(f"{_SS}Style"):
        number_format = style.find(f"{_SS}NumberFormat")
        named = number_format.get(f"{_SS}Format", "") if number_format is not None else ""
        code = _NAMED_FORMATS.get(named, named)
        if code and changes_what_is_shown(code):
            found[style.get(f"{_SS}ID", "")] = code
    return found


def _xml_grid(path: Path, sheet: ElementTree.Element, formats: dict[str, str]) -> Grid:
    name = sheet.get(f"{_SS}Name", "")
    rows: list[list[str]] = []
    boxes: list[tuple[int, int, int, int]] = []
    hidden: set[int] = set()
    table = sheet.find(f"{_SS}Table")
    for row in table.iter(f"{_SS}Row") if table is not None else ():
        number = _position(path, row, "Index", len(rows), _SHEET_ROWS, f"{name}!{len(rows) + 1}")
        rows.extend([] for _ in range(number + 1 - len(rows)))  # rows it skips are blank
        if row.get(f"{_SS}Hidden") == "1":
            hidden.add(number)
        cells = rows[number]
        for cell in row.iter(f"{_SS}Cell"):
            column = _position(path, cell, "Index", len(cells), _SHEET_COLUMNS, f"{name}!{number + 1}")
            cells.extend([""] * (column - len(cells)))
            cells.append(_xml_cell_text(cell, formats))
            cells.extend([""] * (_position(path, cell, "MergeAcross", column, _SHEET_COLUMNS, f"{name}!{number + 1}")
                                 - column))
            if (down := _position(path, cell, "MergeDown", number, _SHEET_ROWS, f"{name}!{number + 1}") - number) > 0:
                boxes.append((number, column, number + down, column))
    return Grid(name, f"{path.stem}!{name}", rows, SheetLines(name), layout=SheetLayout(vertical_merges(boxes), hidden))


def _position(path: Path, element: ElementTree.Element, attribute: str, at: int, limit: int, where: str) -> int:
    """The 0-based row or column that an element's ``ss:Index`` (1-based, never back) or its
    ``ss:MergeAcross``/``ss:MergeDown`` (the columns or rows it spans after ``at``) reaches, else
    ``at``. A value that is no whole number, goes back or leaves the sheet is a damaged file, said
    with its row: it was a traceback (``-5``), a row read into other columns (a cell's ``-3``), or
    ``ss:Index="50000000"`` read in a minute and 1 GiB."""
    text = element.get(f"{_SS}{attribute}")
    if text is None:
        return at
    number = int(text) if text.strip().isdigit() else -limit
    reached = number - 1 if attribute == "Index" else at + number
    if not at <= reached < limit:
        raise InputError(str(path), f"damaged XML spreadsheet: ss:{attribute}=\"{text}\" is no place on the "
                                    "sheet; nothing of the file was read", where)
    return reached


def _xml_cell_text(cell: ElementTree.Element, formats: dict[str, str]) -> str:
    """The cell as the sheet shows it: a number through its style's format, a date as ISO."""
    data = cell.find(f"{_SS}Data")
    if data is None:
        return ""
    text, kind = "".join(data.itertext()), data.get(f"{_SS}Type")
    try:
        if kind == "Number":
            return cell_text(float(text), formats.get(cell.get(f"{_SS}StyleID", "")))
        if kind == "DateTime":
            return cell_text(datetime.fromisoformat(text[:19]))
    except ValueError:
        pass
    return text
