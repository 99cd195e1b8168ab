"""``iqc evaluate LABELED [--rows ROWS]``: precision/recall/F1 of the bundled model on a labelled file.

``LABELED`` has the labeling-guide columns (row_id, boilerplate, mismatch, unmeasurable, codes,
note). With its rows in it, it is read as ``iqc score`` reads any input (title rows, Chinese
headers, a workbook), so a label's line is the one ``iqc score`` names for its row. Else it is a
CSV/TSV of labels only and the rows are in ``--rows`` (joined on row_id), read like any input
(e.g. the output of ``iqc parse``).
Findings are measured as ``iqc score`` reports them, under the same ``iqc.toml`` (``--config``,
``$IQC_CONFIG``, ``./iqc.toml``): a disabled code or a raised threshold changes the figures.
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


_SEPARATORS = {"\t": "tab", ",": "comma"}


class _Refused(Exception):
    """A one-line reason to stop, with the exit code."""

    def __init__(self, message: str, code: int = EXIT_INPUT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="per-family P/R/F1 and per-code counts on a labelled file")
    parser.add_argument("labeled", type=Path, help="labels (row_id, boilerplate, mismatch, unmeasurable, codes): with "
                                                    "their rows, any file iqc score reads; labels only: CSV/TSV or a "
                                                    "workbook's first sheet")
    parser.add_argument("--rows", type=Path, default=None, help="the indicator rows, if not in LABELED")
    parser.add_argument("--config", type=Path, default=None, metavar="FILE",
                        help="measure as iqc score would report (default: $IQC_CONFIG, else ./iqc.toml when it exists)")
    parser.set_defaults(handler=run)


def _gold_and_rows(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The labels, checked, and the indicator rows they are for: LABELED and ``--rows``, or both
    from LABELED, read as ``iqc score`` reads it (title rows, Chinese headers, a workbook; the lines
    named in messages are the ones ``iqc score`` names)."""
    from nlp.schema import FAMILIES

    if args.rows is not None:
        return _labels(args.labeled), _read(args.rows)
    table = _read(args.labeled, labels_only="if it holds the labels only, give the rows with --rows")
    _check(table, args.labeled)
    return table, table.drop(columns=[*FAMILIES, "codes", "note"], errors="ignore")


def _labels(path: Path) -> pd.DataFrame:
    """A labels-only file (``--rows`` has the rows), every cell a string; one-line
    :class:`_Refused` when it cannot be read."""
    import pandas as pd

    from nlp.readers import WORKBOOK_SUFFIXES, InputError
    from nlp.readers.encoding import detect_encoding

    sep = "\t" if path.suffix.lower() in {".tsv", ".txt"} else ","
    workbook = path.suffix.lower() in WORKBOOK_SUFFIXES
    try:  # in the encoding the rows' readers would read it in: a GBK "CSV" from Excel, not a UTF-8 error
        gold, line_prefix = _label_sheet(path) if workbook else (_label_text(path, sep, detect_encoding(path)), "")
    except FileNotFoundError:
        raise _Refused(f"{path}: no such file") from None
    except InputError as error:  # a binary or garbled file
        raise _Refused(str(error)) from None
    except (OSError, ValueError, pd.errors.ParserError) as error:  # EmptyDataError, bad bytes, a damaged workbook
        raise _Refused(f"{path}: cannot read the labels ({str(error).splitlines()[0]})") from None
    one_column = len(gold.columns) == 1 and not workbook  # a CSV named .tsv, or a TSV named .csv
    how = f" (read as {_SEPARATORS[sep]}-separated, by the suffix {path.suffix})" if one_column else ""
    # The file's line of each label, as a reader names it (``Sheet!row`` in a workbook); empty lines
    # (Excel's formatted rows below the data) are no labels.
    lines = gold.assign(source_line=line_prefix + (gold.index + 2).astype(str))
    gold = lines[(gold != "").any(axis=1)]
    _check(gold, path, how)
    return gold


def _label_text(path: Path, sep: str, encoding: str) -> pd.DataFrame:
    import pandas as pd

    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=encoding, skip_blank_lines=False)


