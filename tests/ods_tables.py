"""Writing .ods test files cell by cell (pandas' writer makes neither merged cells nor hidden sheets)."""
from __future__ import annotations

from typing import Any


def ods_table(name: str, rows: list[list[str]], spans: dict[tuple[int, int], int] | None = None,
              covered: frozenset[tuple[int, int]] = frozenset(), hidden: frozenset[int] = frozenset(),
              **style: Any) -> Any:
    """An odfpy ``Table`` of string cells; ``spans`` maps (row, column) to the rows a cell is merged
    down, the cells it covers are in ``covered``, and the rows in ``hidden`` are hidden."""
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    table = Table(name=name, **style)
    for number, row in enumerate(rows):
        line = TableRow(visibility="collapse") if number in hidden else TableRow()
        for column, text in enumerate(row):
            if (number, column) in covered:
                line.addElement(CoveredTableCell())
                continue
            span = (spans or {}).get((number, column), 1)
            cell = TableCell(valuetype="string", numberrowsspanned=span) if span > 1 else TableCell(valuetype="string")
            cell.addElement(P(text=text))
            line.addElement(cell)
        table.addElement(line)
    return table
