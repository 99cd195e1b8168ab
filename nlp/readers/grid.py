"""Indicator tables that arrive as grids of cells: Word tables, PDF tables, .xls/.ods sheets.

Each of those formats gives the same thing once its own library has done the work: rows of
cell strings, a location for each row (``table2!row5``, ``page2!table1!row5``, ``Sheet!5``) and,
for documents, the text above the table where the project is named. This module turns such
grids into interchange frames with the same policy as CSV and XLSX: the header is searched in the
first rows (:func:`nlp.readers.tabular.pick_header`), a cell merged down several rows is read on
each of them where the format keeps its merges (:mod:`nlp.readers.merged_cells`) and otherwise
carried down by the same framer, scoring rubrics are skipped with the reason the
document reader gives, and a file without any indicator table is one clear error.

The project context (项目名称, 主管部门, 预算数, 年度绩效目标) is read from the text above the
table and from any rows above the header (:mod:`nlp.readers.context_rows`), as for CSV and XLSX,
so a Word table and a text export of it agree. A field the
indicator header already has is never overwritten; the department stays in force for later
tables, as documents state it once.

Documents also split a table over pages: :func:`continues` and :func:`continue_grid` join a
table to the one it continues (Word and PDF readers decide when two tables are next to each
other). A header cell merged across columns no header cell names apart makes them one field
(``SheetLayout.spans``).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

import pandas as pd

from nlp.readers.base import (
    OUTPUT_REASON,
    RUBRIC_REASON,
    InputError,
    Skipped,
    hidden_columns_warning,
    hidden_sheet_warning,
)
from nlp.readers.context_rows import StatedContext
from nlp.readers.doc_lexicon import context_label, is_table_title, split_inline_label
from nlp.readers.merged_cells import VerticalMerge
from nlp.readers.sheet_layout import LaidOutRows, SheetLayout
from nlp.readers.tabular import (
    FULL_HEADER_FIELDS,
    HEADER_SCAN_ROWS,
    FileRead,
    Framer,
    HeaderMap,
    TableLog,
    chunked_frames,
    column_letters,
    doubled_columns_warning,
    fit_row,
    match_header,
    no_indicator_columns,
    own_location_warning,
    pick_header,
    shown_first,
    skip_reason,
    too_wide,
)

@dataclass
class Grid:
    """One table: ``rows`` of cell strings (merged cells blank after their first cell), read once,
    in order (a sheet's rows are made as they are read, not held).

    ``locations`` has an entry for each row's index; ``name`` says where the table is (for
    skipped-table messages); ``base`` prefixes implicit table ids; ``above`` holds the lines of
    text above the table, each split into its cells; ``hidden`` marks a sheet the workbook hides;
    ``layout`` holds its cells merged down and its hidden rows (row = index into ``rows``);
    ``notes`` are warnings about the sheet, given when it is read as a table.
    """

    name: str
    base: str
    rows: Iterable[list[str]]
    locations: Sequence[str]
    above: list[list[str]] = field(default_factory=list)
    hidden: bool = False  # a sheet the workbook hides
    layout: SheetLayout = field(default_factory=SheetLayout)
    notes: list[InputError] = field(default_factory=list)


@dataclass
class _Table:
    grid: Grid
    header_row: int
    header: HeaderMap
    context: StatedContext
    rows: Iterator[list[str]]  # the grid's rows from the first
    spanned: list[tuple[int, int]] = field(default_factory=list)  # see :func:`_spanned`


@dataclass(frozen=True)
class SheetLines:
    """The locations of a sheet's rows (``Sheet!5``: the row number the spreadsheet shows)."""

    sheet: str

    def __getitem__(self, index: int) -> str:
        return f"{self.sheet}!{index + 1}"


def continues(grid: Grid, more: Grid) -> bool:
    """Can ``more`` (a document's next table, found with no text between them) be ``grid`` continued
    over a page break? It is as wide (each one's text within the other's columns: a blank column at
    its side is layout, as in a table redrawn on the next page with a column more, whose rows were
    skipped as a table without a header), ``grid`` has an indicator header, and ``more``, past the
    heading it repeats (:func:`repeated_heading`), introduces no project (a title, 项目名称 … above
    it or opening its first row starts a new table; an indicator row's other cells may hold such
    words, as a 指标值确定依据 of 预算金额) and starts with no header of its own (a scoring rubric as
    wide, 分值 for 指标值, is a table of its own)."""
    rows, next_rows = list(grid.rows), list(more.rows)
    if (not rows or not next_rows or _text_width(rows) > len(next_rows[0]) or _text_width(next_rows) > len(rows[0])
            or not has_header(rows)):
        return False
    rest = next_rows[repeated_heading(grid, more):]
    opening = [cell for cell in rest[0] if cell.strip()][:1] if rest else []
    return not introduces_project([*more.above, opening]) and not (rest and match_header(rest[0]))


