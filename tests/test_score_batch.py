"""``iqc score`` on a batch as a reviewer runs it: many files, one broken, every output format.

These run the bundled model end to end (in-process and with two worker processes), so they check
what a user gets: every readable row exactly once in each output, the broken file named with its
reason, the exit code saying something failed, and results that do not depend on chunking.
"""
from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from batch_files import write_readable_files
from nlp.batch import DEFAULT_CHUNK_ROWS
from nlp.first_pass import whole_documents
from nlp.cli import EXIT_INPUT_FAILED, EXIT_OK
from nlp.readers.base import InputError
from nlp.report import load_settings
from nlp.schema import OUTPUT_COLUMNS, scored_columns

SETTINGS = load_settings()


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, public_tables: pd.DataFrame, make_samples) -> tuple[Path, list[str]]:
    """A folder of three readable files (CSV, TSV, Chinese-header workbook) and two broken ones;
    returns the folder and the row ids the readable files hold."""
    folder = tmp_path_factory.mktemp("batch")
    parts = write_readable_files(folder, public_tables, make_samples)
    (folder / "d_broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (folder / "e_binary.csv").write_bytes(b"\x00\x01\x02level3,target_value\n")
    return folder, [*parts[0]["row_id"], *parts[1]["row_id"]]


def _scored(iqc, folder: Path, out: Path, *options: object) -> tuple[int, str]:
    return iqc("score", folder, "-o", out, "--quiet", *options)


def _csv_rows(path: Path, sep: str = ",") -> pd.DataFrame:
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("jobs", [1, 2])
def test_broken_files_are_reported_and_the_rest_is_scored(iqc, batch, tmp_path: Path, jobs: int) -> None:
    folder, row_ids = batch
    code, err = _scored(iqc, folder, tmp_path / "out.csv", "--jobs", jobs)
    assert code == EXIT_INPUT_FAILED
    assert "d_broken.xlsx" in err and "not a readable Excel workbook" in err
    assert "e_binary.csv" in err and "binary file" in err
    scored = _csv_rows(tmp_path / "out.csv")
    assert set(row_ids) <= set(scored["row_id"])
    assert scored["row_id"].is_unique
    assert set(scored["source_file"]) == {"a.csv", "b.tsv", "c.xlsx"}
    assert scored["risk"].astype(float).between(0, 1).all()


@pytest.fixture(scope="module")
def reference(batch, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The batch scored in-process to CSV: what every other format and setting must agree with."""
    from nlp.cli import main

    out = tmp_path_factory.mktemp("ref") / "ref.csv"
    assert main(["score", str(batch[0]), "-o", str(out), "--quiet"]) == EXIT_INPUT_FAILED
    return _csv_rows(out)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"])
def test_every_row_once_in_machine_formats_with_two_jobs(iqc, batch, reference, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"out{suffix}"
    chunk_rows = _longest_document(reference) + 1
    assert _scored(iqc, batch[0], out, "--jobs", 2, "--chunk-rows", chunk_rows)[0] == EXIT_INPUT_FAILED
    if suffix == ".jsonl":
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [r["row_id"] for r in records] == reference["row_id"].tolist()
        assert [r["codes"] for r in records] == reference["codes"].tolist()
        assert all(isinstance(r["findings"], list) for r in records)
    else:
        scored = _csv_rows(out, sep="\t" if suffix == ".tsv" else ",")
        pd.testing.assert_frame_equal(scored, reference)


def test_every_row_once_in_the_workbook(iqc, batch, reference, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    assert _scored(iqc, batch[0], out, "--jobs", 2)[0] == EXIT_INPUT_FAILED
    book = openpyxl.load_workbook(out, read_only=True)
    ids = []
    for sheet in book.worksheets:  # the main sheet continues on "<main> 2" when a later file adds columns
        if sheet.title.split(" ")[0] == SETTINGS.sheets["main"]:
            rows = sheet.iter_rows(values_only=True)
            header = next(rows)
            ids += [str(row[header.index("row_id")]) for row in rows]
    assert ids == reference["row_id"].tolist()


def test_html_report_counts_every_row(iqc, batch, reference, tmp_path: Path) -> None:
    out = tmp_path / "out.html"
    assert _scored(iqc, batch[0], out, "--jobs", 2)[0] == EXIT_INPUT_FAILED
    page = out.read_text(encoding="utf-8")
    assert f'<div class="num">{len(reference):,}</div><div>指标行数</div>' in page


def test_results_do_not_depend_on_chunk_size(iqc, batch, reference, tmp_path: Path) -> None:
    """Chunks just longer than the longest document: nearly every chunk ends inside a document,
    which the batch re-cuts, so table and document facts come out as in one piece."""
    out = tmp_path / "small_chunks.csv"
    assert _scored(iqc, batch[0], out, "--chunk-rows", _longest_document(reference) + 1)[0] == EXIT_INPUT_FAILED
    pd.testing.assert_frame_equal(_csv_rows(out), reference)


def _longest_document(scored: pd.DataFrame) -> int:
    return int(scored.groupby(["source_file", "doc_id"]).size().max())


def test_clean_batch_exits_zero(iqc, batch, tmp_path: Path) -> None:
    assert _scored(iqc, batch[0] / "a.csv", tmp_path / "out.csv")[0] == EXIT_OK


def test_whole_documents_moves_a_split_document_into_one_chunk() -> None:
    rows = pd.DataFrame({"doc_id": ["d1"] * 3 + ["d2"] * 4 + [""] * 3, "table_id": list("aaabbbbccd")})
    chunks = [rows.iloc[i : i + 4].reset_index(drop=True) for i in range(0, len(rows), 4)]
    regrouped = [chunk["table_id"].tolist() for chunk in whole_documents(chunks)]
    assert regrouped == [list("aaa"), list("bbbb"), list("cc"), list("d")]


def test_a_document_longer_than_a_chunk_is_cut_between_its_tables() -> None:
    rows = pd.DataFrame({"doc_id": ["d1"] * 7, "table_id": list("aabbbcc")})
    chunks = [rows.iloc[i : i + 4].reset_index(drop=True) for i in range(0, len(rows), 4)]
    regrouped = [chunk["table_id"].tolist() for chunk in whole_documents(chunks)]
    assert regrouped == [list("aa"), list("bbb"), list("cc")]


def test_whole_documents_keeps_rows_read_before_a_broken_line() -> None:
    def broken():
        yield pd.DataFrame({"doc_id": ["", "", ""], "table_id": list("abb")})
        raise InputError("x.csv", "malformed row", "5")

    kept = []
    with pytest.raises(InputError):
        for chunk in whole_documents(broken()):
            kept += chunk["table_id"].tolist()
    assert kept == list("abb")


def test_scored_columns_match_the_scorer(public_tables: pd.DataFrame) -> None:
    import nlp

    frame = public_tables.head(5).assign(risk="input column of the same name")
    scored = nlp.load().score_frame(frame, findings=False)
    assert list(scored.columns) == scored_columns(frame.columns, findings=False)
    assert list(scored.columns)[-len(OUTPUT_COLUMNS) + 1:] == [c for c in OUTPUT_COLUMNS if c != "risk"]


def test_help_states_the_default_chunk_size(iqc, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        iqc("score", "--help")
    assert f"default {DEFAULT_CHUNK_ROWS:,}" in " ".join(capsys.readouterr().out.split())


def test_input_columns_named_as_scored_ones_are_said_to_be_replaced(iqc, tmp_path: Path) -> None:
    """A table's own ``risk`` or ``review`` column took the scores' place in every output without a
    word (its cells were gone); a scored output, which has them all, is skipped as before."""
    source = tmp_path / "rows.csv"
    source.write_text("level2,level3,target_value,risk,review\n质量指标,合格率,≥95%,高,待复核\n", encoding="utf-8")
    code, err = iqc("score", source, "-o", tmp_path / "out.xlsx")
    assert code == EXIT_OK, err
    assert f"iqc: warning: {source}: columns risk, review have the names of scored columns" in err
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")[SETTINGS.sheets["inputs"]]
    assert any("risk, review" in (row[-1] or "") for row in sheet.iter_rows(values_only=True))


@pytest.mark.parametrize("suffix, finishing", [(".xlsx", True), (".html", True), (".csv", False)])
def test_the_progress_bar_says_when_a_report_is_being_finished(batch, tmp_path: Path, capsys, suffix: str,
                                                               finishing: bool) -> None:
    """A workbook's sheets and zip come after its last row; the bar must not sit silently at 100 %."""
    from nlp.batch import score_batch

    folder, _ = batch
    out = tmp_path / f"report{suffix}"
    score_batch(sorted(folder.glob("[abc]_*")), out, progress=True)
    progress = capsys.readouterr().err
    assert "scoring" in progress
    assert (f"writing report{suffix}" in progress) is finishing
