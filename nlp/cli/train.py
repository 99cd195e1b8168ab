"""``iqc train``: rebuild ``models/`` from ``data/`` and print what was measured."""
from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

from nlp.cli import EXIT_INPUT_FAILED, EXIT_OK, EXIT_USAGE, positive_int

#: The OpenBLAS kernels training runs on whatever the x86-64 CPU (every one since 2013 has them).
#: The category model and the calibrators are L-BFGS fits through BLAS, whose AVX-512 and AVX2
#: kernels sum in different orders: the same data gave coefficients that differed in the 15th
#: digit, cross-validated scores that differed in the 4th decimal where they round, and so a
#: models/ of other bytes on a CPU with AVX-512 than on one without.
TRAINING_BLAS_CORE = "Haswell"


def _folds(text: str) -> int:
    """An argparse ``type``: cross-validation needs at least two folds (a usage error, not a traceback)."""
    value = positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"cross-validation needs at least 2 folds, not {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="rebuild models/ from data/ (fresh-source and grouped-CV "
                                                 "metrics, manifest, model card)")
    parser.add_argument("--models-dir", type=Path, default=None, help="where to write the model (default: models/)")
    parser.add_argument("--folds", type=_folds, default=5,
                        help="document-grouped CV folds (default 5; at least 2, at most the labelled documents)")
    parser.add_argument("--feedback", type=Path, default=None, metavar="DB",
                        help="a review store (iqc serve --db / iqc review import): its decided rows join the "
                             "final fit; metrics stay on the labelled corpora")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from nlp.resources import data_path, models_path

    models_dir = args.models_dir or models_path()
    if models_dir.exists() and not models_dir.is_dir():  # found now, not after minutes of training
        print(f"iqc train: {models_dir}: not a folder", file=sys.stderr)
        return EXIT_USAGE
    if args.feedback is not None and not args.feedback.is_file():
        print(f"iqc train: {args.feedback}: no such review store", file=sys.stderr)
        return EXIT_USAGE
    empty = [path for path in sorted(data_path("corpus").glob("*.tsv")) if path.stat().st_size == 0]
    if empty:  # pandas would only say "No columns to parse from file", not which one
        print(f"iqc train: {empty[0]}: empty file", file=sys.stderr)
        return EXIT_INPUT_FAILED
    _same_blas_kernels_on_every_cpu()
    from nlp.review.store import StoreError

    try:
        from nlp.train import TooManyFolds, train  # importing reads data files too
    except (OSError, ValueError) as error:
        return _cannot_train(error)
    try:
        manifest = train(models_dir, n_splits=args.folds, feedback=args.feedback)
    except TooManyFolds as error:
        print(f"iqc train: --folds {error.folds}: {error}", file=sys.stderr)  # found before any fit
        return EXIT_USAGE
    except (OSError, ValueError, StoreError) as error:  # unreadable data files or store
        return _cannot_train(error)
    _print_summary(manifest["metrics"])
    if "feedback" in manifest:
        print(f"feedback: {manifest['feedback']['rows']} reviewer-decided rows joined the final fit "
              "(not in the figures above)")
    print(f"wrote {models_dir} (model card: MODEL_CARD.md)")
    return EXIT_OK


def _cannot_train(error: Exception) -> int:
    """Say in one line why training could not run (an unreadable data file or review store)."""
    print(f"iqc train: {str(error).splitlines()[0]}", file=sys.stderr)
    return EXIT_INPUT_FAILED


def _same_blas_kernels_on_every_cpu() -> None:
    """Ask OpenBLAS for :data:`TRAINING_BLAS_CORE`'s kernels, so that ``iqc train`` rebuilds
    models/ bit for bit on any x86-64 machine. OpenBLAS reads the choice when numpy loads it, so it
    is made before numpy is imported (``iqc train`` imports it only to train), on CPUs that have
    those kernels' instructions, and never over a choice the user made."""
    if "numpy" in sys.modules or platform.machine().lower() not in {"x86_64", "amd64"}:
        return
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace").split()
    except OSError:
        return
    if {"avx2", "fma"} <= set(flags):
        os.environ.setdefault("OPENBLAS_CORETYPE", TRAINING_BLAS_CORE)


def _print_summary(metrics: dict) -> None:
    """One line per measurement: macro F1 against the keyword baseline, then P/R/F1 per family
    (``–`` for a figure with nothing to count)."""
    from nlp.evaluate import figure, macro_note
    from nlp.schema import FAMILIES

    for name, result in [*metrics["fresh_source"].items(), ("grouped CV", metrics["grouped_cv"])]:
        model = result["model"]
        families = "  ".join(f"{f} P {figure(model[f]['precision'])} R {figure(model[f]['recall'])} "
                             f"F1 {figure(model[f]['f1'])}" for f in FAMILIES)
        low, high = result["macro_f1_90pct_interval"]
        over = f" ({note})" if (note := macro_note(model)) else ""
        print(f"{name:<24} macro F1 {figure(model['macro_f1'])}{over} [90% {low:.2f}-{high:.2f}] (keyword baseline "
              f"{figure(result['keyword_baseline']['macro_f1'])})  {families}")
