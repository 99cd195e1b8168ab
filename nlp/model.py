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
  probabilities are kept. Its regularisation ``C`` is chosen per family from :data:`C_GRID` by
  grouped cross-validation (average precision of the out-of-fold scores on real rows).
* **Reliable rules are decisive.** A rule whose training precision, shrunk towards its family's
  pooled rule precision (:func:`decisive_rules`), is ≥ :data:`DECISIVE_PRECISION` sets a floor
  under the family's score: that precision. Rules are written from the guide's definitions, so their reliability carries to new
  documents far better than n-gram weights learned from a few hundred rows, which is where the
  model's recall on unseen tables was lost (a rare rule's weight cannot survive regularisation).
* **Thresholds for precision.** Each family flags at the lowest out-of-fold threshold with
  precision ≥ :data:`TARGET_PRECISION` on real rows (or, when none below the best-F1 threshold
  reaches it, at the best-F1 threshold); rows between the best-F2 threshold (recall-weighted) and
  the flag threshold are put in a ``review`` band ("needs a look") instead of being flagged.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, precision_recall_curve
from sklearn.model_selection import GroupKFold, cross_val_predict

from nlp.categories import level2_names
from nlp.features import AnalysedRows, IndicatorFeaturizer
from nlp.codes import family_of, is_default_off
from nlp.rules import RULES
from nlp.schema import FAMILIES

C_GRID = (0.1, 0.25, 0.5, 1.0, 2.0)
TARGET_PRECISION = 0.90
DECISIVE_PRECISION = 0.85
RULE_PRIOR_STRENGTH = 4.0


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
    C : inverse regularisation of the family heads (``None``: chosen per family from :data:`C_GRID`).
    category_C : inverse regularisation of the category model.
    n_inner_splits : grouped folds for out-of-fold category features and for calibration.
    random_state : seed for the solvers (liblinear is deterministic given it).
    char_ngrams, min_df : text-feature settings passed to :class:`~nlp.features.IndicatorFeaturizer`.
    """

    def __init__(self, C: float | None = None, category_C: float = 4.0, n_inner_splits: int = 4,
                 random_state: int = 0, char_ngrams: tuple[int, int] = (1, 3), min_df: int = 2) -> None:
        self.C = C
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
        self.rule_floors_ = decisive_rules(rows, labels, real_mask)
        self.heads_, self.calibrators_, self.C_ = {}, {}, {}
        self.thresholds_, self.review_thresholds_ = {}, {}
        for family in FAMILIES:
            head, calibrator, oof = self._fit_head(X_full, labels[family], splits,
                                                   real_mask)
            oof = self._combine(family, oof, rows)
            self.heads_[family], self.calibrators_[family], self.C_[family] = head, calibrator, head.C
            y, score = labels[family][real_mask], oof[real_mask]
            self.thresholds_[family] = precision_threshold(y, score, TARGET_PRECISION)
            self.review_thresholds_[family] = min(best_fbeta_threshold(y, score, beta=2.0), self.thresholds_[family])
        return self

    def _combine(self, family: str, calibrated: np.ndarray, rows: AnalysedRows) -> np.ndarray:
        """The family's score: the calibrated head, floored by its decisive rules that fired; zero for
        what the guide says cannot be wrong (an unused slot; for unmeasurable, a named artefact,
        unless a rule floors it)."""
        floors = self.rule_floors_.get(family, {})
        floor = np.array([max((floors[code] for code in hits if code in floors), default=0.0) for hits in rows.hits])
        if family == "unmeasurable":
            calibrated = calibrated * (1.0 - names_artefact(rows))
        score = np.maximum(calibrated, floor) * claims_something(rows)
        return score * category_declared(rows) if family == "mismatch" else score

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

    def _fit_head(self, X, y, splits, real_mask):
        """The head with the ``C`` of :data:`C_GRID` whose grouped out-of-fold scores rank real rows
        best (average precision), its Platt calibrator, and its calibrated out-of-fold scores."""
        best = None
        for C in (self.C,) if self.C else C_GRID:
            base = LogisticRegression(C=C, max_iter=3000, class_weight="balanced", solver="liblinear",
                                      random_state=self.random_state)
            oof_decision = cross_val_predict(base, X, y, cv=splits, method="decision_function")
            quality = average_precision_score(y[real_mask], oof_decision[real_mask]) if y[real_mask].any() else 0.0
            if best is None or quality > best[0]:
                best = (quality, base, oof_decision)
        _, base, oof_decision = best
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
            decision = head.decision_function(X).reshape(-1, 1)
            scores[family] = self._combine(family, self.calibrators_[family].predict_proba(decision)[:, 1], rows)
        return scores, category, X

    def feature_names(self) -> np.ndarray:
        return np.concatenate([self.featurizer_.get_feature_names_out(),
                               np.array(CategoryFitFeatures.names, dtype=object)])

    def head_coefficients(self, family: str) -> np.ndarray:
        """The linear head's coefficients (the model whose score is calibrated)."""
        return self.heads_[family].coef_.ravel()


