"""Is a project's table complete enough to be judged? (findings T1 and T2)

A reviewer returns a table for what is missing as often as for a bad row: no 满意度 row, no 效益
row, no 时效 row, or so few indicators that nothing can be checked. Which dimensions each framework
requires lives in ``data/completeness.toml``; the framework of a table is read from its own
categories (a 101-style table files 成本 as a 一级 with 经济/社会/生态环境成本).
"""
from __future__ import annotations

from dataclasses import dataclass

from nlp.categories import Category
from nlp.resources import load_toml

_101_LEVEL2 = frozenset({"经济成本", "社会成本", "生态环境成本"})


@dataclass(frozen=True, slots=True)
class TableGaps:
    """What a table lacks: the required dimensions it has no row of, and whether it is too small."""

    framework: str = ""
    missing: tuple[str, ...] = ()
    indicators: int = 0
    too_few: bool = False


def _spec() -> dict:
    return load_toml("completeness.toml")


def framework_of(level1: list[Category], level2: list[Category]) -> str:
    """``"101"`` when the table files 成本 as a 一级 or uses its sub-types, else ``"older"``."""
    if any(c.name in _101_LEVEL2 for c in level2) or any(c.name == "成本" for c in level1):
        return "101"
    return "older"


def table_gaps(level1: list[Category], level2: list[Category], indicators: int,
               required: tuple[dict, ...] | None = None) -> TableGaps:
    """Gaps of one table from its rows' resolved categories and its number of filled indicators.

    ``required``: a province's own list (``iqc.toml``), replacing the framework's. A table that
    declares no category on most rows (many published lists give only names) cannot be judged for
    missing dimensions, only for its size.
    """
    spec = _spec()
    too_few = 0 < indicators < spec["min_indicators"]
    resolved = [c.name for c in level2 if c.known]
    if len(resolved) * 2 < max(indicators, 1):
        return TableGaps(indicators=indicators, too_few=too_few)
    framework = framework_of(level1, level2)
    required = required or spec["frameworks"][framework]["required"]
    present = set(resolved)
    missing = tuple(group["name"] for group in required if not present & set(group["any"]))
    return TableGaps(framework, missing, indicators, too_few)
