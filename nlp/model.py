"""The trained model: a 二级 category classifier and one calibrated classifier per defect family.

Design (why it looks like this):

* One :class:`~nlp.features.IndicatorFeaturizer` is shared by all classifiers, so a batch is
  featurised once.
* The **category model** learns which 二级 the *content* of a row reads as (trained on rows whose
  category reviewers accepted). Its fit with the declared 二级 is the strongest mismatch signal and
  gives ``suggested_level2``. When it feeds the family classifiers during training, its
  probabilities are out-of-fold, so the mismatch head never sees over-confident in-sample fits.
* Each **family head** is a logistic regression (its ``coef_ · x`` is an exact, per-feature
  explanation) with a sigmoid (Platt) calibration fitted on its grouped out-of-fold decision
  values -- the ``CalibratedClassifierCV(ensemble=False)`` recipe, done by hand so the out-of-fold
  probabilities are kept: the decision threshold of each family is chosen on them (real rows
  only, never on the rows being reported), so one linear model remains and its probabilities and
  thresholds come from validation data.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_curve
from sklearn.model_selection import GroupKFold, cross_val_predict

from nlp.categories import level2_names
from nlp.features import AnalysedRows, IndicatorFeaturizer
from nlp.schema import FAMILIES


def grouped_splits(groups: np.ndarray, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Document-grouped folds (rows of one document never on both sides)."""
    n = min(n_splits, len(np.unique(groups)))
    return list(GroupKFold(n_splits=n).split(np.zeros(len(groups)), groups=groups))


class CategoryFitFeatures:
    """Turns 二级 probabilities plus the declared 二级 into a few dense mismatch features."""

    names = ("cat_p_declared", "cat_p_max", "cat_declared_is_top", "cat_margin", "cat_unknown_declared")

    def __init__(self, classes: list[str]) -> None:
        self.index = {name: i for i, name in enumerate(classes)}

    def transform(self, proba: np.ndarray, rows: AnalysedRows) -> sp.csr_matrix:
        out = np.zeros((len(rows), len(self.names)))
        for i, ctx in enumerate(rows.contexts):
            declared = self.index.get(ctx.level2.name) if ctx.level2.known else None
            top = proba[i].max()
            if declared is None:
                out[i, 4] = 1.0 if ctx.level2.name else 0.0
                continue
            p_declared = proba[i, declared]
            out[i, :4] = (p_declared, top, float(proba[i].argmax() == declared), top - p_declared)
        return sp.csr_matrix(out)


