"""Measuring flags and codes against reference labels (the ``labeling-guide.md`` columns).

One set of metric functions serves ``iqc train`` (held-out and fresh-source predictions) and
``iqc evaluate`` (a labelled file scored by a bundled model), so the figures in the manifest, the
model card and a user's own evaluation are computed the same way.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_fscore_support

from nlp.schema import FAMILIES


def family_metrics(gold: pd.DataFrame, predicted: pd.DataFrame, prefix: str = "flag_") -> dict[str, dict]:
    """Precision/recall/F1/support per family for 0/1 columns ``{prefix}{family}``, plus ``macro_f1``."""
    metrics: dict[str, dict] = {}
    for family in FAMILIES:
        truth = np.asarray(gold[family], dtype=int)
        guess = np.asarray(predicted[f"{prefix}{family}"], dtype=int)
        p, r, f, _ = precision_recall_fscore_support(truth, guess, average="binary", zero_division=0)
        metrics[family] = {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                           "support": int(truth.sum())}
    metrics["macro_f1"] = round(float(np.mean([metrics[f]["f1"] for f in FAMILIES])), 4)
    return metrics


def macro_f1_interval(gold: pd.DataFrame, predicted: pd.DataFrame, groups: Sequence[object],
                      level: float = 0.90, resamples: int = 1000, seed: int = 0) -> list[float]:
    """The ``level`` interval of macro F1 over documents resampled with replacement.

    Why documents: rows of one table share a project, a writer and a template, so they are not
    independent; resampling rows would pretend a 26-document test set is ten times larger than it
    is. With a few dozen positives per family, one row moves F1 by several points: the interval
    says how far a figure could move on the next province's tables of the same kind.
    """
    groups = np.asarray(groups)
    documents, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == d) for d in range(len(documents))]
    truth = {f: np.asarray(gold[f], dtype=int) for f in FAMILIES}
    guess = {f: np.asarray(predicted[f"flag_{f}"], dtype=int) for f in FAMILIES}
    rng = np.random.RandomState(seed)
    scores = []
    for _ in range(resamples):
        rows = np.concatenate([members[d] for d in rng.randint(0, len(documents), len(documents))])
        scores.append(np.mean([_f1(truth[f][rows], guess[f][rows]) for f in FAMILIES]))
    tail = (1 - level) / 2 * 100
    return [round(float(np.percentile(scores, tail)), 4), round(float(np.percentile(scores, 100 - tail)), 4)]


def _f1(truth: np.ndarray, guess: np.ndarray) -> float:
    """F1 of two 0/1 arrays (0 when both are empty of positives). Not scikit-learn's: its per-call
    checks would cost seconds over the 3,000 resampled family scores of one interval."""
    both = int((truth & guess).sum())
    return 2 * both / max(int(truth.sum()) + int(guess.sum()), 1)


def split_codes(codes: object) -> set[str]:
    """``"B3;M2"`` -> ``{"B3", "M2"}`` ("" and NaN -> empty)."""
    return {code for code in str(codes if isinstance(codes, str) else "").split(";") if code}


def code_metrics(gold_codes: Sequence[object], predicted_codes: Sequence[object]) -> dict[str, dict]:
    """Per code: rows where reviewers wrote it, rows where it was reported, both, precision, recall."""
    gold, predicted, both = Counter(), Counter(), Counter()
    for truth, guess in zip(gold_codes, predicted_codes):
        truth, guess = split_codes(truth), split_codes(guess)
        gold.update(truth)
        predicted.update(guess)
        both.update(truth & guess)
    return {code: {"gold": gold[code], "predicted": predicted[code], "both": both[code],
                   "precision": round(both[code] / predicted[code], 4) if predicted[code] else None,
                   "recall": round(both[code] / gold[code], 4) if gold[code] else None}
            for code in sorted(set(gold) | set(predicted))}


def rule_metrics(gold_codes: Sequence[object], rule_hits: Iterable[dict[str, str]]) -> dict[str, dict]:
    """:func:`code_metrics` of every rule that *fired*, flagged or not: how far each rule can be
    trusted on its own (the catalogue's ``default_off`` marks rules under 0.7 precision)."""
    return code_metrics(gold_codes, [";".join(hits) for hits in rule_hits])


def evaluate_frame(scored: pd.DataFrame, gold: pd.DataFrame) -> dict:
    """Scored rows joined to their labels on ``row_id``: families, the review band, and codes.

    Family columns the rows carry themselves (a rows file with older labels) are dropped first:
    the merge would keep them under the family's name and move the labels to ``*_gold``, so the
    rows' columns would be measured against instead of the labels.
    """
    merged = scored.drop(columns=list(FAMILIES), errors="ignore").merge(
        gold[["row_id", *FAMILIES, "codes"]], on="row_id", suffixes=("", "_gold"))
    for family in FAMILIES:
        merged[family] = merged[family].astype(int)
    review = [split_codes(families) for families in merged.get("review", pd.Series("", index=merged.index))]
    flagged_or_review = pd.DataFrame({
        f"seen_{family}": (merged[f"flag_{family}"].astype(int) == 1) | pd.Series([family in r for r in review],
                                                                                  index=merged.index)
        for family in FAMILIES})
    return {
        "rows": len(merged),
        "families": family_metrics(merged, merged),
        "families_with_review": family_metrics(merged, flagged_or_review, prefix="seen_"),
        "codes": code_metrics(merged["codes_gold"].tolist(), merged["codes"].tolist()),
    }
