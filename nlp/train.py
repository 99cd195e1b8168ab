"""``iqc train``: rebuild ``models/`` from ``data/`` and measure it honestly.

Protocol (every figure comes from rows the measured model never saw):

1. **Fresh source** -- the headline, what a reviewer in a new province should expect. The labelled
   rows come in collections gathered in separate rounds from different provinces and sectors
   (:data:`nlp.corpus.COLLECTIONS`). The whole system is fitted on some collections and scores
   another, in both directions of :data:`FRESH_SOURCE_SPLITS`.
2. **Document-grouped cross-validation** over every labelled row: the rows of one document are
   never on both sides. It always reads higher than the fresh-source figure, because the rules
   and word lists were written by people who had seen the earlier collections.
3. The **keyword baseline** (:func:`nlp.rules.keyword_baseline`) is scored on the same rows in the
   same run, and every rule's own precision and recall are measured on all labelled rows (rules
   learn nothing from labels, so this is not an in-sample figure for them).
4. The **final model** is fitted on every labelled row (+ synthetic) and written with a manifest
   (version, training-data hash, the fingerprint of everything scoring depends on, metrics, SHA-256
   of each artifact) and a model card.

Held-out rows are scored by :class:`nlp.scorer.Scorer` itself, so the codes and the review band
measured are the ones users get. In each fit, synthetic rows are made from that fit's training
rows only and thresholds are chosen on its own inner out-of-fold predictions. Everything is
seeded; running it twice gives byte-identical ``models/``.
"""
from __future__ import annotations

from pathlib import Path

import joblib
from threadpoolctl import threadpool_limits
import pandas as pd

from nlp import __version__
from nlp.artifacts import MODEL_FILE, library_versions, write_manifest
from nlp.augment import synthesise
from nlp.corpus import COLLECTIONS, corpus_sha256, load_corpus, with_reviewed_labels
from nlp.evaluate import code_metrics, family_metrics, macro_f1_interval, rule_metrics
from nlp.feedback import feedback_rows, feedback_sha256
from nlp.features import analyse_frame
from nlp.fingerprint import scoring_fingerprint
from nlp.model import IndicatorModel, grouped_splits
from nlp.model_card import model_card
from nlp.rules import keyword_baseline
from nlp.schema import FAMILIES
from nlp.scorer import MODEL_CODE, Scorer

N_OUTER_SPLITS = 5
RANDOM_STATE = 0
#: (training collections, test collection): each direction trains without the collection it tests.
FRESH_SOURCE_SPLITS: tuple[tuple[tuple[str, ...], str], ...] = ((("seed", "public"), "more"),
                                                               (("seed", "more"), "public"))
HELD_OUT_COLUMNS = (*(f"flag_{f}" for f in FAMILIES), *(f"score_{f}" for f in FAMILIES), "review", "codes")


class TooManyFolds(ValueError):
    """More cross-validation folds than the corpus has documents. Refused before any fit: the folds
    are document-grouped, so :func:`nlp.model.grouped_splits` would make fewer than asked for while
    the manifest's protocol named the number asked for."""

    def __init__(self, folds: int, documents: int) -> None:
        super().__init__(f"more folds than the {documents} documents of the labelled corpus (data/corpus): "
                         f"document-grouped cross-validation needs one per fold; give at most {documents}")
        self.folds, self.documents = folds, documents


