"""The model's linear parts computed directly: vocabulary lookup, sparse dot product, calibration.

Why: scoring a handful of rows through scikit-learn spends most of its time on per-call input
validation (``check_array``, feature-name and parameter checks) in two vectorizers, the 二级
category classifier, three family heads and three calibrators, not on the arithmetic, which is a
few hundred multiplications per row. :class:`LinearHeads` does the same arithmetic with numpy and
scipy on the numbers of the fitted estimators, read once when the scorer is built (no second
artifact to keep in step). ``tests/test_linear_heads.py`` checks its scores against
:meth:`nlp.model.IndicatorModel.predict_proba_families` (the scikit-learn path) on every corpus row.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from nlp.features import AnalysedRows, IndicatorFeaturizer, _char_text, numeric_dicts_to_csr
from nlp.model import IndicatorModel
from nlp.schema import FAMILIES


class TfidfTable:
    """A fitted ``TfidfVectorizer``'s transform: its own analyzer, then counts → (1 + log) → idf → l2."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        if vectorizer.norm != "l2" or not vectorizer.use_idf or vectorizer.binary:
            raise ValueError(f"direct tf-idf supports norm='l2', use_idf, binary=False; got {vectorizer!r}")
        self.analyze: Callable[[object], list[str]] = vectorizer.build_analyzer()
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.idf: np.ndarray = vectorizer.idf_
        self.sublinear: bool = vectorizer.sublinear_tf

    def transform(self, documents: Sequence[object]) -> sp.csr_matrix:
        indices: list[int] = []
        counts: list[int] = []
        indptr = [0]
        for document in documents:
            found: dict[int, int] = {}
            for term in self.analyze(document):
                column = self.vocabulary.get(term)
                if column is not None:
                    found[column] = found.get(column, 0) + 1
            indices.extend(found)
            counts.extend(found.values())
            indptr.append(len(indices))
        matrix = sp.csr_matrix((np.array(counts, dtype=float), np.array(indices, dtype=np.int32), np.array(indptr)),
                               shape=(len(documents), len(self.idf)))
        matrix.sort_indices()  # as scikit-learn does, so the norms below add up in its order
        data = matrix.data
        if self.sublinear:
            np.log(data, out=data)
            data += 1.0
        data *= self.idf[matrix.indices]
        row_of = np.repeat(np.arange(len(documents)), np.diff(matrix.indptr))
        norms = np.sqrt(np.bincount(row_of, weights=data * data, minlength=len(documents)))
        data /= np.where(norms > 0, norms, 1.0)[row_of]
        return matrix


def _probabilities(decision: np.ndarray) -> np.ndarray:
    """``LogisticRegression.predict_proba`` from its decision values: softmax for several classes,
    the logistic function for two."""
    if decision.shape[1] == 1:
        positive = 1.0 / (1.0 + np.exp(-decision[:, 0]))
        return np.column_stack([1.0 - positive, positive])
    shifted = np.exp(decision - decision.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class LinearHeads:
    """Featuriser, category classifier, family heads and their Platt calibration of one
    :class:`~nlp.model.IndicatorModel`, as matrices; :meth:`predict` returns what
    ``predict_proba_families`` returns."""

    def __init__(self, model: IndicatorModel) -> None:
        featurizer: IndicatorFeaturizer = model.featurizer_
        self.model = model
        self.words = TfidfTable(featurizer.words_)
        self.chars = TfidfTable(featurizer.chars_)
        self.structure = featurizer.structure_.vocabulary_
        category: LogisticRegression = model.category_model_
        self.category_weights = np.ascontiguousarray(category.coef_.T)
        self.category_intercept = category.intercept_
        self.category_columns = [model.category_classes_.index(c) for c in category.classes_]
        self.head_weights = np.column_stack([model.heads_[f].coef_.ravel() for f in FAMILIES])
        self.head_intercepts = np.array([model.heads_[f].intercept_[0] for f in FAMILIES])
        calibrators = [model.calibrators_[f] for f in FAMILIES]
        self.slopes = np.array([c.coef_[0, 0] for c in calibrators])
        self.offsets = np.array([c.intercept_[0] for c in calibrators])

    def features(self, rows: AnalysedRows) -> sp.csr_matrix:
        """``IndicatorFeaturizer.transform`` (word and character tf-idf, structure) without validation."""
        return sp.hstack([
            self.words.transform(rows.contexts),
            self.chars.transform([_char_text(c) for c in rows.contexts]),
            numeric_dicts_to_csr(IndicatorFeaturizer._structure_dicts(rows), self.structure),
        ], format="csr")

    def category_proba(self, X: sp.csr_matrix) -> np.ndarray:
        """二级 probabilities in ``model.category_classes_`` order (0 for a class absent in training)."""
        proba = _probabilities(np.asarray(X @ self.category_weights) + self.category_intercept)
        full = np.zeros((X.shape[0], len(self.model.category_classes_)))
        full[:, self.category_columns] = proba
        return full

    def predict(self, rows: AnalysedRows) -> tuple[dict[str, np.ndarray], np.ndarray, sp.csr_matrix]:
        """Calibrated probability per family, the 二级 probabilities, and the design matrix."""
        X = self.features(rows)
        category = self.category_proba(X)
        X = sp.hstack([X, self.model.category_features_.transform(category, rows)], format="csr")
        decision = np.asarray(X @ self.head_weights) + self.head_intercepts
        calibrated = 1.0 / (1.0 + np.exp(-(decision * self.slopes + self.offsets)))
        # the decisive-rule floors and the mismatch mask are the model's own rule
        scores = {f: self.model._combine(f, calibrated[:, j], rows) for j, f in enumerate(FAMILIES)}
        return scores, category, X
