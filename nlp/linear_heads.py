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
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from nlp.features import AnalysedRows, IndicatorFeaturizer, _char_text, numeric_dicts_to_csr
from nlp.model import IndicatorModel
from nlp.schema import FAMILIES


#: One block of a sparse row matrix: column indices, values, and the number of entries of each row.
Block = tuple[np.ndarray, np.ndarray, np.ndarray]


class TfidfTable:
    """A fitted ``TfidfVectorizer``'s transform: its own analyzer, then counts → (1 + log) → idf → l2."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        if vectorizer.norm != "l2" or not vectorizer.use_idf or vectorizer.binary:
            raise ValueError(f"direct tf-idf supports norm='l2', use_idf, binary=False; got {vectorizer!r}")
        self.analyze: Callable[[object], list[str]] = vectorizer.build_analyzer()
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        #: column + 1 of each term, so that ``filter(None, …)`` drops unknown terms without a Python loop
        self._shifted = {term: column + 1 for term, column in self.vocabulary.items()}
        self.idf: np.ndarray = vectorizer.idf_
        self.sublinear: bool = vectorizer.sublinear_tf

    def block(self, documents: Sequence[object]) -> Block:
        """The documents' tf-idf rows, columns sorted within a row as scikit-learn stores them (so
        that sums run in its order).

        Per document only the analyzer and a C-level lookup run in Python; the terms of all
        documents are then counted at once (one ``np.unique`` over row × width + column, which
        also sorts them), which took a third less time than counting in a dict per document.
        """
        shifted, columns, lengths = self._shifted.get, [], []
        for document in documents:
            found = list(filter(None, map(shifted, self.analyze(document))))
            columns += found
            lengths.append(len(found))
        width = len(self.idf)
        cells = np.repeat(np.arange(len(lengths)), lengths) * width + np.array(columns, dtype=np.int64) - 1
        cells, counts = np.unique(cells, return_counts=True)
        row_of = cells // width
        indices, data = (cells - row_of * width).astype(np.int32), counts.astype(float)
        if self.sublinear:
            np.log(data, out=data)
            data += 1.0
        data *= self.idf[indices]
        norms = np.sqrt(np.bincount(row_of, weights=data * data, minlength=len(lengths)))
        data /= np.where(norms > 0, norms, 1.0)[row_of]
        return indices, data, np.bincount(row_of, minlength=len(lengths))


def _block_of(matrix: sp.csr_matrix) -> Block:
    return matrix.indices, matrix.data, np.diff(matrix.indptr)


def _side_by_side(blocks: list[Block], widths: list[int]) -> sp.csr_matrix:
    """``scipy.sparse.hstack`` of the blocks (same entries in the same order), built in one step."""
    sizes = [size for _, _, size in blocks]
    rows = np.concatenate([np.repeat(np.arange(len(size)), size) for size in sizes])
    order = np.argsort(rows, kind="stable")  # row by row, each row's blocks left to right
    offsets = np.cumsum([0, *widths[:-1]])
    indices = np.concatenate([block[0] + offset for block, offset in zip(blocks, offsets)])[order]
    data = np.concatenate([block[1] for block in blocks])[order]
    indptr = np.concatenate([[0], np.cumsum(sum(sizes))])
    return sp.csr_matrix((data, indices.astype(np.int32), indptr), shape=(len(sizes[0]), sum(widths)))


def _softmax(decision: np.ndarray) -> np.ndarray:
    """``LogisticRegression.predict_proba`` of a multinomial model from its decision values."""
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
        if len(category.classes_) < 3:  # two classes would be one logistic column, not a softmax
            raise ValueError(f"the 二级 classifier has {len(category.classes_)} classes; expected a multinomial one")
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
        structure = numeric_dicts_to_csr(IndicatorFeaturizer._structure_dicts(rows), self.structure)
        return _side_by_side([self.words.block(rows.contexts), self.chars.block([_char_text(c) for c in rows.contexts]),
                              _block_of(structure)], [len(self.words.idf), len(self.chars.idf), len(self.structure)])

    def category_proba(self, X: sp.csr_matrix) -> np.ndarray:
        """二级 probabilities in ``model.category_classes_`` order (0 for a class absent in training)."""
        proba = _softmax(np.asarray(X @ self.category_weights) + self.category_intercept)
        full = np.zeros((X.shape[0], len(self.model.category_classes_)))
        full[:, self.category_columns] = proba
        return full

    def predict(self, rows: AnalysedRows) -> tuple[dict[str, np.ndarray], np.ndarray, sp.csr_matrix]:
        """Calibrated probability per family, the 二级 probabilities, and the design matrix."""
        X = self.features(rows)
        category = self.category_proba(X)
        fit = self.model.category_features_.transform(category, rows)
        X = _side_by_side([_block_of(X), _block_of(fit)], [X.shape[1], fit.shape[1]])
        decision = np.asarray(X @ self.head_weights) + self.head_intercepts
        calibrated = expit(decision * self.slopes + self.offsets)
        # the decisive-rule floors and the mismatch mask are the model's own rule
        scores = {f: self.model._combine(f, calibrated[:, j], rows) for j, f in enumerate(FAMILIES)}
        return scores, category, X
