"""Awkward files never corrupt, drop or crash a batch (issue #11).

One property over the corpus of ``tests/badfiles.py``, through ``iqc parse``, ``iqc score``
(``--jobs 1`` and ``2``, several chunk sizes) and ``POST /v1/score/file``: every readable row comes
out exactly once with its cells unchanged; each unreadable part gives one line naming the file,
the line or row, and the reason; no traceback; exit 1 when anything was not read, else 0; no
partial output file.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import badfiles
from badfiles import Case
from fake_scorer import make_scorer
from nlp.api import ApiSettings, create_app
from nlp.cli import EXIT_INPUT_FAILED, EXIT_OK

CASES = badfiles.cases()
GOOD = badfiles.good_cases()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Case]:
    return badfiles.write(CASES + GOOD, tmp_path_factory.mktemp("bad") / "in")


def _rows_by_file(output: Path) -> dict[str, list[tuple[str, str]]]:
    frame = pd.read_csv(output, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    rows: dict[str, list[tuple[str, str]]] = {}
    for file, level3, value in zip(frame["source_file"], frame["level3"], frame["target_value"]):
        rows.setdefault(file, []).append((level3, value))
    return rows


def assert_property(code: int, err: str, output: Path, files: dict[Path, Case]) -> None:
    assert "Traceback" not in err
    produced = _rows_by_file(output)
    for path, case in files.items():
        assert produced.get(path.name, []) == case.rows, path.name  # each row once, cells unchanged
        lines = [line for line in err.splitlines() if line.startswith(f"iqc: {path}:")]
        prefixes = [f"iqc: {path}:{where}: " if where else f"iqc: {path}: " for where in case.errors]
        assert len(lines) == len(prefixes), (path.name, lines)
        for line, prefix in zip(lines, prefixes):
            assert line.startswith(prefix) and case.reason in line, (line, prefix, case.reason)
    failed = any(case.errors for case in files.values())
    assert code == (EXIT_INPUT_FAILED if failed else EXIT_OK)
    assert not [p.name for p in output.parent.iterdir() if p.name.startswith(".")]  # no temp file left


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_parse_each_file_alone_and_with_good_files(iqc, corpus: dict[Path, Case], case: Case, tmp_path: Path) -> None:
    path = next(path for path, known in corpus.items() if known is case)
    goods = {p: c for p, c in corpus.items() if c in GOOD}
    for files in ({path: case}, {**goods, path: case}):
        output = tmp_path / "rows.csv"
        code, err = iqc("parse", *files, "-o", output)
        assert_property(code, err, output, files)


def test_parse_everything_at_once(iqc, corpus: dict[Path, Case], tmp_path: Path) -> None:
    output = tmp_path / "out" / "rows.csv"
    assert_property(*iqc("parse", *corpus, "-o", output), output, corpus)


def test_score_everything_at_once_in_small_chunks(iqc, corpus: dict[Path, Case], tmp_path: Path) -> None:
    output = tmp_path / "out" / "scored.csv"
    code, err = iqc("score", *corpus, "-o", output, "--jobs", 1, "--chunk-rows", 700, "--quiet")
    assert_property(code, err, output, corpus)


def test_score_with_two_workers(iqc, corpus: dict[Path, Case], tmp_path: Path) -> None:
    names = {"late_bad_line.csv", "trailing_comma_first_row.csv", "binary.csv", "mix_good.xlsx", "rows.jsonl"}
    files = {path: case for path, case in corpus.items() if path.name in names}
    output = tmp_path / "out" / "scored.csv"
    code, err = iqc("score", *files, "-o", output, "--jobs", 2, "--chunk-rows", 1000, "--quiet")
    assert_property(code, err, output, files)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(scorer=make_scorer(), settings=ApiSettings.from_env({})))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_api_upload_reads_what_the_cli_reads_or_names_why_not(client: TestClient, case: Case) -> None:
    response = client.post("/v1/score/file", files={"file": (case.name, case.data)})
    if case.readable and case.rows and not case.api_rejects:
        assert response.status_code == 200, response.text
        assert len(response.json()["rows"]) == len(case.rows)
    else:
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert case.name in error["message"] or error["code"] == "cell_too_long"
        assert case.reason in error["message"]
