"""Scored rows as review items: one per finding that raised a flag, riskiest first.

An item carries what the review page shows (the finding, its explanation, the cell it points at)
and what the store keeps with a decision (the row's cells), so the page needs nothing else.
Advisory notes never raise a flag and are not put up for review.
"""
from __future__ import annotations

import json
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


def scored_jsonl_rows(data: bytes) -> list[dict[str, Any]] | None:
    """The rows of an ``iqc score -o x.jsonl`` output (each with its findings), else None.

    A scored file is opened as it is, never scored again: the reviewer sees what was sent.
    """
    try:
        rows = [json.loads(line) for line in data.decode("utf-8-sig").splitlines() if line.strip()]
    except ValueError:  # not JSON Lines at all: the readers will say what it is
        return None
    if rows and all(isinstance(row, dict) and FINDINGS_COLUMN in row and "risk" in row for row in rows):
        return [{key: display(value) if key in (*KEY_CELLS, *CONTEXT_CELLS) else value for key, value in row.items()}
                for row in rows]
    return None
