"""``iqc review import FILE --db PATH``: load reviewers' decisions into the review store.

FILE is a workbook written by ``iqc score -o x.xlsx`` whose 审核结论 (采纳/驳回) and 审核意见
columns were filled in (saved as .xlsx, .xls or .ods), or a decisions export of the review page
(CSV or XLSX). Decisions land in the same SQLite store that ``iqc serve --db`` uses and
``iqc score --db`` reads, so a rejection hides that finding on identical rows in later runs.
"""
from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from nlp.cli import EXIT_INPUT_FAILED, EXIT_OK, failed


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("review", help="reviewers' decisions (import reviewed workbooks)",
                                   description=__doc__.split("\n\n")[0])
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    importer = actions.add_parser("import", help="read decisions from a reviewed workbook or a review export",
                                  description=__doc__.split("\n\n")[1])
    importer.add_argument("file", type=Path, metavar="FILE",
                          help=".xlsx, .xls or .ods workbook or export, or .csv export")
    importer.add_argument("--db", type=Path, required=True, metavar="PATH",
                          help="review store (SQLite; created if missing)")
    importer.add_argument("--reviewer", default="",
                          help="name recorded with workbook decisions (a row's 审核人 cell names its own)")
    importer.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    from nlp.review.exchange import ReviewFileError, merged, read_decisions
    from nlp.review.store import ReviewStore, StoreError

    try:
        imported = read_decisions(args.file, args.reviewer)
        result = ReviewStore(args.db).update(partial(merged, imported))
    except (ReviewFileError, StoreError) as error:
        return failed(error)
    written, problems = len(result.decisions), [*imported.problems, *result.problems]
    for line in (*problems, *result.changes):
        print(f"iqc: {line}", file=sys.stderr)
    for line in imported.warnings:
        print(f"iqc: warning: {line}", file=sys.stderr)
    given = {d.key: d.decision for d in imported.decisions}  # as the file says (a comment alone keeps a 驳回)
    counts = {word: sum(given[d.key] == word for d in result.decisions) for word in ("accept", "reject")}
    print(f"iqc: imported {written} decision(s) from {args.file} into {args.db} "
          f"({counts['accept']} 采纳, {counts['reject']} 驳回, {written - sum(counts.values())} comment only), "
          f"one per finding of {imported.rows} decided row(s){_unchanged(result.unchanged)}",
          file=sys.stderr)
    return EXIT_INPUT_FAILED if problems else EXIT_OK


def _unchanged(count: int) -> str:
    """Said of the decisions the store already held as given: a workbook imported a second time was
    reported as importing every decision again, as if they had been counted twice."""
    return f"; {count} of them were in the store already, as given (left unchanged)" if count else ""
