"""``iqc train``: rebuild ``models/`` from ``data/`` and print the validation metrics."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nlp.cli import EXIT_INPUT_FAILED, EXIT_OK, EXIT_USAGE, positive_int


def _folds(text: str) -> int:
    """An argparse ``type``: cross-validation needs at least two folds (a usage error, not a traceback)."""
    value = positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"cross-validation needs at least 2 folds, not {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="rebuild models/ from data/ (grouped CV metrics, manifest, model card)")
    parser.add_argument("--models-dir", type=Path, default=None, help="where to write the model (default: models/)")
    parser.add_argument("--folds", type=_folds, default=5, help="document-grouped CV folds (default 5, at least 2)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from nlp.resources import data_path, models_path

    models_dir = args.models_dir or models_path()
    if models_dir.exists() and not models_dir.is_dir():  # found now, not after minutes of training
        print(f"iqc train: {models_dir}: not a folder", file=sys.stderr)
        return EXIT_USAGE
    empty = [path for path in sorted(data_path("corpus").glob("*.tsv")) if path.stat().st_size == 0]
    if empty:  # pandas would only say "No columns to parse from file", not which one
        print(f"iqc train: {empty[0]}: empty file", file=sys.stderr)
        return EXIT_INPUT_FAILED
    try:
        from nlp.train import train  # importing reads data files too

        manifest = train(models_dir, n_splits=args.folds)
    except (OSError, ValueError) as error:  # missing or unreadable data files, more folds than documents
        print(f"iqc train: {str(error).splitlines()[0]}", file=sys.stderr)
        return EXIT_INPUT_FAILED
    json.dump(manifest["metrics"], sys.stdout, ensure_ascii=False, indent=2)
    print()
    return EXIT_OK
