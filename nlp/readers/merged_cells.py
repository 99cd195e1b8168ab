"""Vertically merged cells, read on every row they cover.

A merged cell shows its text on every row it spans, but the file stores the text in the merge's
first cell only. Read as stored, a 指标值 merged over two indicators leaves the second one empty
(flagged B2 for a value the department did give), a 三级 name merged over two targets leaves a
value with no name, and a 指标值确定依据 merged down the table is lost on all rows but one.
一级/二级 were always carried down (``CARRIED_COLUMNS`` in :mod:`nlp.readers.tabular`), but only
a merge says exactly which rows a text covers, so every column is filled over the rows its merge
spans, and no further.

Two limits keep a merge from inventing rows: only merges that start below the header are filled
(a two-row header's merged cells are the header's business), and only rows with a cell of their
own (a row made only of merge continuations is the row above drawn taller, not an indicator).
Formats that keep no merges (CSV, text exports) are read as before.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

@dataclass(frozen=True, slots=True)
class VerticalMerge:
    """A merge spanning rows: its text is in row ``first`` of ``column`` (0-based) and shows down
    to row ``last``. Rows are numbered as the reader numbers them (sheet rows, grid indexes)."""

    column: int
    first: int
    last: int


def vertical_merges(boxes: Iterable[tuple[int, int, int, int]]) -> list[VerticalMerge]:
    """The merges that span rows, from ``(first row, first column, last row, last column)`` boxes.

    A box wider than one column keeps its text in its first column, on every row as on the first.
    """
    return [VerticalMerge(column, first, last) for first, column, last, _ in boxes if last > first]


class MergedFill:
    """Fills a table's rows, in order, with the text of the merges above them.

    Call it on every row after the header with the row's number; it returns the cells with each
    blank cell under a merge's text filled (a new list when any is), the rest unchanged.
    """

    def __init__(self, merges: Iterable[VerticalMerge], header_row: int) -> None:
        self._starting: dict[int, list[VerticalMerge]] = {}
        for merge in merges:
            if merge.first > header_row:
                self._starting.setdefault(merge.first, []).append(merge)
        self._open: list[tuple[VerticalMerge, str]] = []

    def __call__(self, row: int, cells: list[str]) -> list[str]:
        if self._open:
            self._open = [(merge, text) for merge, text in self._open if merge.last >= row]
            if self._open and any(cell.strip() for cell in cells):
                cells = self._filled(cells)
        for merge in self._starting.pop(row, ()):
            if merge.column < len(cells) and cells[merge.column].strip():
                self._open.append((merge, cells[merge.column]))
        return cells

    def _filled(self, cells: list[str]) -> list[str]:
        filled = list(cells)
        for merge, text in self._open:
            if merge.column < len(filled) and not filled[merge.column].strip():
                filled[merge.column] = text
        return filled