def _text_width(rows: Sequence[Sequence[str]]) -> int:
    """The columns up to the last one holding text in any of ``rows``."""
    return max((column + 1 for row in rows for column, cell in enumerate(row) if cell.strip()), default=0)


def repeated_heading(grid: Grid, more: Grid) -> int:
    """How many rows at the top of ``more``, ``grid`` continued, repeat ``grid``'s heading: its rows
    down to its header (a title row spanning the table, then the header, as Word and PDF writers
    repeat them on every page), or its header alone."""
    rows, next_rows = list(grid.rows), list(more.rows)
    found = pick_header(enumerate(rows[:HEADER_SCAN_ROWS]))
    if found is None or not next_rows:
        return 0
    heading = rows[:found[0] + 1]
    if next_rows[:len(heading)] == heading:
        return len(heading)
    return 1 if match_header(next_rows[0]) == match_header(rows[found[0]]) else 0


def with_project_blocks(grids: list[Grid]) -> list[Grid]:
    """``grids`` (a document's tables, in reading order), each table right below a project block
    with the block's lines as the lines above it. A project block is a table with no indicator
    header that names one project (:func:`_names_a_project`), with nothing between it and the next
    table: read as a table of its own, it was skipped, and the indicator table below had no
    project, department, budget or goal."""
    for before, grid in zip(grids, grids[1:]):
        if not grid.above and not has_header(before.rows) and _names_a_project(list(before.rows)):
            grid.above = [*before.above, *before.rows]
    return grids


def _names_a_project(rows: Sequence[Sequence[str]]) -> bool:
    """Does a row state 项目名称 with its value: inline (项目名称：X), or in the next cell with no
    value under the label (a budget table lists its projects under its 项目名称 header)?"""
    for number, row in enumerate(rows):
        below = rows[number + 1] if number + 1 < len(rows) else []
        for column, cell in enumerate(row):
            inline = split_inline_label(cell)
            if inline and inline[0] == "project_name":
                return True
            if context_label(cell) == "project_name" and _value(row, column + 1) and not _value(below, column):
                return True
    return False


def _value(row: Sequence[str], column: int) -> bool:
    """Is the cell a value (text that is no context label)?"""
    text = row[column].strip() if column < len(row) else ""
    return bool(text) and context_label(text) is None


def has_header(rows: Sequence[Sequence[str]]) -> bool:
    """Is there an indicator header in the rows :func:`read_grids` searches for one?"""
    return pick_header(enumerate(rows[:HEADER_SCAN_ROWS])) is not None


def introduces_project(lines: Iterable[Sequence[str]]) -> bool:
    """Does a line of ``lines`` (split into cells) name a table or state a project's context?"""
    return any(is_table_title(text) or context_label(text) or split_inline_label(text) for line in lines for text in line)


def continue_grid(grid: Grid, more: Grid) -> None:
    """Append the rows of ``more``, the table ``grid`` continued over a page break: the heading
    repeated at its top is left out, its merges move down with its rows, and its notes are kept."""
    assert isinstance(grid.rows, list) and isinstance(grid.locations, list)
    skip = repeated_heading(grid, more)
    offset = len(grid.rows) - skip
    grid.layout.merges.extend(VerticalMerge(merge.column, merge.first + offset, merge.last + offset)
                              for merge in more.layout.merges if merge.first >= skip)
    grid.rows.extend(list(more.rows)[skip:])
    grid.locations.extend(more.locations[skip:])
    grid.notes.extend(more.notes)


