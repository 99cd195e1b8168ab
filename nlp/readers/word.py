"""Word .docx documents: every table in the body, with the paragraphs above it as context.

Departments attach their 绩效目标表 as Word files: a few paragraphs (项目名称：…, 主管部门：…,
年度绩效目标：…) and a table whose 一级/二级 cells are merged down the rows they cover; one file
often holds several projects. The body is walked in document order so each table gets the
paragraphs written since the previous table. Merged cells are read from the XML (``gridSpan``
across, ``vMerge`` down) and left blank after their first grid cell, exactly as openpyxl gives
merged Excel cells, so the shared framer carries them down the same way.
"""
from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from nlp.readers.base import InputError
from nlp.readers.grid import Grid, read_grids
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
            rows = [_row_cells(row) for row in item._tbl.tr_lst]
            locations = [f"table{number}!row{index}" for index in range(1, len(rows) + 1)]
            yield Grid(f"table{number}", f"{path.stem}#{number}", rows, locations, above)
            above = []


def _row_cells(tr: object) -> list[str]:
    """One table row as grid cells: a merged cell's text in its first grid column, then blanks."""
    from docx.table import _Cell

    cells = [""] * getattr(tr, "grid_before", 0)
    for tc in tr.tc_lst:  # type: ignore[attr-defined]
        text = "" if tc.vMerge == "continue" else _Cell(tc, None).text
        cells.extend([text, *[""] * (tc.grid_span - 1)])
    return cells