def fit_system(train: pd.DataFrame, random_state: int = RANDOM_STATE, reviewed: pd.DataFrame | None = None,
               **params) -> IndicatorModel:
    """Fit the full model on real rows ``train`` plus synthetic rows made from them, and on
    ``reviewed`` rows (reviewers' decisions) as they are.

    No defect is synthesised from reviewed rows: a few reviewed documents, each row copied into
    synthetic ones, weigh as much as many labelled ones, and with a new collection's reviewed
    tables that cost its other tables ~0.03 macro F1 (``notebooks/adaptation_curve.py``).
    """
    synthetic = synthesise(train, random_state=random_state)
    real = [train] if reviewed is None else [train, reviewed]
    frame = pd.concat([*(rows.assign(is_real=True) for rows in real), synthetic.assign(is_real=False)],
                      ignore_index=True).fillna("")  # reviewed rows lack some of the corpus's columns, and back
    rows = analyse_frame(frame)
    labels = {family: frame[family].to_numpy(dtype=int) for family in FAMILIES}
    return IndicatorModel(random_state=random_state, **params).fit(
        rows, labels,
        groups=frame["doc_group"].to_numpy(),
        category_mask=(frame["mismatch"] == 0).to_numpy(),
        real_mask=frame["is_real"].to_numpy(dtype=bool),
    )


def score_held_out(model: IndicatorModel, rows: pd.DataFrame) -> pd.DataFrame:
    """Flags, scores, review band and codes for rows the model was not fitted on, as users get them."""
    scored = Scorer(model, {"version": "held-out"}, memo_bytes=0).score_frame(rows.reset_index(drop=True),
                                                                            findings=False)
    return scored[list(HELD_OUT_COLUMNS)].set_axis(rows.index)


def baseline_flags(rows: pd.DataFrame) -> pd.DataFrame:
    """The keyword baseline's flags (``flag_<family>``) on ``rows``."""
    contexts = analyse_frame(rows).contexts
    baseline = [keyword_baseline(c.level2.raw, c.name, c.value_text) for c in contexts]
    return pd.DataFrame({f"flag_{f}": [int(b[f]) for b in baseline] for f in FAMILIES}, index=rows.index)


def measure(gold: pd.DataFrame, held_out: pd.DataFrame) -> dict:
    """Everything reported for one set of held-out predictions."""
    seen = pd.DataFrame({f"seen_{f}": held_out[f"flag_{f}"].astype(int) | held_out["review"].str.contains(f)
                         for f in FAMILIES})
    return {
        "rows": len(gold), "documents": int(gold["doc_group"].nunique()),
        "model": family_metrics(gold, held_out),
        "macro_f1_90pct_interval": macro_f1_interval(gold, held_out, gold["doc_group"]),
        "model_flag_or_review": family_metrics(gold, seen, prefix="seen_"),
        "keyword_baseline": family_metrics(gold, baseline_flags(gold)),
        "codes": code_metrics(gold["codes"].tolist(), held_out["codes"].tolist()),
        "model_codes": model_code_precision(gold, held_out),
    }


def model_code_precision(gold: pd.DataFrame, held_out: pd.DataFrame) -> dict[str, dict]:
    """For B0/C0/M0 (no reviewer writes them): how often a row reported with it is a real defect of
    its family."""
    result = {}
    for family, code in MODEL_CODE.items():
        reported = held_out["codes"].fillna("").str.split(";").apply(lambda codes, c=code: c in codes)
        right = int(gold.loc[reported, family].sum())
        result[code] = {"predicted": int(reported.sum()), "both": right,
                        "precision": round(right / int(reported.sum()), 4) if reported.any() else None}
    return result


def cross_validate(corpus: pd.DataFrame, n_splits: int = N_OUTER_SPLITS, **params) -> pd.DataFrame:
    """Held-out predictions for every row from document-grouped folds (plus a ``fold`` column)."""
    parts = []
    for fold, (train_idx, test_idx) in enumerate(grouped_splits(corpus["doc_group"].to_numpy(), n_splits)):
        model = fit_system(corpus.iloc[train_idx].reset_index(drop=True), **params)
        parts.append(score_held_out(model, corpus.iloc[test_idx]).assign(fold=fold))
    return pd.concat(parts).loc[corpus.index]


def fresh_source(corpus: pd.DataFrame, **params) -> dict[str, tuple[dict, pd.DataFrame]]:
    """For each split of :data:`FRESH_SOURCE_SPLITS`: (measurements, held-out predictions)."""
    results = {}
    for train_collections, test_collection in FRESH_SOURCE_SPLITS:
        train = corpus[corpus["collection"].isin(train_collections)].reset_index(drop=True)
        test = corpus[corpus["collection"] == test_collection]
        held_out = score_held_out(fit_system(train, **params), test)
        results[f"{'+'.join(train_collections)} -> {test_collection}"] = (measure(test, held_out), held_out)
    return results


