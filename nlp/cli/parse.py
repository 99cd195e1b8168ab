"""``iqc parse``: read indicator tables (CSV/TSV/XLSX/text documents) into one interchange file.

The output is what every other command reads, and what a reviewer can open to check that the
tables were understood: one row per indicator with its project context and where it came from.
A file that cannot be read is reported in one line and the rest of the batch still goes through.
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nlp.cli import EXIT_INPUT_FAILED, EXIT_OK, EXIT_USAGE, output_failed, whole_number

if TYPE_CHECKING:
    from nlp.first_pass import BatchOutcome


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "parse",
        help="read indicator tables into one interchange file (CSV/TSV/JSONL)",
        description="Read files, folders (recursively) and globs of indicator tables (.csv .tsv "
        ".xlsx .xlsm, .txt tables or budget documents) and write one row per indicator.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="file, folder or glob")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUT",
                        help="output file; the suffix picks the format: .csv, .tsv or .jsonl")
    parser.add_argument("--jobs", type=whole_number, default=1,
                        help="processes reading the input files, a file or a group of small files each (default 1; 0 = all cores)")
    parser.set_defaults(handler=run)


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from nlp import io_write
    from nlp.batch import DEFAULT_CHUNK_ROWS
    from nlp.worker_pool import EngineError
    from nlp.first_pass import BatchOutcome, read_frames, reading_processes
    from nlp.readers import expand_inputs
    from nlp.records import ALL_COLUMNS
    from nlp.report.atomic import sigterm_interrupts

    try:
        io_write.output_format(args.output)
    except ValueError as error:
        _say(f"iqc parse: {error}")
        return EXIT_USAGE

    try:
        paths, missing, passed_over = expand_inputs(args.inputs, output=args.output)
    except ValueError as error:
        _say(f"iqc parse: {error}")
        return EXIT_USAGE
    outcome = BatchOutcome()
    header = pd.DataFrame(columns=list(ALL_COLUMNS), dtype=str)  # the header even with no rows
    folder = args.output.parent if args.output.parent.is_dir() else None
    try:
        with sigterm_interrupts(), reading_processes(args.jobs or os.cpu_count() or 1, paths) as readers:
            frames = read_frames(paths, DEFAULT_CHUNK_ROWS, outcome, readers, folder)
            rows = io_write.write_frames(itertools.chain([header], frames), args.output)  # streamed: a chunk at a time
    except OSError as error:
        return output_failed(args.output, error)
    except EngineError as error:  # a reading process died
        _say(f"iqc: {error}")
        return EXIT_INPUT_FAILED
    _report(outcome, [*missing, *outcome.failures])
    for part in passed_over:
        _say(f"iqc: skipped {part.file}: {part.reason}")
    _say(f"wrote {rows} rows from {len(outcome.rows_per_file)} of {len(paths)} files to {args.output}")
    return EXIT_INPUT_FAILED if (missing or outcome.failures) else EXIT_OK


def _report(outcome: BatchOutcome, failures: list) -> None:
    """Per file: tables and rows read, what was skipped and warned about; then what was not read."""
    for file, rows in outcome.rows_per_file.items():
        _say(f"{file}: {outcome.tables_per_file.get(file, 0)} table(s), {rows} rows")
        for skipped in (part for part in outcome.skipped if part.file == file):
            _say(f"  skipped {skipped.location}: {skipped.reason}")
        for warning in (warning for warning in outcome.warnings if warning.file == file):
            _say(f"  warning: {warning}")
    for failure in failures:
        _say(f"iqc: {failure}")
