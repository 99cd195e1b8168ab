"""``iqc train``: rebuild ``models/`` from ``data/`` and print the validation metrics."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nlp.cli import EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="rebuild models/ from data/ (grouped CV metrics, manifest, model card)")
    parser.add_argument("--models-dir", type=Path, default=None, help="where to write the model (default: models/)")
    parser.add_argument("--folds", type=int, default=5, help="document-grouped CV folds (default 5)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from nlp.resources import models_path
    from nlp.train import train

    manifest = train(args.models_dir or models_path(), n_splits=args.folds)
    json.dump(manifest["metrics"], sys.stdout, ensure_ascii=False, indent=2)
    print()
    return EXIT_OK