def _label_sheet(path: Path) -> tuple[pd.DataFrame, str]:
    """A workbook's first sheet of labels, every cell a string (calamine, as inputs are read: 1 is
    "1", not "1.0"), and its name as the prefix of its lines (``标注!3``); other sheets are said to
    be left out."""
    import pandas as pd
    from python_calamine import CalamineError

    try:
        with pd.ExcelFile(path, engine="calamine") as book:
            sheet, *others = book.sheet_names
            if others:
                print(f"iqc evaluate: skipped {path} {'、'.join(others)}: the labels are read from its first sheet "
                      f"({sheet})", file=sys.stderr)
            return pd.read_excel(book, sheet_name=sheet, dtype=str, keep_default_na=False), f"{sheet}!"
    except CalamineError as error:  # a damaged workbook, or another file under a workbook's name
        raise ValueError(f"not a workbook: {error}") from None


def _check(gold: pd.DataFrame, path: Path, how: str = "") -> None:
    """Refuse labels without their columns (exit 2, ``how`` the file was read) or that the join
    would misread (:func:`nlp.evaluate.check_labels`), in one line."""
    from nlp.evaluate import LabelError, check_labels
    from nlp.schema import FAMILIES

    missing = {"row_id", *FAMILIES, "codes"} - set(gold.columns)
    if missing:
        raise _Refused(f"{path}: missing label columns {', '.join(sorted(missing))}{how}", EXIT_USAGE)
    try:
        check_labels(gold, path)
    except LabelError as error:
        raise _Refused(str(error)) from None


def _read(path: Path, labels_only: str = "") -> pd.DataFrame:
    """``path`` read by the readers ``iqc score`` uses. What they skip or warn about is said, one line
    each (a sheet of notes left out is not a silent loss of labels); a file or row they cannot read
    refuses the run, as do no rows at all. ``labels_only``: what to do when the file has no
    indicator columns (a usage error then)."""
    import pandas as pd

    from nlp.evaluate import LabelError, one_per_row_id
    from nlp.readers import InputError, read_file
    from nlp.readers.tabular import no_indicator_columns

    if path.is_dir():  # read_file would say "no such file" of a folder that is there
        raise _Refused(f"{path}: a folder; give one rows file (iqc parse {path} -o rows.csv makes one)", EXIT_USAGE)
    try:
        read = read_file(path)
        frames = list(read.frames)
    except InputError as error:
        if labels_only and error.message == no_indicator_columns(path).message:
            raise _Refused(f"{error}; {labels_only}", EXIT_USAGE) from None
        raise _Refused(str(error)) from None
    for part in read.skipped:
        print(f"iqc evaluate: skipped {part.file} {part.location}: {part.reason}", file=sys.stderr)
    for warning in read.warnings:
        print(f"iqc evaluate: warning: {warning}", file=sys.stderr)
    if read.errors:
        raise _Refused(f"{read.errors[0]} ({len(read.errors)} row(s) not read)")
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["row_id"])
    if rows.empty:
        raise _Refused(f"{path}: no indicator rows were read" + (" (skipped, as said above)" if read.skipped else ""))
    try:
        one_per_row_id(rows, path)
    except LabelError as error:
        raise _Refused(str(error)) from None
    return rows


