"""Scoring a labelled file against its gold labels (the ``labeling-guide.md`` columns)."""
from __future__ import annotations

from collections import Counter

import pandas as pd
from sklearn.metrics import precision_recall_fscore_support

from nlp.schema import FAMILIES


def evaluate_frame(scored: pd.DataFrame, gold: pd.DataFrame) -> dict:
    """Per-family precision/recall/F1 and per-code counts (gold vs predicted) for rows joined on row_id."""
    merged = scored.merge(gold[["row_id", *FAMILIES, "codes"]], on="row_id", suffixes=("", "_gold"))
    report: dict = {"rows": len(merged), "families": {}, "codes": {}}
    for family in FAMILIES:
        p, r, f, _ = precision_recall_fscore_support(merged[family].astype(int), merged[f"flag_{family}"].astype(int),
                                                     average="binary", zero_division=0)
        report["families"][family] = {"precision": round(float(p), 4), "recall": round(float(r), 4),
                                      "f1": round(float(f), 4), "support": int(merged[family].astype(int).sum())}
    gold_codes = Counter(c for codes in merged["codes_gold"].fillna("") for c in str(codes).split(";") if c)
    predicted = Counter(c for codes in merged["codes"].fillna("") for c in str(codes).split(";") if c)
    hits = Counter(c for g, p in zip(merged["codes_gold"].fillna(""), merged["codes"].fillna(""))
                   for c in set(str(g).split(";")) & set(str(p).split(";")) if c)
    for code in sorted(set(gold_codes) | set(predicted)):
        report["codes"][code] = {"gold": gold_codes[code], "predicted": predicted[code], "both": hits[code]}
    return report
