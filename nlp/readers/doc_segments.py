"""Finding indicator tables in a document: title, context block, header, data rows.

A table is anchored on its header (a row, or a run of one-cell lines, naming 三级指标 and the
other columns), because headers are the one thing every layout prints. The title is the last
title line before the header, and everything between the title and the header is the context
block (项目名称, 预算数, 绩效目标 …). Data rows run until prose starts again; a repeated header
inside them is a page break, remembered so a row split across pages can be joined again.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from nlp.readers.doc_lexicon import (
    header_field,
    inline_pairs,
    is_rubric_header,
    is_rubric_title,
    is_table_title,
)
from nlp.readers.doc_text import BLANK, CELL, ROW, TEXT, Cell, Line


@dataclass(slots=True)
class Columns:
    """What each column of a table holds, from its header."""

    fields: dict[int, str]
    names: dict[int, str]
    width: int
    rubric: bool = False

    def index(self, name: str) -> int | None:
        """Column index of a field (the left-most if several), or None."""
        return next((i for i, f in sorted(self.fields.items()) if f == name), None)


@dataclass(slots=True)
class DataRow:
    """The cells of one table row; ``after_break`` when a repeated header came just before."""

    cells: list[Cell]
    after_break: bool = False


@dataclass(slots=True)
class TableBlock:
    """One table as found: title, context cells, columns and raw data rows."""

    title: str
    title_line: int
    header_line: int
    columns: Columns
    context: list[Cell] = field(default_factory=list)
    rows: list[DataRow] = field(default_factory=list)

    @property
    def first_line(self) -> int:
        return self.title_line or self.header_line

    @property
    def rubric(self) -> bool:
        """An evaluation scoring rubric (评分表): scoring columns or a rubric title."""
        return self.columns.rubric or is_rubric_title(self.title)


def _columns(cells: list[Cell]) -> Columns | None:
    """Columns of a header, or None when the cells are not an indicator-table header."""
    fields: dict[int, str] = {}
    for i, cell in enumerate(cells):
        name = header_field(cell.text)
        if name and name not in fields.values():
            fields[i] = name
    if "level3" not in fields.values():
        return None
    names = {i: c.text for i, c in enumerate(cells) if c.text}
    rubric = any(is_rubric_header(c.text) for c in cells)
    return Columns(fields, names, len(cells), rubric)


def _is_header_word(cell: Cell) -> bool:
    return header_field(cell.text) is not None or is_rubric_header(cell.text)


def header_at(lines: list[Line], i: int) -> tuple[Columns, int] | None:
    """The header starting at ``lines[i]`` and how many lines it takes, or None."""
    line = lines[i]
    if line.kind == ROW:
        columns = _columns(line.cells)
        return (columns, 1) if columns else None
    if line.kind != CELL:
        return None
    run = 0
    while i + run < len(lines) and lines[i + run].kind == CELL:
        if not _is_header_word(lines[i + run].cells[0]):
            break
        run += 1
    columns = _columns([lines[k].cells[0] for k in range(i, i + run)]) if run >= 2 else None
    return (columns, run) if columns else None


def _is_repeat(cells: list[Cell], columns: Columns) -> bool:
    """Whether a row repeats the header (page break in the export)."""
    again = _columns(cells)
    return again is not None and again.fields == columns.fields


def read_tab_rows(lines: list[Line], start: int, columns: Columns) -> tuple[list[DataRow], int]:
    """Rows of a tab-separated table: one row per line, until prose starts."""
    rows: list[DataRow] = []
    after_break = False
    j = start
    while j < len(lines) and lines[j].kind != TEXT:
        line = lines[j]
        j += 1
        if line.kind == BLANK:
            continue
        cells = line.row_cells()
        if _is_repeat(cells, columns):
            after_break = True
            continue
        rows.append(DataRow(cells, after_break))
        after_break = False
    return rows, j


def read_cell_rows(lines: list[Line], start: int, columns: Columns) -> tuple[list[DataRow], int]:
    """Rows of a one-cell-per-line table: every ``width`` cells make a row.

    Blank lines are ignored because exports also put them inside a row (a wrapped 三级指标
    followed by an empty line); the header fixes the width, so counting cells is what keeps
    the columns straight.
    """
    rows: list[DataRow] = []
    pending: list[Cell] = []
    after_break = False
    j = start
    while j < len(lines) and lines[j].kind in (BLANK, CELL):
        line = lines[j]
        j += 1
        if line.kind == BLANK:
            continue
        pending.append(line.cells[0])
        if len(pending) == columns.width:
            if _is_repeat(pending, columns):
                after_break = True
            else:
                rows.append(DataRow(pending, after_break))
                after_break = False
            pending = []
    if pending:
        rows.append(DataRow(pending, after_break))
    return rows, j


def _context_cells(lines: list[Line]) -> list[Cell]:
    """The non-empty cells of the lines between a title and its header, in reading order (label/value
    pairs side by side on a line are cells of their own, see :func:`~nlp.readers.doc_lexicon.inline_pairs`)."""
    return [Cell(piece, cell.line) for line in lines for cell in line.cells for piece in inline_pairs(cell.text)]


def _title_index(lines: list[Line], start: int, stop: int) -> int | None:
    """Index of the last indicator/rubric title line in ``lines[start:stop]``."""
    for k in range(stop - 1, start - 1, -1):
        text = lines[k].text
        if lines[k].kind == TEXT and (is_table_title(text) or is_rubric_title(text)):
            return k
    return None


def find_tables(lines: list[Line]) -> list[TableBlock]:
    """Every indicator (or rubric) table in the document, in order."""
    blocks: list[TableBlock] = []
    done = 0
    i = 0
    while i < len(lines):
        found = header_at(lines, i)
        if found is None:
            i += 1
            continue
        columns, size = found
        title_at = _title_index(lines, done, i)
        context_from = done if title_at is None else title_at + 1
        reader = read_tab_rows if lines[i].kind == ROW else read_cell_rows
        rows, end = reader(lines, i + size, columns)
        blocks.append(
            TableBlock(
                title=lines[title_at].text if title_at is not None else "",
                title_line=lines[title_at].number if title_at is not None else 0,
                header_line=lines[i].number,
                columns=columns,
                context=_context_cells(lines[context_from:i]),
                rows=rows,
            )
        )
        done = i = max(end, i + size)
    return blocks
