"""Legacy Excel 97-2003 (.xls) and OpenDocument (.ods) workbooks, through python-calamine.

One library reads both formats (a Rust reader, no LibreOffice needed). Every sheet with an
indicator header is read like an .xlsx sheet: ``source_line`` is ``Sheet!row`` with the row
number the spreadsheet shows; a cell merged down several rows is read on each of them
(:mod:`nlp.readers.merged_cells`: calamine gives an .xls's merges, an .ods's are read from its XML
with its hidden rows, :mod:`nlp.readers.ods_parts`; an .xls's hidden rows are not known).
calamine gives cell values, not number formats: a 0.95 shown as ``95%`` is read as ``0.95``.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nlp.readers.base import InputError
from nlp.readers.grid import Grid, read_grids
from nlp.readers.merged_cells import vertical_merges
from nlp.readers.ods_parts import ods_layouts
from nlp.readers.sheet_layout import SheetLayout
from nlp.readers.tabular import FileRead, cell_text


def read_spreadsheet(path: Path, chunk_size: int | None) -> FileRead:
    """The indicator sheets of an .xls or .ods workbook; other sheets are listed as skipped."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        grids = list(_sheet_grids(path, workbook))
    except Exception as error:  # noqa: BLE001 - calamine raises its own and OS errors for damaged files
        kind = "OpenDocument .ods" if path.suffix.lower() == ".ods" else "Excel 97-2003 .xls"
        raise InputError(str(path), f"not a readable {kind} workbook ({type(error).__name__}: {error})") from error
    return read_grids(path, grids, chunk_size)


def _sheet_grids(path: Path, workbook: Any) -> Iterator[Grid]:
    from python_calamine import SheetVisibleEnum

    ods = ods_layouts(path) if path.suffix.lower() == ".ods" else {}
    for sheet in workbook.sheets_metadata:
        data = workbook.get_sheet_by_name(sheet.name)
        rows = [[cell_text(value) for value in row] for row in data.to_python(skip_empty_area=False)]
        boxes = [(first_row, first_column, last_row, last_column)
                 for (first_row, first_column), (last_row, last_column) in data.merged_cell_ranges or ()]
        layout = ods.get(sheet.name) or SheetLayout(vertical_merges(boxes))
        yield Grid(sheet.name, f"{path.stem}!{sheet.name}", rows,
                   [f"{sheet.name}!{number}" for number in range(1, len(rows) + 1)],
                   hidden=sheet.visible != SheetVisibleEnum.Visible, layout=layout)
