"""``iqc evaluate LABELED [--rows ROWS]``: precision/recall/F1 of the bundled model on a labelled file.

``LABELED`` has the labeling-guide columns (row_id, boilerplate, mismatch, unmeasurable, codes,
note); the rows themselves are either in the same file or in ``--rows`` (joined on row_id).
Only meaningful on rows the model was not trained on: the bundled model was trained on
``data/corpus``, so use ``iqc train`` for its honest, cross-validated figures.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nlp.cli import EXIT_OK, EXIT_USAGE


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="per-family P/R/F1 and per-code counts on a labelled file")
    parser.add_argument("labeled", type=Path, help="TSV/CSV with row_id, boilerplate, mismatch, unmeasurable, codes")
    parser.add_argument("--rows", type=Path, default=None, help="the indicator rows, if not in LABELED")
    parser.set_defaults(handler=run)


def _read(path: Path):
    import pandas as pd

    sep = "\t" if path.suffix.lower() in {".tsv", ".txt"} else ","
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def run(args: argparse.Namespace) -> int:
    import nlp
    from nlp.evaluate import evaluate_frame
    from nlp.schema import FAMILIES

    gold = _read(args.labeled)
    missing = {"row_id", *FAMILIES, "codes"} - set(gold.columns)
    if missing:
        print(f"iqc: {args.labeled}: missing label columns {', '.join(sorted(missing))}", file=sys.stderr)
        return EXIT_USAGE
    rows = _read(args.rows) if args.rows else gold.drop(columns=[*FAMILIES, "codes", "note"], errors="ignore")
    report = evaluate_frame(nlp.load().score_frame(rows), gold)
    print(f"rows evaluated: {report['rows']}")
    print(f"{'family':<14}{'precision':>10}{'recall':>8}{'F1':>8}{'gold+':>7}{'recall incl. review':>21}")
    for family in FAMILIES:
        m, seen = report["families"][family], report["families_with_review"][family]
        print(f"{family:<14}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['support']:>7}"
              f"{seen['recall']:>21.3f}")
    print(f"{'macro F1':<14}{'':>10}{'':>8}{report['families']['macro_f1']:>8.3f}")
    print(f"\n{'code':<6}{'precision':>10}{'recall':>8}{'gold':>6}{'reported':>10}{'both':>6}")
    for code, m in report["codes"].items():
        precision = "–" if m["precision"] is None else f"{m['precision']:.3f}"
        recall = "–" if m["recall"] is None else f"{m['recall']:.3f}"
        print(f"{code:<6}{precision:>10}{recall:>8}{m['gold']:>6}{m['predicted']:>10}{m['both']:>6}")
    return EXIT_OK
