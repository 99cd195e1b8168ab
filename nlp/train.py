"""``iqc train``: rebuild ``models/`` from ``data/`` and measure it honestly.

Protocol:

1. **Document-grouped cross-validation** over every real labelled row: the rows of one document
   are never on both sides. In each outer fold the whole system is fitted on the training
   documents (plus synthetic rows generated from *those* documents only), its thresholds are
   chosen on its own inner out-of-fold predictions, and it predicts the held-out documents. The
   reported metrics come only from these held-out predictions.
2. The **keyword baseline** (:func:`nlp.rules.keyword_baseline`) is scored on the same rows in
   the same run.
3. The **final model** is fitted on all real rows (+ synthetic) and written with a manifest
   (version, training-data hash, metrics, SHA-256 of each artifact) and a model card.

Everything is seeded; running it twice gives byte-identical artifacts.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_fscore_support

from nlp import __version__
from nlp.artifacts import MODEL_FILE, write_manifest
from nlp.augment import synthesise
from nlp.corpus import corpus_sha256, load_corpus, with_reviewed_labels
from nlp.features import AnalysedRows, analyse_frame
from nlp.model import IndicatorModel, grouped_splits
from nlp.rules import keyword_baseline
from nlp.schema import FAMILIES

N_OUTER_SPLITS = 5
RANDOM_STATE = 0


def fit_system(train: pd.DataFrame, random_state: int = RANDOM_STATE, **params) -> IndicatorModel:
    """Fit the full model on real rows ``train`` plus synthetic rows made from them."""
    synthetic = synthesise(train, random_state=random_state)
    frame = pd.concat([train.assign(is_real=True), synthetic.assign(is_real=False)], ignore_index=True)
    rows = analyse_frame(frame)
    labels = {family: frame[family].to_numpy(dtype=int) for family in FAMILIES}
    return IndicatorModel(random_state=random_state, **params).fit(
        rows, labels,
        groups=frame["doc_group"].to_numpy(),
        category_mask=(frame["mismatch"] == 0).to_numpy(),
        real_mask=frame["is_real"].to_numpy(dtype=bool),
    )


def predict_flags(model: IndicatorModel, rows: AnalysedRows) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    proba, _, _ = model.predict_proba_families(rows)
    return proba, {f: (proba[f] >= model.thresholds_[f]).astype(int) for f in FAMILIES}


def cross_validate(corpus: pd.DataFrame, n_splits: int = N_OUTER_SPLITS, **params) -> pd.DataFrame:
    """Held-out predictions for every real row (one column per family: score_ and flag_)."""
    rows = analyse_frame(corpus)
    out = pd.DataFrame(index=corpus.index)
    for fold, (train_idx, test_idx) in enumerate(grouped_splits(corpus["doc_group"].to_numpy(), n_splits)):
        model = fit_system(corpus.iloc[train_idx].reset_index(drop=True), **params)
        proba, flags = predict_flags(model, rows.subset(test_idx))
        for family in FAMILIES:
            out.loc[corpus.index[test_idx], f"score_{family}"] = proba[family]
            out.loc[corpus.index[test_idx], f"flag_{family}"] = flags[family]
        out.loc[corpus.index[test_idx], "fold"] = fold
    baseline = [keyword_baseline(ctx.level2.raw, ctx.name, ctx.value_text) for ctx in rows.contexts]
    for family in FAMILIES:
        out[f"baseline_{family}"] = [int(b[family]) for b in baseline]
    return out


def family_metrics(gold: pd.DataFrame, predictions: pd.DataFrame, prefix: str) -> dict[str, dict[str, float]]:
    """Precision/recall/F1 per family for predicted columns ``{prefix}{family}``."""
    metrics = {}
    for family in FAMILIES:
        p, r, f, _ = precision_recall_fscore_support(
            gold[family], predictions[f"{prefix}{family}"].astype(int), average="binary", zero_division=0)
        metrics[family] = {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                           "support": int(gold[family].sum())}
    return metrics


def train(models_dir: Path, n_splits: int = N_OUTER_SPLITS) -> dict:
    """Cross-validate, fit the final model, write artifacts + manifest + model card. Returns the manifest."""
    corpus = load_corpus()
    held_out = cross_validate(corpus, n_splits)
    metrics = {
        "protocol": f"document-grouped {n_splits}-fold CV over {len(corpus)} real rows from "
                    f"{corpus['doc_group'].nunique()} documents; synthetic rows only in training folds",
        "model": family_metrics(corpus, held_out, "flag_"),
        "keyword_baseline": family_metrics(corpus, held_out, "baseline_"),
        "model_on_reviewed_labels": family_metrics(with_reviewed_labels(corpus), held_out, "flag_"),
    }
    model = fit_system(corpus)
    models_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, models_dir / MODEL_FILE, compress=3)
    held_out.join(corpus[["row_id", "doc_group", *FAMILIES, "codes"]]).to_csv(
        models_dir / "cv_predictions.tsv", sep="\t", index=False)
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    manifest = write_manifest(models_dir, version=__version__, created=created, training_data_sha256=corpus_sha256(),
                              metrics=metrics, thresholds=model.thresholds_)
    (models_dir / "MODEL_CARD.md").write_text(model_card(manifest), encoding="utf-8")
    return manifest


def model_card(manifest: dict) -> str:
    """A short human-readable card: what the model is, how it was measured, where it is weak."""
    lines = [
        f"# indicator-qc model {manifest['version']}", "",
        "Flags Chinese budget performance indicators (预算绩效目标表 rows) in three families: "
        "boilerplate, category mismatch, unmeasurable. One logistic-regression head per family over "
        "jieba word n-grams, character n-grams, parsed-value structure, lexicon cues (spaCy "
        "PhraseMatcher/Matcher), project context, table facts and rule hits; plus a 二级 category "
        "classifier whose fit with the declared category feeds the mismatch head. Sigmoid-calibrated; "
        "thresholds chosen on out-of-fold predictions of real rows.", "",
        f"Training data: `data/corpus/` (SHA-256 `{manifest['training_data_sha256'][:16]}…`), "
        "real rows with reference labels, plus synthetic defect injections (`data/augment.toml`) used "
        "for training only.", "",
        f"## Validation ({manifest['metrics']['protocol']})", "",
        "| family | model P | model R | model F1 | baseline P | baseline R | baseline F1 | positives |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for family in FAMILIES:
        m, b = manifest["metrics"]["model"][family], manifest["metrics"]["keyword_baseline"][family]
        lines.append(f"| {family} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
                     f"{b['precision']:.3f} | {b['recall']:.3f} | {b['f1']:.3f} | {m['support']} |")
    reviewed = manifest["metrics"]["model_on_reviewed_labels"]
    lines += ["", "The same held-out predictions scored against the second reviewer's labels where they differ "
              "(`data/corpus/label_review.tsv`, `LABEL_REVIEW.md`): "
              + ", ".join(f"{family} F1 {reviewed[family]['f1']:.3f}" for family in FAMILIES) + ".",
              "", "Thresholds: " + json.dumps(manifest["thresholds"]), "",
              "## Limits", "",
              "- Boilerplate is borderline: with other augmentation seeds its CV F1 ranged 0.842–0.857 "
              "(mismatch 0.861–0.867); the headline is the default seed, not the best one.",
              "- The rule detectors were written with the whole corpus visible (from the guide's definitions, "
              "not from row texts), so the rule features' share of these figures is partly in-sample; "
              "only the learned weights and thresholds are strictly out-of-fold.",
              "- 543 real rows from 33 documents, most from media/culture departments; other sectors are thin.",
              "- Labels are from two reviewers + adjudication (κ ≈ 0.8–0.93); the model cannot be more "
              "reliable than that agreement.",
              "- Codes explain a flag from the rules that fired; when none fired the code is the family's "
              "model code (B0/C0/M0) with the strongest features as evidence.", ""]
    return "\n".join(lines)
