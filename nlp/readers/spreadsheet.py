"""Excel (.xlsx, .xlsm, 97-2003 .xls) and OpenDocument (.ods) workbooks, through python-calamine.

One library reads every workbook format: a Rust reader, no LibreOffice needed (``iqc parse`` of a
100,000-row .xlsx takes 0.40× the time it took through openpyxl's streaming reader). It holds the
cells of a workbook's indicator sheets while the workbook is read (about 1.1 KiB a row of 16
columns); the rows are turned into text as they are read. Every sheet with an indicator header is read as a grid
(:mod:`nlp.readers.grid`): ``source_line`` is ``Sheet!row`` with the row number the spreadsheet
shows; a cell merged down several rows is read on each of them (:mod:`nlp.readers.merged_cells`).

calamine gives cell values, not what the sheet shows. For an .xlsx the rest is read from its XML
(:mod:`nlp.readers.xlsx_parts`): merges, hidden rows, number formats that change what a number
says (0.95 shown as ``95%`` is read as ``95%``, 500 shown as ``≥500人次`` as that:
:mod:`nlp.readers.number_formats`) and error cells (``#N/A``); and a workbook written by a
program that leaves its formulas for Excel to compute is named in a warning
(:mod:`nlp.readers.formulas`). An .ods's
merges, hidden rows and percentages come from its XML (:mod:`nlp.readers.ods_parts`); an .xls's
merges from calamine, its number formats, error cells and hidden rows from xlrd
(:mod:`nlp.readers.xls_parts`).
"""
from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from nlp.readers import reader_for
from nlp.readers.base import OUTPUT_REASON, InputError, Skipped
from nlp.readers.formulas import formula_cells, recalculated_on_open, stale_formula_warning
from nlp.readers.grid import Grid, SheetLines, read_grids
from nlp.readers.merged_cells import VerticalMerge, vertical_merges
from nlp.readers.ods_parts import ods_description, ods_extras
from nlp.readers.sheet_layout import SheetExtras
from nlp.readers.tabular import FileRead, cell_text
from nlp.readers.xls_parts import unread_extras_warning, xls_extras, xls_marked
from nlp.readers.xlsx_parts import sheet_extras, sheet_parts, shown_styles, workbook_description
from nlp.schema import OUTPUT_WORKBOOK_MARK


def read_spreadsheet(path: Path, chunk_size: int | None) -> FileRead:
    """The indicator sheets of an .xls or .ods workbook; other sheets are listed as skipped, and so
    is a workbook this tool wrote that another program saved in these formats."""
    ods = reader_for(path).name == "ods"  # by content, as it was sniffed: not "ole" (an .xls)
    unread = None
    with _readable(path, "OpenDocument .ods" if ods else "Excel 97-2003 .xls"):
        if (ods_description(path) == OUTPUT_WORKBOOK_MARK) if ods else xls_marked(path, OUTPUT_WORKBOOK_MARK):
            return _scored_output(path)
        workbook = open_workbook(path)
        if ods:
            extras = ods_extras(path)
        else:
            extras, unread = _xls_extras(path)
        grids = []
        for sheet in worksheets(workbook):
            data, found = workbook.get_sheet_by_name(sheet.name), extras.get(sheet.name) or SheetExtras()
            if not ods:  # an .xls's merges are calamine's
                found = replace(found, layout=replace(found.layout, merges=calamine_merges(data)))
            grids.append(_grid(path, sheet, found, data))
    read = read_grids(path, grids, chunk_size)
    if unread:
        read.warnings.insert(0, unread)
    return read


def _xls_extras(path: Path) -> tuple[dict[str, SheetExtras], InputError | None]:
    """xlrd's reading of an .xls that calamine can read; if xlrd cannot, the values are still
    read, and a warning says what is not (xlrd is stricter about damaged BIFF records)."""
    try:
        return xls_extras(path), None
    except Exception as error:  # noqa: BLE001 - any failure of the second reader leaves the first's values
        return {}, unread_extras_warning(str(path), error)