def train(models_dir: Path, n_splits: int = N_OUTER_SPLITS, feedback: Path | None = None) -> dict:
    """Measure, fit the final model, write artifacts + manifest + model card. Returns the manifest.

    ``feedback``: a review store (:mod:`nlp.feedback`) whose decided rows join the final fit only;
    they are measured separately and never enter the headline figures.

    BLAS and OpenMP run on one thread here: with two, the last bits of the solvers' sums depended
    on how busy the machine was (a retrain beside other work differed in the fourth decimal of a
    held-out score), and ``models/`` must rebuild bit for bit.
    """
    with threadpool_limits(limits=1):
        return _train(models_dir, n_splits, feedback)


def _train(models_dir: Path, n_splits: int, feedback: Path | None) -> dict:
    reviewed = None if feedback is None else feedback_rows(feedback)  # a bad store: said before minutes of CV
    corpus = load_corpus()
    documents = corpus["doc_group"].nunique()
    if n_splits > documents:
        raise TooManyFolds(n_splits, documents)
    fresh = fresh_source(corpus)
    held_out = cross_validate(corpus, n_splits)
    cv = measure(corpus, held_out)
    cv["model_on_reviewed_labels"] = family_metrics(with_reviewed_labels(corpus), held_out)
    metrics = {
        "protocol": {
            "fresh_source": "the whole system fitted on the named collections, scored on the other one",
            "grouped_cv": f"document-grouped {n_splits}-fold CV over {len(corpus)} labelled rows from "
                          f"{corpus['doc_group'].nunique()} documents in {len(COLLECTIONS)} collections",
        },
        "fresh_source": {name: result for name, (result, _) in fresh.items()},
        "grouped_cv": cv,
        "rules_on_labelled_rows": rule_metrics(corpus["codes"].tolist(), analyse_frame(corpus).hits),
    }
    extra = {}
    if reviewed is not None:
        extra["feedback"] = {"rows": len(reviewed), "sha256": feedback_sha256(reviewed),
                             "positives": {f: int(reviewed[f].sum()) for f in FAMILIES},
                             "corpus_model_on_feedback": measure_feedback(corpus, reviewed)}
    model = fit_system(corpus, reviewed=reviewed)
    models_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, models_dir / MODEL_FILE, compress=3)
    _held_out_table(corpus, held_out, fresh).to_csv(models_dir / "cv_predictions.tsv", sep="\t", index=False)
    manifest = write_manifest(
        models_dir, version=__version__, training_data_sha256=corpus_sha256(), fingerprint=scoring_fingerprint(),
        libraries=library_versions(),
        metrics=metrics, thresholds=model.thresholds_, review_thresholds=model.review_thresholds_,
        regularisation=model.C_, decisive_rules=model.rule_floors_, **extra)
    (models_dir / "MODEL_CARD.md").write_text(model_card(manifest), encoding="utf-8")
    return manifest


def measure_feedback(corpus: pd.DataFrame, rows: pd.DataFrame) -> dict:
    """How the model fitted on the labelled corpus alone agreed with the reviewers' decisions."""
    if rows.empty:
        return {}
    held_out = score_held_out(fit_system(corpus), rows)
    return family_metrics(rows, held_out)


def _held_out_table(corpus: pd.DataFrame, held_out: pd.DataFrame, fresh: dict) -> pd.DataFrame:
    """One row per labelled row: its labels, its grouped-CV prediction and its fresh-source one."""
    table = corpus[["row_id", "collection", "doc_group", *FAMILIES, "codes"]].join(held_out.add_prefix("cv_"))
    fresh_rows = pd.concat([predictions for _, predictions in fresh.values()])
    return table.join(fresh_rows.add_prefix("fresh_"))

