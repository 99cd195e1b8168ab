"""``iqc train``: rebuild ``models/`` from ``data/`` and print what was measured."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nlp.cli import EXIT_OK, EXIT_USAGE


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="rebuild models/ from data/ (fresh-source and grouped-CV "
                                                 "metrics, manifest, model card)")
    parser.add_argument("--models-dir", type=Path, default=None, help="where to write the model (default: models/)")
    parser.add_argument("--folds", type=int, default=5, help="document-grouped CV folds (default 5, at least 2)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from nlp.resources import models_path
    from nlp.schema import FAMILIES
    from nlp.train import train

    if args.folds < 2:
        print(f"iqc train: --folds must be at least 2, not {args.folds}", file=sys.stderr)
        return EXIT_USAGE
    manifest = train(args.models_dir or models_path(), n_splits=args.folds)
    metrics = manifest["metrics"]
    for name, result in [*metrics["fresh_source"].items(), ("grouped CV", metrics["grouped_cv"])]:
        families = "  ".join(f"{f} P {result['model'][f]['precision']:.3f} R {result['model'][f]['recall']:.3f} "
                             f"F1 {result['model'][f]['f1']:.3f}" for f in FAMILIES)
        print(f"{name:<24} macro F1 {result['model']['macro_f1']:.3f} (keyword baseline "
              f"{result['keyword_baseline']['macro_f1']:.3f})  {families}")
    print(f"wrote {args.models_dir or models_path()} (model card: MODEL_CARD.md)")
    return EXIT_OK
