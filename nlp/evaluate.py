"""Measuring flags and codes against reference labels (the ``labeling-guide.md`` columns).

One set of metric functions serves ``iqc train`` (held-out and fresh-source predictions) and
``iqc evaluate`` (a labelled file scored by a bundled model), so the figures in the manifest, the
model card and a user's own evaluation are computed the same way.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_fscore_support

from nlp.codes import catalogue
from nlp.schema import FAMILIES


class LabelError(ValueError):
    """Labels that would be misread (joined to the wrong row, a code counted that is none); the
    message is one line naming the file and the row."""


def family_metrics(gold: pd.DataFrame, predicted: pd.DataFrame, prefix: str = "flag_") -> dict[str, dict]:
    """Precision/recall/F1/support per family for 0/1 columns ``{prefix}{family}``, plus ``macro_f1``.

    A figure with nothing to count is ``None``, not 0: precision without a flag, recall without a
    positive, F1 with neither (F1 is 2TP / (2TP + FP + FN), as scikit-learn computes it, so a family
    whose positives were all missed keeps its 0). ``macro_f1`` is the mean over the families whose
    F1 is defined (:func:`macro_note` says which): a small labelled file without a mismatch row
    scored that family 0 and cut macro F1 by a third, as if the model had failed it.
    """
    metrics: dict[str, dict] = {}
    for family in FAMILIES:
        truth = np.asarray(gold[family], dtype=int)
        guess = np.asarray(predicted[f"{prefix}{family}"], dtype=int)
        p, r, f, _ = precision_recall_fscore_support(truth, guess, average="binary", zero_division=0)
        positives, flags = int(truth.sum()), int(guess.sum())
        metrics[family] = {"precision": _counted(p, flags), "recall": _counted(r, positives),
                           "f1": _counted(f, positives + flags), "support": positives}
    macro = _macro(metrics[f]["f1"] for f in FAMILIES)
    metrics["macro_f1"] = None if macro is None else round(macro, 4)
    return metrics


def _counted(value: float, count: int) -> float | None:
    """``value`` rounded, or ``None`` when it counts nothing (``count`` is its denominator's rows)."""
    return round(float(value), 4) if count else None


def _macro(f1s: Iterable[float | None]) -> float | None:
    """The mean of the defined F1s (``None`` when none is)."""
    defined = [f1 for f1 in f1s if f1 is not None]
    return float(np.mean(defined)) if defined else None


def macro_note(metrics: dict) -> str:
    """What ``macro_f1`` of :func:`family_metrics` is the mean of, when not of every family ("" then)."""
    undefined = [family for family in FAMILIES if metrics[family]["f1"] is None]
    if not undefined:
        return ""
    over = ", ".join(family for family in FAMILIES if family not in undefined) or "no family"
    return f"over {over}; {', '.join(undefined)}: no positive and no flag, F1 undefined"


def figure(value: float | None, digits: int = 3) -> str:
    """A metric as printed: ``–`` for an undefined one (``None``), never a 0 it is not."""
    return "–" if value is None else f"{value:.{digits}f}"


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
        scores.append(_macro(_f1(truth[f][rows], guess[f][rows]) for f in FAMILIES))
    scores = [score for score in scores if score is not None]  # a resample with no positive and no flag at all
    tail = (1 - level) / 2 * 100
    return [round(float(np.percentile(scores, tail)), 4), round(float(np.percentile(scores, 100 - tail)), 4)]


def _f1(truth: np.ndarray, guess: np.ndarray) -> float | None:
    """F1 of two 0/1 arrays (``None`` when both are empty of positives, as in :func:`family_metrics`).
    Not scikit-learn's: its per-call checks would cost seconds over the 3,000 resampled family scores
    of one interval."""
    both, marked = int((truth & guess).sum()), int(truth.sum()) + int(guess.sum())
    return 2 * both / marked if marked else None


def split_codes(codes: object) -> set[str]:
    """``"B3;M2"`` -> ``{"B3", "M2"}`` ("" and NaN -> empty)."""
    return {code for code in str(codes if isinstance(codes, str) else "").split(";") if code}


def check_labels(labels: pd.DataFrame, source: object) -> None:
    """Refuse labels (the ``labeling-guide.md`` columns, read as strings) that the join on
    ``row_id`` and the metrics would silently misread: a line without a row_id, a row_id twice,
    a family label other than 0/1, a code that is not one (see :func:`_check_codes`). Labels that
    know their lines (a ``source_line`` column, as the readers give) are named ``file:line``, the
    line ``iqc score`` names for that row."""
    blank = labels[labels["row_id"] == ""]
    if len(blank):
        line = blank["source_line"].iloc[0] if "source_line" in blank else blank.index[0] + 2
        raise LabelError(f"{source}:{line}: no row_id")
    one_per_row_id(labels, source)
    bad = labels[~labels[list(FAMILIES)].isin(["0", "1"]).all(axis=1)]
    if len(bad):
        first = bad.iloc[0].to_dict()
        raise LabelError(f"{located(source, first)}: row_id {first['row_id']}: family labels must be 0 or 1")
    for record in labels.to_dict("records"):
        _check_codes(record, source)


def located(source: object, label: Mapping[str, str]) -> str:
    """Where a label is: ``file:line`` when its line is known, else the file."""
    line = label.get("source_line", "")
    return f"{source}:{line}" if line else str(source)


def one_per_row_id(frame: pd.DataFrame, source: object) -> None:
    """Refuse a row_id given twice: the join on row_id would count that row once per copy, and
    two different labels of one row both."""
    repeated = frame["row_id"].value_counts().loc[lambda counts: counts > 1]
    if len(repeated):
        raise LabelError(f"{source}: row_id {repeated.index[0]!r} is given {repeated.iloc[0]} times; "
                         "each row needs exactly one")


def _check_codes(label: dict[str, str], source: object) -> None:
    """Refuse a code that is not in the catalogue (``b3``, ``B3；M6``, ``B3, M6`` would each be counted
    as a code of its own) or whose family the row is labelled 0 in (which of the two is wrong
    cannot be told, and the per-code figures would disagree with the per-family ones), or a table
    code (T1, T2): the model reports those in ``table_codes``, so one would count as never found."""
    where = f"{located(source, label)}: row_id {label['row_id']!r}"
    for code in sorted(split_codes(label["codes"])):
        if code not in catalogue():
            raise LabelError(f"{where}: unknown code {code!r} (codes as in data/codes.toml, separated by ';', e.g. B3;M6)")
        family = catalogue()[code]["family"]
        if family == "table":
            raise LabelError(f"{where}: code {code} is about a whole table (reported in table_codes), not about a row")
        if family in FAMILIES and label[family] != "1":
            raise LabelError(f"{where}: code {code} is a {family} code, but {family} is 0")


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
