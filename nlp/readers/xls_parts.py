"""What calamine does not give of an Excel 97-2003 .xls workbook, read by xlrd.

calamine reads an .xls's values and merges, not its number formats nor which rows it hides, and
an error cell (``#N/A``) comes out empty. So a 0.95 that the sheet shows as ``95%`` read as
``0.95`` (a target of 95 % became a bare number below one), and an indicator in a hidden row was
read with no warning. xlrd with ``formatting_info`` gives each cell's format and each row's
hidden flag from the same BIFF records Excel uses. Rows and columns are 0-based, as calamine's
grid has them.
"""
from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Any

from nlp.readers.base import InputError
from nlp.readers.number_formats import changes_what_is_shown
from nlp.readers.sheet_layout import SheetExtras, SheetLayout


def xls_extras(path: Path) -> dict[str, SheetExtras]:
    """Sheet name -> its number formats that show numbers otherwise, error texts and hidden rows
    (merges stay calamine's: the caller adds them to each sheet's layout)."""
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    try:
        shown = _shown_formats(book)
        return {name: _sheet_extras(book.sheet_by_name(name), shown) for name in book.sheet_names()}
    finally:
        book.release_resources()


def xls_marked(path: Path, mark: str) -> bool:
    """Whether a document property of the .xls is the text ``mark`` (LibreOffice keeps an .xlsx's
    description, saving it as .xls, as the comments in the SummaryInformation stream); False when
    the stream cannot be read."""
    from xlrd.compdoc import CompDoc

    text = mark.encode("latin-1")
    try:
        stream = CompDoc(path.read_bytes(), logfile=io.StringIO()).get_named_stream("\x05SummaryInformation")
    except Exception:  # noqa: BLE001 - a damaged container is calamine's to report
        return False
    return stream is not None and struct.pack("<II", 30, len(text) + 1) + text + b"\0" in stream  # 30: VT_LPSTR


def unread_extras_warning(file: str, error: Exception) -> InputError:
    """Said when xlrd cannot read what calamine could: the values are read, their formats are not."""
    return InputError(file, f"its number formats and hidden rows could not be read ({type(error).__name__}: "
                            f"{error}): a value the sheet shows as 95% is read as 0.95, and hidden rows "
                            "are read as if shown")


def _sheet_extras(sheet: Any, shown: dict[int, str]) -> SheetExtras:
    import xlrd

    extras = SheetExtras(layout=SheetLayout(hidden={row for row, info in sheet.rowinfo_map.items() if info.hidden},
                                            hidden_columns={column for column, info in sheet.colinfo_map.items()
                                                            if info.hidden}))
    for row in range(sheet.nrows):
        for column, cell in enumerate(sheet.row(row)):
            if cell.ctype == xlrd.XL_CELL_NUMBER and cell.xf_index in shown:
                extras.formats.setdefault(row, {})[column] = shown[cell.xf_index]
            elif cell.ctype == xlrd.XL_CELL_ERROR:
                extras.texts.setdefault(row, {})[column] = xlrd.error_text_from_code.get(cell.value, "#VALUE!")
    return extras


def _shown_formats(book: Any) -> dict[int, str]:
    """Cell format (XF) index -> its number format, for the formats that show a number otherwise
    than as itself (:func:`~nlp.readers.number_formats.changes_what_is_shown`)."""
    codes = {key: fmt.format_str for key, fmt in book.format_map.items()}
    return {index: codes[xf.format_key] for index, xf in enumerate(book.xf_list)
            if changes_what_is_shown(codes.get(xf.format_key, ""))}