def _labelled(args: argparse.Namespace, gold: pd.DataFrame, rows: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The rows that have a label, and how many rows do not. A label whose row is missing is
    refused, with what to check: its row would silently leave the figures (a typo'd row_id, or
    another version of the rows file)."""
    from nlp.evaluate import located

    where = f" of {args.rows}" if args.rows else ""
    found = gold["row_id"].isin(set(rows["row_id"]))
    if not found.any():
        raise _Refused(f"no row_id of {args.labeled} is among the rows{where}: check that the labels were written "
                       f"for these rows: their row_ids are like {_like(gold['row_id'])}, the rows' like "
                       f"{_like(rows['row_id'])} (a rows file without a row_id column names its rows file:line)")
    if not found.all():
        missing = gold[~found].iloc[0].to_dict()
        raise _Refused(f"{located(args.labeled, missing)}: row_id {missing['row_id']!r} is not among the rows{where} "
                       f"({(~found).sum()} of {len(gold)} labels have no row); {_hint(missing['row_id'], rows)}")
    labelled = rows[rows["row_id"].isin(set(gold["row_id"]))]
    return labelled, len(rows) - len(labelled)


def _hint(row_id: str, rows: pd.DataFrame) -> str:
    """What to check for a label whose row_id no row has: a row_id equal but for letter case or
    spaces (a cell retyped in Excel), else the rows' own row_ids to compare with."""
    near = {str(other).strip().casefold(): other for other in rows["row_id"]}.get(row_id.strip().casefold())
    if near is not None:
        return f"the rows have {near!r}: row_ids must match exactly, letter case and spaces too"
    return ("check that the labels were written for this version of the rows, whose row_ids are like "
            f"{_like(rows['row_id'])}")


def _like(row_ids: pd.Series) -> str:
    """The first two row_ids, as examples."""
    return ", ".join(repr(row_id) for row_id in row_ids.head(2))


def _left_out(unlabelled: int, path: Path | None) -> str:
    """What the figures leave out: the rows of ``--rows`` that have no label."""
    return f" (left out: {unlabelled} row(s) of {path} without a label)" if unlabelled else ""


def _scorer(config_path: Path | None) -> Scorer:
    """The bundled model, configured as ``iqc score`` would be (found the same way: the figures
    must be those of the findings the reviewer will see); a missing, edited or outdated model or
    an unusable configuration is a one-line :class:`_Refused`."""
    import nlp
    from nlp.artifacts import ArtifactError, environment_note
    from nlp.config import ConfigError, find_config, load_config

    try:
        scorer = nlp.load()
    except ArtifactError as error:
        raise _Refused(str(error)) from None
    if note := environment_note(scorer.model_info):
        print(f"iqc evaluate: warning: {note}", file=sys.stderr)
    try:
        return scorer.configure(load_config(find_config(config_path)))
    except ConfigError as error:
        raise _Refused(str(error), EXIT_USAGE) from None


def run(args: argparse.Namespace) -> int:
    from nlp.evaluate import evaluate_frame, figure

    try:
        gold, rows = _gold_and_rows(args)
        rows, unlabelled = _labelled(args, gold, rows)
        scorer = _scorer(args.config)
    except _Refused as refusal:
        print(f"iqc evaluate: {refusal}", file=sys.stderr)
        return refusal.code
    report = evaluate_frame(scorer.score_frame(rows), gold)
    print(f"rows evaluated: {report['rows']}{_left_out(unlabelled, args.rows)}")
    if source := scorer.adjuster.config.source:
        print(f"as configured by {source}")
    _print_families(report)
    print(f"\n{'code':<6}{'precision':>10}{'recall':>8}{'gold':>6}{'reported':>10}{'both':>6}")
    for code, m in report["codes"].items():
        print(f"{code:<6}{figure(m['precision']):>10}{figure(m['recall']):>8}{m['gold']:>6}{m['predicted']:>10}"
              f"{m['both']:>6}")
    return EXIT_OK


def _print_families(report: dict) -> None:
    """P/R/F1 per family (``–`` where undefined), then macro F1 and, if not over all, what it is over."""
    from nlp.evaluate import figure, macro_note
    from nlp.schema import FAMILIES

    print(f"{'family':<14}{'precision':>10}{'recall':>8}{'F1':>8}{'gold+':>7}{'recall incl. review':>21}")
    for family in FAMILIES:
        m, seen = report["families"][family], report["families_with_review"][family]
        print(f"{family:<14}{figure(m['precision']):>10}{figure(m['recall']):>8}{figure(m['f1']):>8}{m['support']:>7}"
              f"{figure(seen['recall']):>21}")
    over = f"  ({note})" if (note := macro_note(report["families"])) else ""
    print(f"{'macro F1':<14}{'':>10}{'':>8}{figure(report['families']['macro_f1']):>8}{over}")
