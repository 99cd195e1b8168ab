"""The direct linear heads must give scikit-learn's scores, and so the same flags and codes."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import nlp
from nlp.corpus import load_corpus
from nlp.features import analyse_frame
from nlp.linear_heads import LinearHeads
from nlp.records import ALL_COLUMNS
from nlp.schema import FAMILIES


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    rows = load_corpus()
    return rows[[c for c in ALL_COLUMNS if c in rows.columns]].astype(str)


@pytest.fixture(scope="module")
def model():
    return nlp.load(memo_bytes=0).model


def _assert_same(got: tuple, want: tuple) -> None:
    (scores, category, X), (want_scores, want_category, want_X) = got, want
    for family in FAMILIES:
        np.testing.assert_allclose(scores[family], want_scores[family], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(category, want_category, rtol=1e-12, atol=1e-14)
    assert X.shape == want_X.shape  # same entries in the same order: explanations rank ties alike
    for got_part, want_part in ((X.indptr, want_X.indptr), (X.indices, want_X.indices), (X.data, want_X.data)):
        np.testing.assert_array_equal(got_part, want_part)


def test_scores_equal_scikit_learn_on_every_corpus_row(corpus, model) -> None:
    rows = analyse_frame(corpus)
    _assert_same(LinearHeads(model).predict(rows), model.predict_proba_families(rows))


def test_single_rows_equal_scikit_learn(corpus, model) -> None:
    """One row at a time, as the API scores a never-seen row."""
    rows, heads = analyse_frame(corpus), LinearHeads(model)
    for i in range(0, len(rows), 37):
        one = rows.subset([i])
        _assert_same(heads.predict(one), model.predict_proba_families(one))


def test_flags_codes_and_findings_equal_the_scikit_learn_path(corpus) -> None:
    direct, reference = nlp.load(memo_bytes=0), nlp.load(memo_bytes=0)
    reference.heads = SimpleNamespace(predict=reference.model.predict_proba_families)
    pd.testing.assert_frame_equal(direct.score_frame(corpus), reference.score_frame(corpus))
