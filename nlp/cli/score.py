"""``iqc score INPUT... -o OUT``: score indicator tables; OUT's suffix picks the format.

``.csv``/``.tsv``/``.jsonl`` for machines (JSONL also carries the structured findings), ``.xlsx``
for people (highlighted cells, comments, triage and summary sheets), ``.html`` for a one-file
report. Unreadable inputs are reported one line each and the rest of the batch is scored; the
exit code is then 1.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nlp.cli import EXIT_INPUT_FAILED, EXIT_OK, EXIT_USAGE, positive_int
from nlp.output_formats import FORMATS



def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("score", help="score indicator tables (CSV/TSV/JSONL/XLSX/HTML output)",
                                   description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="file, folder or glob of indicator tables (every format of `iqc parse`)")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUT",
                        help="output file: " + ", ".join(f"{s} ({f.description})" for f in FORMATS for s in f.suffixes))
    parser.add_argument("--format", choices=[f.name for f in FORMATS], default=None,
                        help="output format when OUT's suffix does not say it")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1; 0 = all cores)")
    parser.add_argument("--chunk-rows", type=positive_int, default=None,
                        help="rows per chunk: fewer use less memory, more cost more overhead (default 5,000)")
    parser.add_argument("--models-dir", type=Path, default=None, help="model directory (default: bundled models/)")
    parser.add_argument("--db", type=Path, default=None, metavar="PATH",
                        help="review store (iqc serve --db, iqc review import): hide findings reviewers rejected")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    parser.set_defaults(handler=run)


def _output_path(args: argparse.Namespace) -> Path:
    """OUT, or OUT with ``--format``'s suffix when OUT's suffix names no format; ``ValueError`` if neither."""
    from nlp.output_formats import by_name, output_format

    try:
        output_format(args.output)
        return args.output
    except ValueError:
        if not args.format:
            raise
        return args.output.with_suffix(by_name(args.format).suffix)


def _rejected(db: Path | None) -> frozenset[str]:
    """Keys of the findings rejected in review store ``db`` (none without one); ``ValueError`` if
    ``db`` is missing or not a store: a mistyped path must not silently hide nothing."""
    from nlp.review.store import ReviewStore, StoreError

    if db is None:
        return frozenset()
    if not db.is_file():
        raise ValueError(f"--db {db}: no such review database")
    try:
        return ReviewStore(db).rejected_keys()
    except StoreError as error:
        raise ValueError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    from nlp.artifacts import ArtifactError
    from nlp.batch import DEFAULT_CHUNK_ROWS, score_batch
    from nlp.readers import expand_inputs

    try:
        output = _output_path(args)
    except ValueError as error:
        print(f"iqc: {error} (or give --format)", file=sys.stderr)
        return EXIT_USAGE
    paths, missing = expand_inputs(args.inputs, output=output)
    for error in missing:
        print(f"iqc: {error}", file=sys.stderr)
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    try:
        rejected = _rejected(args.db)
    except ValueError as error:
        print(f"iqc: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        outcome = score_batch(paths, output, jobs=jobs, chunk_rows=args.chunk_rows or DEFAULT_CHUNK_ROWS,
                              models_dir=args.models_dir, progress=not args.quiet and sys.stderr.isatty(),
                              rejected=rejected)
    except ArtifactError as error:
        print(f"iqc: {error}", file=sys.stderr)
        return EXIT_INPUT_FAILED
    for error in outcome.failures:
        print(f"iqc: {error}", file=sys.stderr)
    if not args.quiet:
        for part in outcome.skipped:
            print(f"iqc: skipped {part.file} {part.location}: {part.reason}", file=sys.stderr)
        for warning in outcome.warnings:
            print(f"iqc: warning: {warning}", file=sys.stderr)
        if args.db is not None:
            print(f"iqc: hid {outcome.hidden} finding(s) rejected in review ({args.db})", file=sys.stderr)
        print(f"iqc: scored {outcome.rows} rows from {len(outcome.rows_per_file)} file(s) -> {output}", file=sys.stderr)
    return EXIT_INPUT_FAILED if (outcome.failures or missing) else EXIT_OK
