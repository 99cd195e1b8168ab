"""From a table's raw data rows to indicator values: map, join, fill, drop.

Published tables merge the 一级/二级 cells over the rows they cover, so the export prints each
category once and leaves the other rows blank; a reviewer reads them as repeated, so we carry
them down. Exports also centre a merged cell vertically, so a category can first appear one
row *below* the rows it covers (003: "→→《渌口新闻》…" precedes "产出指标→数量指标→…"): rows
before the first printed 一级 take the first one printed. A row split by a page break comes
back as a category-less fragment after the repeated header and is joined to the row above.
Rows that name nothing (an unused 社会成本指标 slot) are dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from nlp.readers.doc_realign import realign
from nlp.readers.doc_segments import Columns, DataRow
from nlp.readers.doc_text import Cell
from nlp.records import INTERCHANGE_COLUMNS

#: The interchange columns a table's cells fill: from 一级指标 to 指标值确定依据.
VALUE_FIELDS: tuple[str, ...] = INTERCHANGE_COLUMNS[INTERCHANGE_COLUMNS.index("level1") :]
#: A row needs one of these to be an indicator (categories alone are an empty slot).
_CONTENT = ("level3", "target_value", "description")
#: A page-break fragment has text only in these fields.
FRAGMENT_FIELDS = ("level3", "description")


@dataclass(slots=True)
class TableRow:
    """One row's field values, the line of its 三级指标 cell, and uninterpreted columns."""

    values: dict[str, str]
    line: int
    after_break: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def map_row(row: DataRow, columns: Columns) -> TableRow:
    """Field values of a raw row, by header position, after realigning slid cells."""
    line = row.cells[0].line if row.cells else 0
    padding = [Cell("", line) for _ in range(columns.width - len(row.cells))]
    cells = realign(row.cells + padding, columns)
    values = {name: "" for name in VALUE_FIELDS}
    extra: dict[str, str] = {}
    for i, cell in enumerate(cells):
        name = columns.fields.get(i)
        if name in values:
            values[name] = cell.text
        elif cell.text and i in columns.names:
            extra[columns.names[i]] = cell.text
    return TableRow(values, _anchor_line(cells, columns), row.after_break, extra)


def _anchor_line(cells: list[Cell], columns: Columns) -> int:
    """The line of the 三级指标 cell (or of the first non-empty cell when it is empty)."""
    at = columns.index("level3")
    if at is not None and at < len(cells) and cells[at].text:
        return cells[at].line
    return next((c.line for c in cells if c.text), cells[0].line if cells else 0)


def _is_fragment(row: TableRow) -> bool:
    """The second half of a row cut by a page break: only 三级指标/描述 text."""
    filled = {name for name, text in row.values.items() if text}
    return row.after_break and bool(filled) and filled <= set(FRAGMENT_FIELDS)


def join_fragments(rows: list[TableRow]) -> list[TableRow]:
    """Append page-break fragments to the row above (the text was cut mid-cell)."""
    out: list[TableRow] = []
    for row in rows:
        if out and _is_fragment(row):
            for name in FRAGMENT_FIELDS:
                out[-1].values[name] += row.values[name]
            continue
        out.append(row)
    return out


def fill_categories(rows: list[TableRow]) -> None:
    """Carry 一级/二级 down; rows before the first printed 一级 take the first one printed."""
    first = next((r for r in rows if r.values["level1"]), None)
    if first is not None:
        for row in rows:
            if row is first or row.values["level1"]:
                break
            row.values["level1"] = first.values["level1"]
            row.values["level2"] = row.values["level2"] or first.values["level2"]
    level1 = level2 = ""
    for row in rows:
        values = row.values
        if values["level1"] and values["level1"] != level1:
            level1, level2 = values["level1"], ""
        values["level1"] = values["level1"] or level1
        level2 = values["level2"] or level2
        values["level2"] = level2


def table_rows(raw_rows: list[DataRow], columns: Columns) -> list[TableRow]:
    """Indicator rows of one table, in order, ready to become records."""
    rows = join_fragments([map_row(row, columns) for row in raw_rows])
    fill_categories(rows)
    return [row for row in rows if any(row.values[name] for name in _CONTENT)]