def read_grids(path: Path, grids: Iterable[Grid], chunk_size: int | None) -> FileRead:
    """Every grid with an indicator header, as frames; the others are listed in ``skipped``.

    Raises :class:`~nlp.readers.base.InputError` (no indicator columns) when no grid has an
    indicator header and none was a rubric either.
    """
    read = FileRead(path, iter(()))
    tables: list[_Table] = []
    department = ""
    for grid in grids:
        rows = iter(grid.rows)
        head = list(islice(rows, HEADER_SCAN_ROWS))
        found = pick_header(enumerate(head))
        if found is None:
            if (deep := _deep_header(path, grid, rows)) is not None:
                read.errors.append(deep)
            else:
                read.skipped.append(Skipped(str(path), grid.name, f"no indicator header in the first {HEADER_SCAN_ROWS} rows"))
            continue
        header_row, header = found
        header = shown_first(header, grid.layout.hidden_columns)
        if doubled := doubled_columns_warning(path, header, grid.locations[header_row], grid.layout.hidden_columns):
            read.warnings.append(doubled)
        if own := own_location_warning(path, header, grid.locations[header_row]):
            read.warnings.append(own)
        if reason := skip_reason(header.names):
            read.skipped.append(Skipped(str(path), grid.name, reason))
            continue
        if error := too_wide(path, header, grid.name):
            read.errors.append(error)
            continue
        context = StatedContext([*grid.above, *head[:header_row]], department)
        department = context.fields.get("department", department)
        spanned = _spanned(grid.layout, header_row, header)
        tables.append(_Table(grid, header_row, header, context, chain(head, rows), spanned))
        if grid.hidden:
            read.warnings.append(hidden_sheet_warning(str(path), grid.name))
    read.warnings.extend(note for table in tables for note in table.grid.notes)
    if not tables and not read.errors and not any(skip.reason in (RUBRIC_REASON, OUTPUT_REASON) for skip in read.skipped):
        raise no_indicator_columns(path)
    read.frames = _frames(path, tables, TableLog(path, read.tables), read, chunk_size)
    return read


#: Rows searched below the first :data:`HEADER_SCAN_ROWS` for an indicator header, to say that its table is not read.
DEEP_HEADER_ROWS = 1000


def _deep_header(path: Path, grid: Grid, rows: Iterator[list[str]]) -> InputError | None:
    """An indicator header (naming :data:`FULL_HEADER_FIELDS` fields, no rubric) below the rows
    searched, as under a long note at the top of a sheet: its table is not read, an error. It was
    said as a skipped sheet with "no indicator header", exit 0, beside another sheet's rows."""
    for index, cells in enumerate(islice(rows, DEEP_HEADER_ROWS), HEADER_SCAN_ROWS):
        header = match_header(cells)
        if header is not None and len(header.fields) >= FULL_HEADER_FIELDS and not skip_reason(header.names):
            return InputError(str(path), f"an indicator header below the first {HEADER_SCAN_ROWS} rows searched: its "
                                         "table was not read (delete the rows above it and retry)", grid.locations[index])
    return None


def _frames(path: Path, tables: list[_Table], log: TableLog, read: FileRead,
            chunk_size: int | None) -> Iterator[pd.DataFrame]:
    for table in tables:
        framer = Framer(path, table.header, table.grid.base, log, read.warnings, table.context)
        yield from chunked_frames(framer, _body(path, table, read), chunk_size)


def _spanned(layout: SheetLayout, header_row: int, header: HeaderMap) -> list[tuple[int, int]]:
    """(first, last) columns under a header cell merged across them that no header cell names
    apart: they are that field's, read as one cell (指标值 over "≥" | "95%" reads "≥95%"; the cells
    after the first were refused as text beyond the header, and every row was lost)."""
    return [(first, last) for row, first, last in layout.spans
            if header_row - 1 <= row <= header_row and header.names_column(first)
            and not any(map(header.names_column, range(first + 1, last + 1)))]


def _joined_across(cells: list[str], spanned: list[tuple[int, int]]) -> list[str]:
    for first, last in spanned:
        cells = [*cells[:first], "".join(cells[first:last + 1]), *[""] * (last - first), *cells[last + 1:]]
    return cells


def _body(path: Path, table: _Table, read: FileRead) -> Iterator[tuple[list[str], str]]:
    """The table's non-blank rows fitted to its header (see :func:`fit_row`), merged cells filled
    in; hidden ones are read too, and named in one warning."""
    width = len(table.header.names)
    start = table.header_row + 1
    rows = LaidOutRows(table.grid.layout, table.header_row)
    for number, cells in enumerate(islice(table.rows, start, None), start):
        cells = _joined_across(rows.cells(number, cells), table.spanned)
        if any(cell.strip() for cell in cells):
            location = table.grid.locations[number]
            fitted = fit_row(cells, width, path, location, read.errors)
            if fitted is not None:
                rows.read(number, fitted)
                yield fitted, location
    read.warnings.extend(rows.warnings(str(path), table.grid.name, shown_from=1))
    said = {other for _, _, other in table.header.doubled}  # a hidden column headed as a field read from another
    if hidden := sorted(rows.hidden_columns_read - said):
        names = [f"{column_letters(column)} “{table.header.names[column]}”" for column in hidden]
        read.warnings.append(hidden_columns_warning(str(path), table.grid.name, names))
