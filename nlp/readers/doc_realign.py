"""Putting back cells that slid left in a tab-separated row.

Where a merged 一级/二级 cell spans rows, some exports drop the empty cells it leaves and pad
the row with empty cells further right instead, so a 二级 name lands in the 一级 column
("→生态效益→村村响…" under 一级|二级|三级) or a 三级指标 lands in the first column with its
value type one column early. The row keeps its length. We move the category cells right by
the missing count and take the same number of empty cells out further right, but only when the
row as printed cannot be right and the moved row can: a known 二级 name in the 一级 column, or
(for two missing cells) a value-type column that holds no value type. Separately, a value type
printed one column off ("定性" under 备注 while 指标值类型 is empty) is moved into its column.
"""
from __future__ import annotations

from nlp.readers.doc_lexicon import is_level1_name, is_level2_name, is_type_token
from nlp.readers.doc_segments import Columns
from nlp.readers.doc_text import Cell


def _text(cells: list[Cell], index: int | None) -> str:
    return cells[index].text if index is not None and index < len(cells) else ""


def fits(cells: list[Cell], columns: Columns) -> bool:
    """Whether the category and value-type cells hold what their columns promise (or nothing)."""
    level1 = _text(cells, columns.index("level1"))
    level2 = _text(cells, columns.index("level2"))
    kind = _text(cells, columns.index("value_type"))
    return (
        (not level1 or is_level1_name(level1))
        and (not level2 or is_level2_name(level2))
        and (not kind or is_type_token(kind))
    )


def _evidence(cells: list[Cell], columns: Columns, missing: int) -> bool:
    """Positive sign that ``missing`` cells were dropped before the 一级 column."""
    first = _text(cells, columns.index("level1"))
    if missing == 1:
        return is_level2_name(first) and not is_level1_name(first)
    kind_at = columns.index("value_type")
    return bool(first) and kind_at is not None and not is_type_token(_text(cells, kind_at))


def _shift(cells: list[Cell], start: int, missing: int) -> list[Cell] | None:
    """Insert ``missing`` empty cells at ``start``; drop as many empty cells after the moved one."""
    line = cells[0].line if cells else 0
    moved = cells[:start] + [Cell("", line) for _ in range(missing)] + cells[start:]
    first_moved = start + missing
    for _ in range(missing):
        gap = next((i for i in range(first_moved + 1, len(moved)) if not moved[i].text), None)
        if gap is None:
            return None
        del moved[gap]
    return moved


def _shift_categories(cells: list[Cell], columns: Columns) -> list[Cell]:
    start = columns.index("level1")
    if start is None or fits(cells, columns):
        return cells
    for missing in (1, 2):
        if not _evidence(cells, columns, missing):
            continue
        moved = _shift(cells, start, missing)
        if moved is not None and fits(moved, columns):
            return moved
    return cells


def _pull_type(cells: list[Cell], columns: Columns) -> list[Cell]:
    """An empty 指标值类型 cell next to a stray type token ("定性" under 备注): swap them."""
    at = columns.index("value_type")
    if at is None or at >= len(cells) or cells[at].text:
        return cells
    for near in (at + 1, at - 1):
        if columns.fields.get(near) != "target_value" and is_type_token(_text(cells, near)):
            moved = list(cells)
            moved[at], moved[near] = moved[near], moved[at]
            return moved
    return cells


def realign(cells: list[Cell], columns: Columns) -> list[Cell]:
    """The row with slid cells put back, or unchanged when it fits or cannot be explained."""
    return _pull_type(_shift_categories(cells, columns), columns)
