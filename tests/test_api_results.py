"""The API's per-row results are the bytes its pydantic models write, built without the models.

``nlp.api.results`` renders scored rows as plain data and serialises them in one pass; the
reference here is the model path it replaced: each row validated into ``RowResult`` (findings
into ``FindingOut``) and the response written by ``model_dump_json``.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import nlp
from nlp.api.models import FamilyFlags, FamilyScores, FileScoreResponse, RowResult, ScoreResponse
from nlp.api.results import row_result, scored_response
from nlp.corpus import load_corpus
from nlp.records import INTERCHANGE_COLUMNS
from nlp.schema import FAMILIES, Finding


def model_bytes(envelope: ScoreResponse, scored: list[dict[str, Any]]) -> bytes:
    """The response as the models write it: every row validated into ``RowResult``."""
    rows = [RowResult.model_validate({**row_result(row), "findings": _raw(row, "findings", "codes"),
                                      "table_findings": _raw(row, "table_findings", "table_codes")})
            for row in scored]
    return envelope.model_copy(update={"rows": rows}).model_dump_json().encode()


def _raw(row: dict[str, Any], column: str, codes: str) -> list[Any]:
    """The findings as the model received them before (``row_findings``' dicts, unvalidated)."""
    from nlp.report.rows import row_findings

    return row_findings(row.get(column), row.get(codes))


@pytest.fixture(scope="module")
def scored() -> list[dict[str, Any]]:
    """Every corpus row scored by the real model, as ``POST /v1/score`` scores it."""
    corpus = load_corpus().astype(str)
    fields = [c for c in INTERCHANGE_COLUMNS if c in corpus.columns]
    rows = [{k: v for k, v in row.items() if v} for row in corpus[fields].to_dict("records")]
    return nlp.load(memo_bytes=0).score(rows)


def test_every_corpus_row_renders_as_the_models_write_it(scored: list[dict[str, Any]]) -> None:
    for envelope in (ScoreResponse(model_version="1.2.3", rows=[]),
                     FileScoreResponse(model_version="1.2.3", rows=[], file="表.csv", warnings=["第3行：重复的表头"])):
        assert scored_response(envelope, scored).body == model_bytes(envelope, scored)


def test_a_row_is_its_models_dump_in_field_order(scored: list[dict[str, Any]]) -> None:
    assert tuple(FAMILIES) == tuple(FamilyFlags.model_fields) == tuple(FamilyScores.model_fields)
    for row in scored:
        data = row_result(row)
        assert list(data) == list(RowResult.model_fields)
        assert RowResult.model_validate(data).model_dump() == data


def test_odd_cells_render_as_the_models_write_them(scored: list[dict[str, Any]]) -> None:
    """A frame's row (numpy scalars, NaN cells), findings known only by their codes (synthesised
    from the catalogue, without ``quote``), findings as objects, and a NaN score (``null``)."""
    row = next(r for r in scored if r["findings"] and r["table_findings"])
    odd = [
        {**row, "row_id": np.nan, "flag_mismatch": np.int64(1), "score_boilerplate": np.float64(0.25),
         "suggested_level2": float("nan"), "explanation": None},
        {**row, "findings": [], "codes": "B1; M2", "table_findings": None, "table_codes": "T1"},
        {**row, "findings": [Finding(**f) for f in row["findings"]]},
        {**row, "findings": [{**f, "start": np.int64(3)} for f in row["findings"]]},
        {**row, "score_mismatch": math.nan, "risk": math.inf},
    ]
    envelope = ScoreResponse(model_version="v", rows=[])
    assert scored_response(envelope, odd).body == model_bytes(envelope, odd)
    assert b'"mismatch":null' in scored_response(envelope, odd[-1:]).body
