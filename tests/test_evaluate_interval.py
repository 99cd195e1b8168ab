"""The document-resampled interval of macro F1 (nlp.evaluate.macro_f1_interval)."""
import numpy as np
import pandas as pd

from nlp.evaluate import family_metrics, macro_f1_interval
from nlp.schema import FAMILIES


def _frames(agree: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.RandomState(1)
    gold = pd.DataFrame({f: rng.randint(0, 2, len(agree)) for f in FAMILIES})
    predicted = pd.DataFrame({f"flag_{f}": np.where(agree, gold[f], 1 - gold[f]) for f in FAMILIES})
    return gold, predicted


def test_perfect_predictions_have_a_point_interval():
    gold, predicted = _frames(np.ones(60, dtype=bool))
    assert macro_f1_interval(gold, predicted, np.repeat(np.arange(12), 5)) == [1.0, 1.0]


def test_errors_shared_by_a_document_widen_the_interval_beyond_row_resampling():
    documents = np.repeat(np.arange(8), 30)
    agree = (documents % 2 == 0) | (np.random.RandomState(2).rand(240) < 0.4)  # odd documents mostly wrong
    gold, predicted = _frames(agree)
    macro = family_metrics(gold, predicted)["macro_f1"]
    by_document = macro_f1_interval(gold, predicted, documents)
    by_row = macro_f1_interval(gold, predicted, np.arange(240))
    assert by_document[0] <= macro <= by_document[1]
    assert by_document[1] - by_document[0] > by_row[1] - by_row[0]


def test_the_interval_is_reproducible():
    gold, predicted = _frames(np.random.RandomState(3).rand(50) < 0.6)
    groups = np.repeat(np.arange(10), 5)
    assert macro_f1_interval(gold, predicted, groups) == macro_f1_interval(gold, predicted, groups)
