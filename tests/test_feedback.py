"""``iqc train --feedback DB``: reviewer decisions join the final fit, reproducibly, reported apart."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlp.feedback import feedback_rows
from nlp.fingerprints import finding_key
from nlp.review.store import ReviewStore

ROWS = [
    ({"level1": "产出指标", "level2": "质量指标", "level3": "质量指标", "target_value": "≥95%", "project_name": "甲"},
     [("B1", "accept"), ("B4", "reject")]),
    ({"level1": "产出指标", "level2": "数量指标", "level3": "培训覆盖率", "target_value": "100%", "project_name": "甲"},
     [("C1", "reject")]),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("review") / "decisions.sqlite3"
    review = ReviewStore(path)
    for cells, decisions in ROWS:
        for code, decision in decisions:
            review.decide(finding_key(cells, code), code, decision, reviewer="张三", batch="b1", cells=cells,
                          when="2026-11-30T00:00:00+00:00")
    return path


def test_decided_rows_become_labelled_rows(store: Path) -> None:
    rows = feedback_rows(store).set_index("level3")
    assert len(rows) == 2
    assert rows.loc["质量指标", ["boilerplate", "mismatch", "unmeasurable"]].tolist() == [1, 0, 0]
    assert rows.loc["培训覆盖率", ["boilerplate", "mismatch", "unmeasurable"]].tolist() == [0, 0, 0]
    assert all("张三" in p for p in rows["provenance"])


def _train(store: Path, models: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from nlp.cli import main; raise SystemExit(main())", "train",
                             "--feedback", str(store), "--models-dir", str(models), "--folds", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_training_with_feedback_twice_gives_the_same_model(store: Path, tmp_path: Path) -> None:
    runs = [_train(store, tmp_path / f"m{i}") for i in (1, 2)]  # both at once: two cores
    for run in runs:
        out, err = run.communicate(timeout=900)
        assert run.returncode == 0, err[-2000:]
        assert "2 reviewer-decided rows" in out
    digests = [{p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / f"m{i}").iterdir()}
               for i in (1, 2)]
    assert digests[0] == digests[1]
    manifest = json.loads((tmp_path / "m1" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["feedback"]["rows"] == 2 and manifest["feedback"]["positives"]["boilerplate"] == 1
    assert "## Reviewer feedback" in (tmp_path / "m1" / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_a_missing_store_is_a_usage_error(iqc, tmp_path: Path) -> None:
    code, err = iqc("train", "--feedback", tmp_path / "nope.sqlite3", "--models-dir", tmp_path / "m")
    assert code == 2 and "no such review store" in err


def test_no_defect_is_synthesised_from_reviewed_rows(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A few reviewed rows copied into synthetic ones would weigh as many labelled ones
    (notebooks/adaptation_curve.py): defects are synthesised from the labelled corpus only."""
    import nlp.train
    from nlp.corpus import load_corpus

    synthesised_from, fitted = [], []
    synthesise, analyse_frame = nlp.train.synthesise, nlp.train.analyse_frame
    monkeypatch.setattr(nlp.train, "synthesise",
                        lambda rows, **kwargs: synthesised_from.append(set(rows["row_id"])) or synthesise(rows, **kwargs))
    monkeypatch.setattr(nlp.train, "analyse_frame", lambda frame: fitted.append(frame) or analyse_frame(frame))
    reviewed = feedback_rows(store)
    corpus = load_corpus()
    seeds = corpus[corpus["collection"] == "seed"].reset_index(drop=True)
    nlp.train.fit_system(seeds, reviewed=reviewed)
    assert synthesised_from == [set(seeds["row_id"])]
    real = fitted[0][fitted[0]["is_real"]]
    assert list(real["row_id"]) == [*seeds["row_id"], *reviewed["row_id"]]  # fitted on, as they are


def test_a_decision_on_a_code_not_in_the_catalogue_is_refused_naming_it(tmp_path: Path) -> None:
    """A store kept from another version (or data/codes.toml of another IQC_HOME) may hold codes
    today's catalogue lacks: a KeyError after minutes of training, or the row silently left out."""
    path = tmp_path / "review.sqlite3"
    cells = {"level3": "培训人数", "target_value": "≥100人", "project_name": "甲"}
    ReviewStore(path).decide(finding_key(cells, "Z9"), "Z9", "accept", cells=cells)
    with pytest.raises(ValueError, match=rf"^{path}: a decision on code 'Z9' \(row 培训人数\), which data/codes.toml "):
        feedback_rows(path)


def test_a_file_that_is_not_a_review_store_is_refused_before_training(iqc, tmp_path: Path) -> None:
    path = tmp_path / "review.sqlite3"
    path.write_text("row_id,decision\n", encoding="utf-8")
    code, err = iqc("train", "--feedback", path, "--models-dir", tmp_path / "m")
    assert (code, "Traceback" in err) == (1, False)
    assert err == f"iqc train: {path}: not a usable review database (file is not a database)\n"
    assert not (tmp_path / "m").exists()


def test_another_sqlite_database_is_not_a_review_store_and_is_left_as_it_was(iqc, tmp_path: Path) -> None:
    """``--feedback other.db`` opened the file as a store, which creates its tables: a database of
    another program was written into (and read as a store with no decisions)."""
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE budget (project TEXT, amount REAL)")
    before = path.read_bytes()
    code, err = iqc("train", "--feedback", path, "--models-dir", tmp_path / "m")
    assert (code, err) == (1, f"iqc train: {path}: not a review store (it has no decisions table)\n")
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_feedback_reads_a_store_without_writing_to_it(store: Path) -> None:
    """Reading decisions for training is no reason to change the store's file."""
    before = store.read_bytes()
    assert len(feedback_rows(store)) == 2
    assert store.read_bytes() == before
