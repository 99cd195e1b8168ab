"""Stable keys of findings, so a reviewer's decision follows the row, not its position.

A re-exported or re-ordered table gets new ``row_id`` s and line numbers, but its analysed cells
are the same; hashing those cells (whitespace-normalised) with the finding's code lets a decision
made once apply to the identical row in any later run. Review decisions and baselines share it.
"""
from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from typing import Any

#: The cells a finding depends on, in hashing order (the scorer's analysed cells).
KEY_CELLS: tuple[str, ...] = ("level1", "level2", "level3", "description", "target_value", "unit",
                              "basis", "project_name")

_SPACE = re.compile(r"\s+")


def normalised(value: Any) -> str:
    """A cell as hashed: missing (None/NaN) is empty, whitespace runs are one space, ends trimmed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return _SPACE.sub(" ", str(value)).strip()


def finding_key(row: Mapping[str, Any], code: str) -> str:
    """SHA-256 (hex) of the row's :data:`KEY_CELLS` and ``code``; unit-separated, so no two cell
    splits of the same text collide."""
    parts = [normalised(row.get(name)) for name in KEY_CELLS] + [code.strip()]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


#: Hex digits of a :func:`row_check`: a row changed by chance to one of the same check is one in 2^48.
CHECK_DIGITS = 12


def row_check(row: Mapping[str, Any]) -> str:
    """A short digest of the row's :data:`KEY_CELLS` and its ``codes`` cell, written beside each row of
    the scored workbook: a reviewer's edit of those cells, or a sort of some columns only, gives
    another digest, so the import refuses the row rather than key its decision on a row that never
    existed, or on another one."""
    return finding_key(row, normalised(row.get("codes")))[:CHECK_DIGITS]
