"""Scored rows as review items: one per finding that raised a flag, riskiest first.

An item carries what the review page shows (the finding, its explanation, the cell it points at)
and what the store keeps with a decision (the row's cells), so the page needs nothing else.
Advisory notes never raise a flag and are not put up for review.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from nlp.fingerprints import KEY_CELLS, finding_key, normalised
from nlp.report.rows import display, row_findings
from nlp.schema import FINDINGS_COLUMN

#: Row cells shown with each item (besides :data:`KEY_CELLS`).
CONTEXT_CELLS: tuple[str, ...] = ("row_id", "department", "source_file", "source_line")
_FINDING_FIELDS = ("code", "family", "severity", "title", "message", "evidence", "suggestion", "field",
                   "source", "quote", "start", "end")


def review_items(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Items of every flagged finding of ``rows`` (scored rows with findings), by risk, highest first."""
    items = [item for row in rows for item in _row_items(row)]
    items.sort(key=lambda item: -item["risk"])
    return items


def _row_items(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    cells = {name: normalised(row.get(name)) for name in (*KEY_CELLS, *CONTEXT_CELLS)}
    risk = float(row.get("risk") or 0.0)
    items = []
    for finding in row_findings(row.get(FINDINGS_COLUMN), row.get("codes")):
        if finding.get("family") == "advisory":
            continue
        item = {name: finding.get(name, "") for name in _FINDING_FIELDS}
        item.update(key=finding_key(row, item["code"]), risk=round(risk, 4), cells=cells)
        items.append(item)
    return items


class ScoredFileError(ValueError):
    """A line of a scored JSONL whose findings cannot be put up for review (``line N: why``)."""


def scored_jsonl_rows(data: bytes) -> list[dict[str, Any]] | None:
    """The rows of an ``iqc score -o x.jsonl`` output (each with its findings), else None.

    A scored file is opened as it is, never scored again: the reviewer sees what was sent. One
    whose ``risk`` or ``findings`` a hand or a program damaged raises :class:`ScoredFileError`
    naming the line (each was a 500; a finding without a code became a review item keyed on none).
    """
    try:
        lines = [(number, json.loads(line)) for number, line in enumerate(data.decode("utf-8-sig").splitlines(), 1)
                 if line.strip()]
    except (ValueError, RecursionError):  # not JSON Lines at all: the readers will say what it is
        return None
    if lines and all(isinstance(row, dict) and FINDINGS_COLUMN in row and "risk" in row for _, row in lines):
        if problem := next((f"line {number}: {why}" for number, row in lines if (why := _unusable(row))), None):
            raise ScoredFileError(problem)
        return [{key: display(value) if key in (*KEY_CELLS, *CONTEXT_CELLS) else value for key, value in row.items()}
                for _, row in lines]
    return None


def _unusable(row: Mapping[str, Any]) -> str:
    """Why a scored row cannot give review items, else "": its risk is no number (null is none),
    or its findings are not a list of objects each with a code."""
    risk, findings = row.get("risk"), row.get(FINDINGS_COLUMN)
    if risk is not None and (isinstance(risk, bool) or not isinstance(risk, (int, float)) or not math.isfinite(risk)):
        return f"risk must be a number, not {risk!r}"
    if not isinstance(findings, list) or not all(isinstance(f, dict) and f.get("code") and isinstance(f["code"], str)
                                                 for f in findings):
        return f"{FINDINGS_COLUMN} must be a list of findings, each an object with its code"
    return ""
