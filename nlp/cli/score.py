"""``iqc score INPUT... -o OUT``: score indicator tables; OUT's suffix picks the format.

``.csv``/``.tsv``/``.jsonl`` for machines (JSONL also carries the structured findings), ``.sarif``
for code-scanning tools, ``.xlsx`` for people (highlighted cells, comments, triage and summary
sheets), ``.html`` for a one-file report. Unreadable inputs are reported one line each and the rest
of the batch is scored; the exit code is then 1. ``--config`` (an ``iqc.toml``) and ``--baseline``
change what is reported (:mod:`nlp.adjust`); a bad one is a usage error (exit 2), before any work.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nlp.cli import EXIT_INPUT_FAILED, EXIT_OK, EXIT_USAGE, failed, output_failed, positive_int, whole_number
from nlp.engines import ENGINES
from nlp.output_formats import FORMATS

if TYPE_CHECKING:
    from nlp.first_pass import BatchOutcome
    from nlp.tasks import Setup



def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("score", help="score indicator tables (CSV/TSV/JSONL/XLSX/HTML output)",
                                   description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="file, folder or glob of indicator tables (every format of `iqc parse`)")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUT",
                        help="output file: " + ", ".join(f"{s} ({f.description})" for f in FORMATS for s in f.suffixes))
    parser.add_argument("--format", choices=[f.name for f in FORMATS], default=None,
                        help="output format when OUT's suffix does not say it")
    parser.add_argument("--jobs", type=whole_number, default=1,
                        help="worker processes: they read the input files, then score (default 1; 0 = all "
                             "cores; with --scheduler they only read: the cluster's workers score)")
    parser.add_argument("--engine", choices=list(ENGINES), default="local",
                        help="where chunks are scored: this machine (default) or a Dask cluster "
                             "(a LocalCluster of --jobs workers, or the one at --scheduler)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="with --engine dask: an existing Dask scheduler (tcp://host:8786)")
    parser.add_argument("--chunk-rows", type=positive_int, default=None,
                        help="rows per chunk (default 5,000): fewer use less memory but cost more overhead; "
                             "a table longer than a chunk is judged piece by piece")
    parser.add_argument("--models-dir", type=Path, default=None, help="model directory (default: bundled models/)")
    parser.add_argument("--config", type=Path, default=None, metavar="FILE",
                        help="configuration (default: $IQC_CONFIG, else ./iqc.toml when it exists)")
    parser.add_argument("--baseline", type=Path, default=None, metavar="FILE",
                        help="report only findings not in FILE (a --write-baseline file or a previous .jsonl output)")
    parser.add_argument("--write-baseline", type=Path, default=None, metavar="FILE",
                        help="write every finding of this run (also those --baseline hid) to FILE")
    parser.add_argument("--db", type=Path, default=None, metavar="PATH",
                        help="review store (iqc serve --db, iqc review import): hide findings reviewers rejected")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    parser.set_defaults(handler=run)


def _output_path(args: argparse.Namespace) -> Path:
    """OUT, or OUT with ``--format``'s suffix added when OUT's suffix names no format; ``ValueError``
    if neither, or if OUT is a folder. (The suffix replaced OUT's: ``-o 报告.v2`` wrote over
    ``报告.xlsx``, and ``-o 输出/`` wrote ``输出.xlsx`` beside the folder.)"""
    from nlp.output_formats import by_name, output_format

    try:
        output_format(args.output)
        return args.output
    except ValueError as error:
        if not args.format:
            raise ValueError(f"{error} (or give --format)") from None
        if args.output.is_dir():
            raise ValueError(f"{args.output} is a folder: give the output file's name") from None
        return args.output.with_name(args.output.name + by_name(args.format).suffix)


def _setup(args: argparse.Namespace) -> Setup:
    """The model, configuration and baseline of this run; ``ValueError`` (one line) if unusable."""
    from nlp.baseline import read_baseline
    from nlp.config import find_config, load_config, model_thresholds
    from nlp.tasks import Setup

    config = load_config(find_config(args.config))
    config.check_thresholds(model_thresholds(args.models_dir))
    baseline = read_baseline(args.baseline) if args.baseline else frozenset()
    return Setup(args.models_dir, config, baseline, record=args.write_baseline is not None)


def _rejected(db: Path | None) -> frozenset[str]:
    """Keys of the findings rejected in review store ``db`` (none without one); ``ValueError`` if
    ``db`` is missing or not a store: a mistyped path must not silently hide nothing."""
    from nlp.review.store import ReviewStore, StoreError

    if db is None:
        return frozenset()
    if not db.is_file():
        raise ValueError(f"--db {db}: no such review database")
    try:
        return ReviewStore(db, read_only=True).rejected_keys()
    except StoreError as error:
        raise ValueError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    from nlp.artifacts import ArtifactError, environment_note, read_manifest
    from nlp.batch import DEFAULT_CHUNK_ROWS, score_batch
    from nlp.engines import make_engine
    from nlp.worker_pool import EngineError
    from nlp.readers import expand_inputs
    from nlp.resources import models_path

    try:
        output = _output_path(args)
    except ValueError as error:
        return failed(error, EXIT_USAGE)
    try:
        setup = _setup(args)
    except ArtifactError as error:
        return failed(error)
    except ValueError as error:
        return failed(error, EXIT_USAGE)
    if note := environment_note(read_manifest(args.models_dir or models_path())):
        print(f"iqc: warning: {note}", file=sys.stderr)
    try:
        paths, missing, passed_over = expand_inputs(args.inputs, output=output)
    except ValueError as error:
        return failed(error, EXIT_USAGE)
    if clash := _baseline_clash(args.write_baseline, paths, output):
        return failed(clash, EXIT_USAGE)
    for error in missing:
        print(f"iqc: {error}", file=sys.stderr)
    jobs = args.jobs or os.cpu_count() or 1
    try:
        rejected = _rejected(args.db)
        engine = make_engine(args.engine, jobs, args.scheduler)
    except ValueError as error:
        return failed(error, EXIT_USAGE)
    try:
        outcome = score_batch(paths, output, jobs=jobs, chunk_rows=args.chunk_rows or DEFAULT_CHUNK_ROWS,
                              setup=setup, progress=not args.quiet and sys.stderr.isatty(), rejected=rejected,
                              engine=engine, unread=missing, passed_over=passed_over)
    except (ArtifactError, EngineError) as error:
        return failed(error)
    except OSError as error:
        return output_failed(output, error)
    for error in outcome.failures:
        print(f"iqc: {error}", file=sys.stderr)
    if not args.quiet:
        _summary(args, outcome, output)
    baseline_failed = args.write_baseline is not None and not _write_baseline(args, outcome)
    return EXIT_INPUT_FAILED if (outcome.failures or missing or baseline_failed) else EXIT_OK


def _baseline_clash(baseline: Path | None, inputs: list[Path], output: Path) -> str:
    """Why ``--write-baseline`` cannot go where it was asked, or "": it would replace an input (a
    table, or a file of an input folder that the next run would read as one) or the output."""
    if baseline is None or baseline.resolve() not in {path.resolve() for path in [*inputs, output]}:
        return ""
    return f"--write-baseline {baseline} is also an input or the output: nothing was read or written"


def _write_baseline(args: argparse.Namespace, outcome: BatchOutcome) -> bool:
    from nlp.baseline import write_baseline

    try:
        written = write_baseline(outcome.known, args.write_baseline)
    except OSError as error:
        print(f"iqc: {args.write_baseline}: cannot write the baseline: {error.strerror or error}", file=sys.stderr)
        return False
    if not args.quiet:
        print(f"iqc: wrote {written} findings to the baseline {args.write_baseline}", file=sys.stderr)
    return True


def _summary(args: argparse.Namespace, outcome: BatchOutcome, output: Path) -> None:
    for part in outcome.skipped:
        print(f"iqc: skipped {' '.join(filter(None, (part.file, part.location)))}: {part.reason}", file=sys.stderr)
    for warning in outcome.warnings:
        print(f"iqc: warning: {warning}", file=sys.stderr)
    print(f"iqc: scored {outcome.rows} rows from {len(outcome.rows_per_file)} file(s) -> {output}", file=sys.stderr)
    if not outcome.rows:
        print(f"iqc: no indicator rows were found: {output} has its columns and no rows", file=sys.stderr)
    if args.db is not None:
        print(f"iqc: hid {outcome.hidden} finding(s) rejected in review ({args.db})", file=sys.stderr)
    if args.baseline:
        print(f"iqc: hid {outcome.in_baseline} findings already in the baseline {args.baseline}", file=sys.stderr)