class IndicatorModel(BaseEstimator):
    """All trained parts. ``fit(rows, labels, groups)``; ``predict_proba_families(rows)``.

    Parameters
    ----------
    C : inverse regularisation of the family heads.
    category_C : inverse regularisation of the category model.
    n_inner_splits : grouped folds for out-of-fold category features and for calibration.
    random_state : seed for the solvers (liblinear is deterministic given it).
    char_ngrams, min_df : text-feature settings passed to :class:`~nlp.features.IndicatorFeaturizer`.
    text_heads : families whose head also sees the word and character n-grams; the others see only
        structure, rules, table facts and category fit (signals that carry to new documents).
    """

    def __init__(self, C: float = 0.5, category_C: float = 4.0, n_inner_splits: int = 4,
                 random_state: int = 0, char_ngrams: tuple[int, int] = (1, 3), min_df: int = 2,
                 text_heads: tuple[str, ...] = FAMILIES) -> None:
        self.C = C
        self.text_heads = text_heads
        self.category_C = category_C
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.n_inner_splits = n_inner_splits
        self.random_state = random_state

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, rows: AnalysedRows, labels: dict[str, np.ndarray], groups: np.ndarray,
            category_mask: np.ndarray, real_mask: np.ndarray) -> "IndicatorModel":
        """Fit on analysed rows.

        ``labels``: family -> 0/1 array. ``groups``: document id per row (for grouped inner folds).
        ``category_mask``: rows whose declared 二级 is trusted as the category model's target.
        ``real_mask``: real (not synthetic) rows -- thresholds are chosen on these only.
        """
        self.featurizer_ = IndicatorFeaturizer(min_df=self.min_df, char_ngrams=self.char_ngrams).fit(rows)
        X = self.featurizer_.transform(rows)
        splits = grouped_splits(groups, self.n_inner_splits)
        self.category_classes_ = list(level2_names())
        self.category_model_, oof_proba = self._fit_category(X, rows, category_mask, splits)
        self.category_features_ = CategoryFitFeatures(self.category_classes_)
        X_full = sp.hstack([X, self.category_features_.transform(oof_proba, rows)], format="csr")
        self.column_masks_ = {family: self._column_mask(family, X_full.shape[1]) for family in FAMILIES}
        self.heads_, self.calibrators_, self.thresholds_ = {}, {}, {}
        for family in FAMILIES:
            head, calibrator, oof = self._fit_head(X_full @ self.column_masks_[family], labels[family], splits)
            if family == "mismatch":
                oof = oof * category_declared(rows)
            self.heads_[family], self.calibrators_[family] = head, calibrator
            self.thresholds_[family] = best_f1_threshold(labels[family][real_mask], oof[real_mask])
        return self

    def _column_mask(self, family: str, width: int) -> sp.dia_matrix:
        """Diagonal 0/1 matrix that hides the text n-gram columns from a head not in ``text_heads``."""
        keep = np.ones(width)
        if family not in self.text_heads:
            keep[: self.featurizer_.text_width()] = 0.0
        return sp.diags(keep, format="csr")

    def _category_estimator(self) -> LogisticRegression:
        return LogisticRegression(C=self.category_C, max_iter=2000, class_weight="balanced")

    def _fit_category(self, X, rows, mask, splits):
        targets = np.array([c.level2.name for c in rows.contexts], dtype=object)
        usable = mask & np.isin(targets, self.category_classes_)
        estimator = self._category_estimator()
        oof = np.zeros((len(rows), len(self.category_classes_)))
        for train, test in splits:
            train = train[usable[train]]
            if len(np.unique(targets[train])) < 2:
                continue
            fold = clone(estimator).fit(X[train], targets[train])
            oof[test] = self._expand(fold, fold.predict_proba(X[test]))
        return estimator.fit(X[usable], targets[usable]), oof

    def _expand(self, model: LogisticRegression, proba: np.ndarray) -> np.ndarray:
        full = np.zeros((proba.shape[0], len(self.category_classes_)))
        for j, cls in enumerate(model.classes_):
            full[:, self.category_classes_.index(cls)] = proba[:, j]
        return full

    def _fit_head(self, X, y, splits):
        base = LogisticRegression(C=self.C, max_iter=3000, class_weight="balanced", solver="liblinear",
                                  random_state=self.random_state)
        oof_decision = cross_val_predict(base, X, y, cv=splits, method="decision_function")
        calibrator = LogisticRegression(C=1e4).fit(oof_decision.reshape(-1, 1), y)
        oof_proba = calibrator.predict_proba(oof_decision.reshape(-1, 1))[:, 1]
        return clone(base).fit(X, y), calibrator, oof_proba

    # -- prediction --------------------------------------------------------------------------
    def category_proba(self, X: sp.csr_matrix) -> np.ndarray:
        return self._expand(self.category_model_, self.category_model_.predict_proba(X))

    def design_matrix(self, rows: AnalysedRows) -> tuple[sp.csr_matrix, np.ndarray]:
        """Full feature matrix (shared + category fit) and the 二级 probabilities."""
        X = self.featurizer_.transform(rows)
        proba = self.category_proba(X)
        return sp.hstack([X, self.category_features_.transform(proba, rows)], format="csr"), proba

    def predict_proba_families(self, rows: AnalysedRows) -> tuple[dict[str, np.ndarray], np.ndarray, sp.csr_matrix]:
        """Calibrated probability per family, the 二级 probabilities, and the design matrix."""
        X, category = self.design_matrix(rows)
        scores = {}
        for family, head in self.heads_.items():
            decision = head.decision_function(X @ self.column_masks_[family]).reshape(-1, 1)
            scores[family] = self.calibrators_[family].predict_proba(decision)[:, 1]
        scores["mismatch"] = scores["mismatch"] * category_declared(rows)
        return scores, category, X

    def feature_names(self) -> np.ndarray:
        return np.concatenate([self.featurizer_.get_feature_names_out(),
                               np.array(CategoryFitFeatures.names, dtype=object)])

    def head_coefficients(self, family: str) -> np.ndarray:
        """The linear head's coefficients (the model whose score is calibrated)."""
        return self.heads_[family].coef_.ravel()


def category_declared(rows: AnalysedRows) -> np.ndarray:
    """1 where the row declares a 一级 or 二级 category, else 0.

    A category mismatch is undefined for a row that declares no category (many published lists
    give only 三级 names), so the mismatch score of such a row is 0 rather than a guess.
    """
    return np.array([float(bool(c.level1.name or c.level2.name)) for c in rows.contexts])


def best_f1_threshold(y: np.ndarray, proba: np.ndarray) -> float:
    """The probability threshold with the best F1 on validation predictions (0.5 if undefined)."""
    if y.sum() == 0:
        return 0.5
    precision, recall, thresholds = precision_recall_curve(y, proba)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f1[:-1]))])
