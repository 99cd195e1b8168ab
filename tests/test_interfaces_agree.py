"""The same rows give the same results through the CLI, the Python API and the HTTP API (real model)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import nlp
from nlp.api import create_app
from nlp.corpus import load_corpus
from nlp.records import INTERCHANGE_COLUMNS
from nlp.schema import FAMILIES

COLUMNS = [c for c in INTERCHANGE_COLUMNS if c != "budget_wan"] + ["table_id"]


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    """Three whole real tables (table facts need the whole table) with all kinds of findings."""
    corpus = load_corpus().astype(str)
    tables = corpus.drop_duplicates("table_id")["table_id"].iloc[[0, 5, 40]]
    picked = corpus[corpus["table_id"].isin(tables)]
    return picked[[c for c in COLUMNS if c in picked.columns]].to_dict("records")


def _summary(row_id: str, flags, scores, risk, codes, suggested, explanation) -> tuple:
    return (row_id, tuple(int(flags[f]) for f in FAMILIES), tuple(round(float(scores[f]), 4) for f in FAMILIES),
            round(float(risk), 4), tuple(codes), suggested or "", explanation or "")


def _flat(row: dict) -> tuple:
    return _summary(row["row_id"], {f: row[f"flag_{f}"] for f in FAMILIES}, {f: row[f"score_{f}"] for f in FAMILIES},
                    row["risk"], [c for c in str(row["codes"] or "").split(";") if c], row["suggested_level2"],
                    row["explanation"])


def _nested(row: dict) -> tuple:
    return _summary(row["row_id"], row["flags"], row["scores"], row["risk"], row["codes"],
                    row["suggested_level2"], row["explanation"])


def test_cli_python_and_http_api_agree(rows, tmp_path: Path, iqc) -> None:
    source, scored = tmp_path / "rows.csv", tmp_path / "scored.jsonl"
    pd.DataFrame(rows).to_csv(source, index=False)
    assert iqc("score", source, "-o", scored, "--quiet")[0] == 0
    cli = [json.loads(line) for line in scored.read_text(encoding="utf-8").splitlines()]

    python = nlp.load().score(rows)
    client = TestClient(create_app(scorer=nlp.load()))
    http = client.post("/v1/score", json=rows).json()["rows"]
    with source.open("rb") as handle:
        http_file = client.post("/v1/score/file", files={"file": ("rows.csv", handle, "text/csv")}).json()["rows"]

    expected = [_flat(row) for row in python]
    assert sum(e[1] != (0, 0, 0) for e in expected) >= 5  # the comparison covers flagged rows
    assert [_flat(row) for row in cli] == expected
    assert [_nested(row) for row in http] == expected
    assert [_nested(row) for row in http_file] == expected
    assert [row["findings"] for row in http] == [[dict(f) for f in row["findings"]] for row in python]


def test_frames_scored_together_score_as_each_alone() -> None:
    """``Scorer.score_frames`` (a batch's joined small chunks) calls the model once for all the
    frames, yet each frame keeps its own tables: one table cut across two frames, and a table
    copied from one frame into another, score as when each frame is scored alone."""
    corpus = load_corpus().astype(str)
    docs = corpus["doc_id"].unique()[:12]
    frames = [corpus[corpus["doc_id"] == doc].reset_index(drop=True) for doc in docs]
    first = frames[0]
    half = len(first) // 2
    frames[:1] = [first.iloc[:half].reset_index(drop=True), first.iloc[half:].reset_index(drop=True)]
    frames.append(first.assign(project_name="抄来的项目"))  # a copy of the first document's tables
    scorer = nlp.load()
    together = scorer.score_frames(frames)
    scorer = nlp.load()  # nothing remembered from the call above
    pd.testing.assert_frame_equal(together, pd.concat([scorer.score_frame(frame) for frame in frames], ignore_index=True))