def read_workbook(path: Path, chunk_size: int | None) -> FileRead:
    """The indicator sheets of an .xlsx (or .xlsm) workbook; other sheets are listed as skipped,
    and so is a workbook this tool wrote (its scored output)."""
    with _readable(path, "Excel"), zipfile.ZipFile(path) as archive:
        if workbook_description(archive) == OUTPUT_WORKBOOK_MARK:
            return _scored_output(path)
        parts, styles, recalculated = sheet_parts(archive), shown_styles(archive), recalculated_on_open(archive)
        workbook = open_workbook(path)
        grids = []
        for sheet in worksheets(workbook):
            part = parts.get(sheet.name)
            grid = _grid(path, sheet, sheet_extras(archive, part, styles) if part else SheetExtras(),
                         workbook.get_sheet_by_name(sheet.name))
            if recalculated and part and (counted := formula_cells(archive, part))[0]:
                grid.notes.append(stale_formula_warning(str(path), sheet.name, *counted))
            grids.append(grid)
    return read_grids(path, grids, chunk_size)


def _scored_output(path: Path) -> FileRead:
    """A workbook ``iqc score`` wrote, saved as it was or by another program: none of its sheets is
    an input (its triage and legend sheets name 三级指标/指标值 columns)."""
    return FileRead(path, iter(()), skipped=[Skipped(str(path), "workbook", OUTPUT_REASON)])


@contextmanager
def _readable(path: Path, kind: str) -> Iterator[None]:
    """Any failure inside calamine or the zip means the workbook is unreadable; say so for this file.

    calamine raises its own errors and OS errors for damaged files, the zip and XML parsers theirs,
    hence the broad catch at this one boundary.
    """
    try:
        yield
    except InputError:
        raise
    except Exception as error:  # noqa: BLE001 - see docstring
        raise InputError(str(path), f"not a readable {kind} workbook ({type(error).__name__}: {error})") from error


def open_workbook(path: Path) -> Any:
    """calamine's reading of a workbook (any format it reads), sheets loaded when asked for. One
    named as another format (an .xlsx renamed .xls for a system that takes .xls only) is opened by
    its content, as it was sniffed: calamine goes by the name, and refused it as "not an office
    document"."""
    from python_calamine import CalamineWorkbook

    if path.suffix.lower() in reader_for(path).suffixes:
        return CalamineWorkbook.from_path(str(path))
    with path.open("rb") as handle:
        return CalamineWorkbook.from_filelike(handle)


def worksheets(workbook: Any) -> list[Any]:
    """The workbook's sheets of cells (not its chart sheets, macro sheets or dialogs)."""
    from python_calamine import SheetTypeEnum

    return [sheet for sheet in workbook.sheets_metadata if sheet.typ == SheetTypeEnum.WorkSheet]


def calamine_merges(data: Any) -> list[VerticalMerge]:
    """The cells calamine says are merged down several rows (an .xls's; 0-based rows and columns)."""
    return vertical_merges((first_row, first_column, last_row, last_column)
                           for (first_row, first_column), (last_row, last_column) in data.merged_cell_ranges or ())


def _grid(path: Path, sheet: Any, extras: SheetExtras, data: Any) -> Grid:
    from python_calamine import SheetVisibleEnum

    return Grid(sheet.name, f"{path.stem}!{sheet.name}", shown_rows(data, extras), SheetLines(sheet.name),
                hidden=sheet.visible != SheetVisibleEnum.Visible, layout=extras.layout)


def shown_rows(data: Any, extras: SheetExtras) -> Iterator[list[str]]:
    """The sheet's rows from its first, as the text the sheet shows (see :func:`cell_text`).

    calamine's rows start at the sheet's first row but at its first used column: the columns
    left of it are put back, so that a column's index is the sheet's.
    """
    left = [""] * (data.start[1] if data.start else 0)
    for index, values in enumerate(data.iter_rows()):
        formats, texts = extras.formats.get(index), extras.texts.get(index)
        if formats is None and texts is None:
            yield [*left, *map(cell_text, values)]
            continue
        cells = [*left, *values]
        yield [texts[column] if texts and column in texts else
               cell_text(value, formats.get(column) if formats else None) for column, value in enumerate(cells)]
