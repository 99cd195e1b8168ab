"""A deterministic stand-in for ``nlp.load()``'s scorer, for API tests and ``api_bench.py --fake``.

It honours the scorer interface exactly (``model_info``, ``score_frame``, ``score``) and emits
real catalogue codes from four toy rules, so the API can be exercised end to end before the real
model exists. ``IQC_API_TESTS_REAL=1 pytest tests/test_api.py`` runs the same tests against
``nlp.load()`` instead.
"""
from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pandas as pd

from nlp.codes import catalogue
from nlp.records import INTERCHANGE_COLUMNS
from nlp.schema import FAMILIES, FINDINGS_COLUMN, Finding

_CATEGORY_NAMES = {"数量", "质量", "时效", "成本", "社会效益", "经济效益", "生态效益", "可持续影响", "满意度"}
_VAGUE = ("提升", "提高", "改善", "明显")
_PLACEHOLDERS = ("**", "XX", "xx")


class FakeScorer:
    """Rules: B1 name repeats a category, B2 empty/placeholder value, M1 vague value,
    C1 percentage under 数量. Scores add a hash-derived jitter so they vary but never change."""

    model_info: dict[str, Any] = {
        "version": "fake-0.0.1",
        "training_data_sha256": "0" * 64,
        "metrics": {"boilerplate": {"f1": 0.0}, "mismatch": {"f1": 0.0}, "unmeasurable": {"f1": 0.0}},
        "created": "2025-01-01T00:00:00Z",
    }

    def __init__(self) -> None:
        self.calls = 0

    def score(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        self.calls += 1
        return [{**row, **_score_row(_text_cells(row))} for row in rows]

    def score_requests(self, requests: Iterable[Iterable[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        return [self.score(rows) for rows in requests]

    def score_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        self.calls += 1
        outputs = [_score_row(_text_cells(row)) for row in df.to_dict("records")]
        return pd.concat([df.reset_index(drop=True), pd.DataFrame(outputs, index=range(len(df)))], axis=1)


class CountingScorer:
    """The real scorer with the fake's ``calls`` counter (tests check that errors never score)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.model_info, self.calls = inner, inner.model_info, 0

    def score(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        self.calls += 1
        return self.inner.score(rows)

    def score_requests(self, requests: Iterable[Iterable[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        self.calls += 1
        return self.inner.score_requests(requests)

    def score_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        self.calls += 1
        return self.inner.score_frame(df)


def make_scorer() -> FakeScorer | CountingScorer:
    """The fake, or the real model when ``IQC_API_TESTS_REAL`` is set."""
    if os.environ.get("IQC_API_TESTS_REAL"):
        import nlp

        return CountingScorer(nlp.load())
    return FakeScorer()


def _text_cells(row: dict[str, Any]) -> dict[str, str]:
    return {c: "" if pd.isna(row.get(c, "")) else str(row.get(c, "")) for c in INTERCHANGE_COLUMNS}


def _score_row(row: dict[str, str]) -> dict[str, Any]:
    codes = _codes(row)
    findings = [_finding(code, row) for code in codes]
    fired = {catalogue()[code]["family"] for code in codes}
    scores = {f: round(_jitter(row, f) + (0.6 if f in fired else 0.0), 4) for f in FAMILIES}
    return {
        **{f"flag_{f}": scores[f] >= 0.5 for f in FAMILIES},
        **{f"score_{f}": scores[f] for f in FAMILIES},
        "risk": max(scores.values()),
        "review": "",
        "codes": ";".join(codes),
        "suggested_level2": "质量" if "C1" in codes else "",
        "explanation": " ".join(f["message"] for f in findings),
        FINDINGS_COLUMN: findings,
    }


def _codes(row: dict[str, str]) -> list[str]:
    name, value, level2 = row["level3"].strip(), row["target_value"].strip(), row["level2"]
    rules = {
        "B2": not value or any(p in name + value for p in _PLACEHOLDERS),
        "B1": name.removesuffix("指标") in _CATEGORY_NAMES,
        "C1": "数量" in level2 and "%" in value,
        "M1": any(w in value for w in _VAGUE) and not any(ch.isdigit() for ch in value),
    }
    return [code for code, fired in rules.items() if fired]


def _finding(code: str, row: dict[str, str]) -> dict[str, str]:
    entry = catalogue()[code]
    slots = defaultdict(str, name=row["level3"], value=row["target_value"], level2=row["level2"],
                        evidence=row["level3"] or row["target_value"], suggested="质量",
                        project=row["project_name"])
    return Finding(code=code, family=entry["family"], severity=entry["severity"], title=entry["title"],
                   message=entry["message"].format_map(slots), evidence=slots["evidence"],
                   suggestion=entry["suggestion"].format_map(slots), field=entry["field"]).to_dict()


def _jitter(row: dict[str, str], family: str) -> float:
    digest = hashlib.sha256(f"{family}|{row['level3']}|{row['target_value']}".encode()).digest()
    return digest[0] / 255 * 0.4
