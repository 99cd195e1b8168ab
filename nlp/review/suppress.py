"""Hiding findings that reviewers rejected, in later runs, for identical rows (like a baseline).

A post-processing step over scored rows, so the scorer and its fingerprinted files stay as they
are: a rejected finding is dropped from ``findings``, ``codes`` and ``explanation``, and a family
left with no finding is no longer flagged (``suggested_level2`` goes with ``flag_mismatch``). The
calibrated scores and ``risk`` stay the model's: they are what it thinks, not what was decided.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from nlp.fingerprints import finding_key
from nlp.report.rows import frame_records
from nlp.schema import FAMILIES, FINDINGS_COLUMN, Finding, finding_cells


def suppress_row(row: Mapping[str, Any], rejected: frozenset[str]) -> tuple[dict[str, Any], int]:
    """``row`` without its rejected findings, and how many were hidden."""
    findings = [dict(f) for f in row.get(FINDINGS_COLUMN) or ()]
    kept = [f for f in findings if f.get("family") == "advisory" or finding_key(row, f["code"]) not in rejected]
    hidden = len(findings) - len(kept)
    if not hidden:
        return dict(row), 0
    rendered = finding_cells(Finding(**f) for f in kept)  # the scorer's own rendering of what is left
    out = {**row, FINDINGS_COLUMN: kept, "codes": rendered["codes"], "explanation": rendered["explanation"]}
    for family in FAMILIES:
        if not any(f.get("family") == family for f in kept):
            out[f"flag_{family}"] = 0
    if not out["flag_mismatch"]:
        out["suggested_level2"] = ""
    return out, hidden


def suppress_rows(rows: Iterable[Mapping[str, Any]], rejected: frozenset[str]) -> tuple[list[dict[str, Any]], int]:
    """Every row through :func:`suppress_row`; the rows and the total hidden."""
    done = [suppress_row(row, rejected) for row in rows]
    return [row for row, _ in done], sum(hidden for _, hidden in done)


def suppress_frame(scored: pd.DataFrame, rejected: frozenset[str]) -> tuple[pd.DataFrame, int]:
    """A scored frame (with its findings column) without rejected findings; the count hidden.

    Column dtypes are kept (a flag stays bool or int, as the scorer made it).
    """
    if not rejected or FINDINGS_COLUMN not in scored or scored.empty:
        return scored, 0
    rows, hidden = suppress_rows(frame_records(scored), rejected)
    if not hidden:
        return scored, 0
    result = scored.copy()
    for column in ["codes", "explanation", "suggested_level2", FINDINGS_COLUMN, *(f"flag_{f}" for f in FAMILIES)]:
        values = [row[column] for row in rows]
        result[column] = pd.Series(values, index=scored.index, dtype=scored[column].dtype)
    return result, hidden


class SuppressingScorer:
    """A scorer whose results leave out ``rejected`` findings: what the HTTP API serves once
    reviewers have rejected some (the scorer interface of :class:`nlp.api.deps.Scorer`)."""

    def __init__(self, scorer: Any, rejected: frozenset[str]) -> None:
        self.scorer, self.rejected, self.model_info = scorer, rejected, scorer.model_info

    def score(self, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return suppress_rows(self.scorer.score(rows), self.rejected)[0]

    def score_requests(self, requests: Iterable[Iterable[Mapping[str, Any]]]) -> list[list[dict[str, Any]]]:
        return [suppress_rows(rows, self.rejected)[0] for rows in self.scorer.score_requests(requests)]

    def score_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        return suppress_frame(self.scorer.score_frame(df), self.rejected)[0]
