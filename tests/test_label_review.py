"""The label review (data/corpus/label_review.tsv) must stay well-formed and in step with the corpus.

Each line is a second opinion on one family label of one corpus row. The reference labels are never
edited; this test makes sure the review cannot drift from them (if a reference label changes, the
matching review line has to be re-examined).
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"
REVIEW = CORPUS / "label_review.tsv"
COLUMNS = ["row_id", "doc_id", "family", "reference", "reviewer", "codes_reference", "codes_reviewer", "reason"]
FAMILIES = {"boilerplate", "mismatch", "unmeasurable"}
CODE = re.compile(r"^(B([1-9]|10)|C[1-9]|M[1-7])$")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=3)


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    seed = _read(CORPUS / "seed_rows.tsv").merge(_read(CORPUS / "seed_labels.tsv"), on="row_id", validate="1:1")
    seed["doc_id"] = seed["seed_file"]
    public = _read(CORPUS / "public_tables.tsv").merge(_read(CORPUS / "public_labels.tsv"), on="row_id", validate="1:1")
    cols = ["row_id", "doc_id", "boilerplate", "mismatch", "unmeasurable", "codes"]
    both = pd.concat([seed[cols], public[cols]], ignore_index=True)
    assert both["row_id"].is_unique
    return both.set_index("row_id")


@pytest.fixture(scope="module")
def review() -> pd.DataFrame:
    return _read(REVIEW)


def test_columns(review: pd.DataFrame) -> None:
    assert list(review.columns) == COLUMNS
    assert len(review) > 0


def test_one_line_per_row_and_family(review: pd.DataFrame) -> None:
    dup = review[review.duplicated(["row_id", "family"], keep=False)]
    assert dup.empty, dup[["row_id", "family"]].to_string()


def test_rows_exist(review: pd.DataFrame, corpus: pd.DataFrame) -> None:
    missing = sorted(set(review["row_id"]) - set(corpus.index))
    assert not missing, missing


def test_doc_id_matches_corpus(review: pd.DataFrame, corpus: pd.DataFrame) -> None:
    bad = [r.row_id for r in review.itertuples() if corpus.at[r.row_id, "doc_id"] != r.doc_id]
    assert not bad, bad


def test_family_and_values(review: pd.DataFrame) -> None:
    assert set(review["family"]) <= FAMILIES, set(review["family"]) - FAMILIES
    assert set(review["reference"]) <= {"0", "1"}
    assert set(review["reviewer"]) <= {"0", "1"}
    same = review[review["reference"] == review["reviewer"]]
    assert same.empty, same[["row_id", "family"]].to_string()


def test_reference_equals_corpus_label(review: pd.DataFrame, corpus: pd.DataFrame) -> None:
    drift = [
        (r.row_id, r.family, r.reference, corpus.at[r.row_id, r.family])
        for r in review.itertuples()
        if corpus.at[r.row_id, r.family] != r.reference
    ]
    assert not drift, drift


def test_codes_reference_equals_corpus_codes(review: pd.DataFrame, corpus: pd.DataFrame) -> None:
    drift = [(r.row_id, r.codes_reference) for r in review.itertuples() if corpus.at[r.row_id, "codes"] != r.codes_reference]
    assert not drift, drift


def test_reviewer_codes_agree_with_reviewer_label(review: pd.DataFrame) -> None:
    """Reviewer codes are well-formed, and carry a code of the family exactly when the reviewer says 1."""
    prefix = {"boilerplate": "B", "mismatch": "C", "unmeasurable": "M"}
    for r in review.itertuples():
        codes = [c for c in r.codes_reviewer.split(";") if c]
        assert all(CODE.match(c) for c in codes), (r.row_id, codes)
        has_family_code = any(c.startswith(prefix[r.family]) for c in codes)
        assert has_family_code == (r.reviewer == "1"), (r.row_id, r.family, r.codes_reviewer)


def test_reason_present(review: pd.DataFrame) -> None:
    empty = review[review["reason"].str.strip() == ""]
    assert empty.empty, list(empty["row_id"])