def claims_something(rows: AnalysedRows) -> np.ndarray:
    """0 for an unused template slot or an explicit "not applicable" on an optional dimension
    (:attr:`~nlp.context.RowContext.is_unused_slot`), else 1.

    The labelling guide scores such a row 0/0/0 -- nothing was claimed, so nothing can be wrong --
    and the few such rows in training did not teach the heads so: some still reached the review
    band or a flag.
    """
    return np.array([0.0 if c.is_unused_slot else 1.0 for c in rows.contexts])


def names_artefact(rows: AnalysedRows) -> np.ndarray:
    """1 where the value names an artefact and the act producing it (印发…办法, 通过…验收), else 0
    (:attr:`~nlp.context.RowContext.value_names_artefact`).

    The labelling guide lists "a binary with a named artefact (通过省级验收)" as measurable, but one
    labelled row in all collections has such a value, and the head learned from the others that a
    text value is unmeasurable: so only the family's rules (an M3 grade beside the artefact, say)
    may call such a row unmeasurable, not the head.
    """
    return np.array([float(c.value_names_artefact) for c in rows.contexts])


def category_declared(rows: AnalysedRows) -> np.ndarray:
    """1 where the row declares a 一级 or 二级 category, else 0.

    A category mismatch is undefined for a row that declares no category (many published lists
    give only 三级 names), so the mismatch score of such a row is 0 rather than a guess.
    """
    return np.array([float(bool(c.level1.name or c.level2.name)) for c in rows.contexts])


def decisive_rules(rows: AnalysedRows, labels: dict[str, np.ndarray], real_mask: np.ndarray) -> dict[str, dict[str, float]]:
    """Family -> {code: shrunken precision} for the rules reliable enough to floor a score.

    A rule is right when its family is labelled positive, whichever code the reviewer wrote. Its
    precision on real training rows is shrunk towards its family's pooled rule precision with
    :data:`RULE_PRIOR_STRENGTH` pseudo-firings (empirical Bayes). Why: every rule is written from
    the guide's definition and tested on its examples, so a rule that fires on few training rows
    (C8 where the training collections happen to hold no broken hierarchy) is as trustworthy as
    its family's rules are in general -- not, as a uniform prior would say, a coin toss. A rule
    that misfires in training falls below the bar with its evidence.
    """
    fired: dict[str, int] = {}
    right: dict[str, int] = {}
    for i in np.flatnonzero(real_mask):
        for code in rows.hits[i]:
            family = family_of(code)
            if family in labels and not is_default_off(code):
                fired[code] = fired.get(code, 0) + 1
                right[code] = right.get(code, 0) + int(labels[family][i])
    floors: dict[str, dict[str, float]] = {}
    for family in labels:
        codes = [code for code in RULES if family_of(code) == family and not is_default_off(code)]
        total = sum(fired.get(code, 0) for code in codes)
        prior = sum(right.get(code, 0) for code in codes) / total if total else 0.0
        for code in codes:
            precision = (right.get(code, 0) + RULE_PRIOR_STRENGTH * prior) / (fired.get(code, 0) + RULE_PRIOR_STRENGTH)
            if precision >= DECISIVE_PRECISION:
                floors.setdefault(family, {})[code] = round(precision, 4)
    return floors


def precision_threshold(y: np.ndarray, proba: np.ndarray, target: float) -> float:
    """The lowest threshold whose validation precision reaches ``target``; when no threshold at or
    below the best-F1 one reaches it, the best-F1 threshold (flagging only a model's few surest
    rows trades most of its recall for a precision the validation rows cannot vouch for)."""
    if y.sum() == 0:
        return 0.5
    precision, _, thresholds = precision_recall_curve(y, proba)
    best_f1 = best_fbeta_threshold(y, proba)
    reaching = np.flatnonzero((precision[:-1] >= target) & (thresholds <= best_f1))
    return float(thresholds[reaching[0]]) if reaching.size else best_f1


def best_fbeta_threshold(y: np.ndarray, proba: np.ndarray, beta: float = 1.0) -> float:
    """The probability threshold with the best F-beta on validation predictions (0.5 if undefined);
    beta = 2 weighs recall twice: the review band's lower edge."""
    if y.sum() == 0:
        return 0.5
    precision, recall, thresholds = precision_recall_curve(y, proba)
    b2 = beta * beta
    score = (1 + b2) * precision * recall / np.maximum(b2 * precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(score[:-1]))])
