"""``iqc evaluate LABELED [--rows ROWS]``: precision/recall/F1 of the bundled model on a labelled file.

``LABELED`` has the labeling-guide columns (row_id, boilerplate, mismatch, unmeasurable, codes,
note); the rows themselves are either in the same file or in ``--rows`` (joined on row_id), which
is read like any input (CSV/TSV/XLSX/JSONL, e.g. the output of ``iqc parse``).
Only meaningful on rows the model was not trained on: the bundled model was trained on
``data/corpus``, so use ``iqc train`` for its honest, cross-validated figures.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nlp.cli import EXIT_INPUT_FAILED, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    import pandas as pd

    from nlp.scorer import Scorer


class _Refused(Exception):
    """A one-line reason to stop, with the exit code."""

    def __init__(self, message: str, code: int = EXIT_INPUT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="per-family P/R/F1 and per-code counts on a labelled file")
    parser.add_argument("labeled", type=Path, help="TSV/CSV with row_id, boilerplate, mismatch, unmeasurable, codes")
    parser.add_argument("--rows", type=Path, default=None, help="the indicator rows, if not in LABELED")
    parser.set_defaults(handler=run)


def _labels(path: Path) -> pd.DataFrame:
    """The labelled file, every cell a string; one-line :class:`_Refused` when it cannot be read."""
    import pandas as pd

    from nlp.readers import InputError
    from nlp.readers.encoding import detect_encoding
    from nlp.schema import FAMILIES

    sep = "\t" if path.suffix.lower() in {".tsv", ".txt"} else ","
    try:  # in the encoding the rows' readers would read it in: a GBK "CSV" from Excel, not a UTF-8 error
        gold = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=detect_encoding(path))
    except FileNotFoundError:
        raise _Refused(f"{path}: no such file") from None
    except InputError as error:  # a workbook, a binary or garbled file
        raise _Refused(str(error)) from None
    except (OSError, ValueError, pd.errors.ParserError) as error:  # EmptyDataError, bad bytes
        raise _Refused(f"{path}: cannot read the labels ({str(error).splitlines()[0]})") from None
    missing = {"row_id", *FAMILIES, "codes"} - set(gold.columns)
    if missing:
        raise _Refused(f"{path}: missing label columns {', '.join(sorted(missing))}", EXIT_USAGE)
    blank = gold.index[gold["row_id"] == ""]
    if len(blank):
        raise _Refused(f"{path}: line {blank[0] + 2}: no row_id")
    _one_per_row_id(gold, path)
    bad = gold[~gold[list(FAMILIES)].isin(["0", "1"]).all(axis=1)]
    if len(bad):
        raise _Refused(f"{path}: row_id {bad['row_id'].iloc[0]}: family labels must be 0 or 1")
    for record in gold.to_dict("records"):
        _check_codes(record, path)
    return gold


def _check_codes(label: dict[str, str], path: Path) -> None:
    """Refuse a code that is not in the catalogue (``b3``, ``B3；M6``, ``B3, M6`` would each be counted
    as a code of its own) or whose family the row is labelled 0 in (which of the two is wrong
    cannot be told, and the per-code figures would disagree with the per-family ones)."""
    from nlp.codes import catalogue
    from nlp.evaluate import split_codes
    from nlp.schema import FAMILIES

    where = f"{path}: row_id {label['row_id']!r}"
    for code in sorted(split_codes(label["codes"])):
        if code not in catalogue():
            raise _Refused(f"{where}: unknown code {code!r} (codes as in data/codes.toml, separated by ';', e.g. B3;M6)")
        family = catalogue()[code]["family"]
        if family in FAMILIES and label[family] != "1":
            raise _Refused(f"{where}: code {code} is a {family} code, but {family} is 0")


def _one_per_row_id(frame: pd.DataFrame, path: Path) -> None:
    """Refuse a row_id given twice: the join on row_id would count that row once per copy, and
    two different labels of one row both."""
    repeated = frame["row_id"].value_counts().loc[lambda counts: counts > 1]
    if len(repeated):
        raise _Refused(f"{path}: row_id {repeated.index[0]!r} is given {repeated.iloc[0]} times; each row needs exactly one")


def _rows(args: argparse.Namespace, gold: pd.DataFrame) -> pd.DataFrame:
    """The indicator rows to score: ``--rows`` read like any input, else LABELED's own columns."""
    import pandas as pd

    from nlp.readers import InputError, read_file
    from nlp.schema import FAMILIES

    if args.rows is None:
        if not {"level3", "target_value"} & set(gold.columns):
            raise _Refused(f"{args.labeled}: no indicator columns (level3, target_value); give the rows with --rows",
                           EXIT_USAGE)
        return gold.drop(columns=[*FAMILIES, "codes", "note"], errors="ignore")
    if args.rows.is_dir():  # read_file would say "no such file" of a folder that is there
        raise _Refused(f"{args.rows}: a folder; give one rows file (iqc parse {args.rows} -o rows.csv makes one)",
                       EXIT_USAGE)
    try:
        read = read_file(args.rows)
        frames = list(read.frames)
    except InputError as error:
        raise _Refused(str(error)) from None
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["row_id"])
    if read.errors:
        raise _Refused(f"{read.errors[0]} ({len(read.errors)} row(s) not read)")
    _one_per_row_id(rows, args.rows)
    return rows


def _labelled(args: argparse.Namespace, gold: pd.DataFrame, rows: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The rows that have a label, and how many rows do not. A label whose
    row is missing is refused: its row would silently leave the figures (a typo'd row_id, or
    another version of the rows file)."""
    where = f" of {args.rows}" if args.rows else ""
    found = gold["row_id"].isin(set(rows["row_id"]))
    if not found.any():
        raise _Refused(f"no row_id of {args.labeled} is among the rows{where}")
    if not found.all():
        raise _Refused(f"{args.labeled}: row_id {gold['row_id'][~found].iloc[0]!r} is not among the rows{where} "
                       f"({(~found).sum()} of {len(gold)} labels have no row)")
    labelled = rows[rows["row_id"].isin(set(gold["row_id"]))]
    return labelled, len(rows) - len(labelled)


def _left_out(unlabelled: int, path: Path | None) -> str:
    """What the figures leave out: the rows of ``--rows`` that have no label."""
    return f" (left out: {unlabelled} row(s) of {path} without a label)" if unlabelled else ""


def _scorer() -> Scorer:
    """The bundled model; a missing, edited or outdated one is a one-line :class:`_Refused`."""
    import nlp
    from nlp.artifacts import ArtifactError

    try:
        return nlp.load()
    except ArtifactError as error:
        raise _Refused(str(error)) from None


def run(args: argparse.Namespace) -> int:
    from nlp.evaluate import evaluate_frame
    from nlp.schema import FAMILIES

    try:
        gold = _labels(args.labeled)
        rows, unlabelled = _labelled(args, gold, _rows(args, gold))
        scorer = _scorer()
    except _Refused as refusal:
        print(f"iqc evaluate: {refusal}", file=sys.stderr)
        return refusal.code
    report = evaluate_frame(scorer.score_frame(rows), gold)
    print(f"rows evaluated: {report['rows']}{_left_out(unlabelled, args.rows)}")
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
