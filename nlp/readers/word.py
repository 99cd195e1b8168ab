"""Word .docx documents: every table in the body, with the paragraphs above it as context.

Departments attach their 绩效目标表 as Word files: a few paragraphs (项目名称：…, 主管部门：…,
年度绩效目标：…) and a table whose 一级/二级 cells are merged down the rows they cover; one file
often holds several projects. The body is walked in document order so each table gets the
paragraphs written since the previous table. Merged cells are read from the XML (``gridSpan``
across, ``vMerge`` down): a cell merged across is blank after its first grid column, and a cell
merged down is read on every row it spans (:mod:`nlp.readers.merged_cells`), as in Excel.
"""
from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from nlp.readers.base import InputError
from nlp.readers.grid import Grid, read_grids
from nlp.readers.merged_cells import VerticalMerge, vertical_merges
from nlp.readers.sheet_layout import SheetLayout
from nlp.readers.tabular import FileRead


def read_docx(path: Path, chunk_size: int | None, source: Path | None = None) -> FileRead:
    """The indicator tables of a .docx; ``source_line`` is ``table<N>!row<M>`` (1-based).

    ``source`` is the file to name in rows and messages when ``path`` is a conversion of it (.doc).
    """
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise InputError(str(path), f"not a readable Word .docx document ({type(error).__name__}: {error})") from error
    named = source or path
    return read_grids(named, _grids(named, document), chunk_size)


def _grids(path: Path, document: object) -> Iterator[Grid]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    above: list[list[str]] = []
    number = 0
    for item in document.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(item, Paragraph):
            if item.text.strip():
                above.append([item.text])
        elif isinstance(item, Table):
            number += 1
            parsed = [_row_cells(row) for row in item._tbl.tr_lst]
            rows = [cells for cells, _ in parsed]
            locations = [f"table{number}!row{index}" for index in range(1, len(rows) + 1)]
            yield Grid(f"table{number}", f"{path.stem}#{number}", rows, locations, above,
                       layout=SheetLayout(_vertical_merges(states for _, states in parsed)))
            above = []


def _row_cells(tr: object) -> tuple[list[str], dict[int, str]]:
    """One table row as grid cells (a merged cell's text in its first grid column, then blanks),
    and the ``vMerge`` state (restart/continue) of the cells merged down, by grid column."""
    from docx.table import _Cell

    cells = [""] * getattr(tr, "grid_before", 0)
    states: dict[int, str] = {}
    for tc in tr.tc_lst:  # type: ignore[attr-defined]
        if tc.vMerge:
            states[len(cells)] = tc.vMerge
        text = "" if tc.vMerge == "continue" else _Cell(tc, None).text
        cells.extend([text, *[""] * (tc.grid_span - 1)])
    return cells, states


def _vertical_merges(states: Iterable[dict[int, str]]) -> list[VerticalMerge]:
    """The cells merged down, from each row's ``vMerge`` states: a merge starts at ``restart`` and
    runs while the rows below ``continue`` it in the same grid column."""
    running: dict[int, list[int]] = {}  # column -> [first row, last row]
    boxes = []
    for row, by_column in enumerate(states):
        for column in [column for column in running if by_column.get(column) != "continue"]:
            first, last = running.pop(column)
            boxes.append((first, column, last, column))
        for column, state in by_column.items():
            if state == "restart":
                running[column] = [row, row]
            elif column in running:
                running[column][1] = row
    boxes += [(first, column, last, column) for column, (first, last) in running.items()]
    return vertical_merges(boxes)
