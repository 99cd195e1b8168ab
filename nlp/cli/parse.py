"""``iqc parse``: read indicator tables (CSV/TSV/XLSX/text documents) into one interchange file.

The output is what every other command reads, and what a reviewer can open to check that the
tables were understood: one row per indicator with its project context and where it came from.
A file that cannot be read is reported in one line and the rest of the batch still goes through.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nlp.cli import EXIT_INPUT_FAILED, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    import pandas as pd

    from nlp.readers import FileRead


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
    parser.set_defaults(handler=run)


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from nlp import io_write
    from nlp.readers import InputError, expand_inputs, read_file
    from nlp.records import ALL_COLUMNS

    try:
        io_write.output_format(args.output)
    except ValueError as error:
        _say(f"iqc parse: {error}")
        return EXIT_USAGE

    paths, failures = expand_inputs(args.inputs)
    for failure in failures:
        _say(f"iqc: {failure}")
    frames = [pd.DataFrame(columns=list(ALL_COLUMNS), dtype=str)]
    read_ok = 0
    for path in paths:
        try:
            frames.extend(_consume(read_file(path)))
            read_ok += 1
        except InputError as error:
            failures.append(error)
            _say(f"iqc: {error}")
    rows = io_write.write_frames([pd.concat(frames, ignore_index=True).fillna("")], args.output)
    _say(f"wrote {rows} rows from {read_ok} of {len(paths)} files to {args.output}")
    return EXIT_INPUT_FAILED if failures else EXIT_OK


def _consume(read: FileRead) -> list[pd.DataFrame]:
    """All frames of one file, then its summary: tables and rows, what was skipped, warnings."""
    frames = list(read.frames)
    rows = sum(len(frame) for frame in frames)
    _say(f"{read.path}: {len(read.tables)} table(s), {rows} rows")
    for skipped in read.skipped:
        _say(f"  skipped {skipped.location}: {skipped.reason}")
    for warning in read.warnings:
        _say(f"  warning: {warning}")
    return frames
