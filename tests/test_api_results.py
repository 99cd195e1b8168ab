"""The API's per-row results are the bytes its pydantic models write, built without the models.

``nlp.api.results`` renders scored rows as plain data and serialises them in one pass; the
reference here is the model path it replaced: each row validated into ``RowResult`` (findings
into ``FindingOut``) and the response written by ``model_dump_json``. A large request scored by
the model's own scorer is answered from its output tuples: the same bytes as from its dicts.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

import nlp
from fake_scorer import CountingScorer
from nlp.api import ApiSettings, create_app
from nlp.api.models import FamilyFlags, FamilyScores, FileScoreResponse, RowResult, ScoreResponse
from nlp.api.results import output_response, row_result, scored_response
from nlp.config import Config
from nlp.corpus import load_corpus
from nlp.records import INTERCHANGE_COLUMNS
from nlp.report.rows import row_findings
from nlp.schema import FAMILIES, Finding


def model_bytes(envelope: ScoreResponse, scored: list[dict[str, Any]]) -> bytes:
    """The response as the models write it: every row validated into ``RowResult``."""
    rows = [RowResult.model_validate({**row_result(row), "findings": _raw(row, "findings", "codes"),
                                      "table_findings": _raw(row, "table_findings", "table_codes")})
            for row in scored]
    return envelope.model_copy(update={"rows": rows}).model_dump_json().encode()


def _raw(row: dict[str, Any], column: str, codes: str) -> list[Any]:
    """The findings as the model received them before (``row_findings``' dicts, unvalidated)."""
    return row_findings(row.get(column), row.get(codes))


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    """Every corpus row as ``POST /v1/score`` hands it to the scorer (a ``row_id`` each)."""
    corpus = load_corpus().astype(str)
    fields = [c for c in INTERCHANGE_COLUMNS if c in corpus.columns]
    rows = [{k: v for k, v in row.items() if v} for row in corpus[fields].to_dict("records")]
    return [{**row, "row_id": row.get("row_id") or str(i)} for i, row in enumerate(rows, start=1)]


@pytest.fixture(scope="module")
def scored(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every corpus row scored by the real model."""
    return nlp.load(memo_bytes=0).score(records)


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


@pytest.mark.parametrize("config", [
    Config(),
    Config(disable=frozenset({"B1", "M2"}), severity={"C3": "low"}, thresholds={"boilerplate": 0.9}),
], ids=["default", "configured"])
def test_outputs_render_as_the_rows_score_returns(records: list[dict[str, Any]], config: Config) -> None:
    """On every corpus row, copies of its tables and a cell cut for analysis (B4 naming the
    twin, I1), as is and re-graded by a configuration."""
    copied = [{**row, "row_id": f"copy-{row['row_id']}", "project_name": f"{row.get('project_name', '')}（复制）"}
              for row in records[:60]]
    long = [{**records[0], "row_id": "long", "level3": "很长的指标" * 2100}]  # over analysed_cell_chars
    rows = records + copied + long
    scorer = nlp.load(memo_bytes=0, config=config)
    envelope = ScoreResponse(model_version="v", rows=[])
    outputs = scorer.score_outputs(rows)
    assert any(f.code == "B4" for output in outputs for f in output[-1])
    assert any(f.code == "I1" for f in outputs[-1][-1])
    assert output_response(envelope, rows, outputs).body == scored_response(envelope, scorer.score(rows)).body


def test_the_api_answers_from_outputs_with_the_bytes_of_the_dicts(records: list[dict[str, Any]]) -> None:
    settings = ApiSettings(max_rows=5000, max_body_bytes=20 << 20, max_cell_chars=2000)
    answers = []
    for scorer in (nlp.load(memo_bytes=0), CountingScorer(nlp.load(memo_bytes=0))):  # outputs; dicts
        with TestClient(create_app(scorer=scorer, settings=settings)) as client:
            answers.append(client.post("/v1/score", json=records).content)
    assert answers[0] == answers[1]
