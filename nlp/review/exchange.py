"""Decisions in and out of files: the review page's CSV/XLSX export, and ``iqc review import``
of that export or of a reviewed ``iqc score`` workbook (its 审核结论 / 审核意见 columns).

A workbook row holds one decision for the whole row, so it applies to every finding code in the
row's ``codes`` cell; the export holds one line per finding with its key.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

import xlsxwriter

from nlp.codes import catalogue
from nlp.fingerprints import KEY_CELLS, finding_key, normalised, row_check
from nlp.io_write import delimited_text
from nlp.readers import WORKBOOK_SUFFIXES
from nlp.readers.tabular import HEADER_SCAN_ROWS, column_letters
from nlp.report.rows import split_codes
from nlp.report.xlsx import (CUT_MARK, INPUT_REVIEW_SUFFIX, REVIEW_CHECK, REVIEW_COMMENT, REVIEW_DECISION,
                              REVIEW_REVIEWER, WORKBOOK_OPTIONS)
from nlp.review.store import DECISION_LABELS, Decision, is_decision, now, parse_decision
from nlp.schema import FAMILIES

#: Columns of the review-page export, in order (``decision`` holds 采纳/驳回).
EXPORT_COLUMNS: tuple[str, ...] = ("key", "code", "decision", "comment", "reviewer", "decided_at", "batch",
                                   *KEY_CELLS)
_FINDING_KEY = re.compile(r"[0-9a-f]{64}")
#: Columns a reviewed workbook's decisions are read from.
WORKBOOK_COLUMNS: tuple[str, ...] = (REVIEW_DECISION, REVIEW_COMMENT, REVIEW_REVIEWER, REVIEW_CHECK, "codes",
                                     *KEY_CELLS)
#: How a cell the workbook cut at Excel's limit ends, as read back.
_CUT = normalised(CUT_MARK)
#: Rows of a sheet in the .xls format: an office suite saving a longer sheet as .xls drops the rest,
#: with a warning the reviewer may have clicked away.
XLS_ROWS = 65_536
XLS_FULL = (f"the sheet ends at row {XLS_ROWS:,}, the last row an .xls file holds: rows past it were dropped "
            "when the workbook was saved as .xls, and their decisions are not here (save it as .xlsx or .ods)")
#: Said of a reviewed sheet without the hidden check column: Excel's Document Inspector deletes hidden
#: columns, and workbooks scored before the check existed have none.
UNCHECKED = (f"no {REVIEW_CHECK} column (deleted with the hidden columns, or a workbook of an older iqc): "
             "decisions are read without checking that their rows' cells are as scored, so a row edited or "
             "sorted apart from its cells would be decided as it now reads")
#: What makes an .xlsx sheet worth reading beyond calamine's values: a merge, or an error cell (``#N/A``,
#: which calamine gives as empty: a 审核结论 of ``#N/A`` was read as no decision, without a word).
_SHOWN_OTHERWISE = re.compile(rb'mergeCell\b|\bt="e"')


class ReviewFileError(Exception):
    """The file cannot be read as decisions (message is one line)."""


@dataclass
class Imported:
    """Decisions read from a file, one per finding key, where each was read (``file:sheet!row``),
    and the lines that could not be used (``where: why``)."""

    decisions: list[Decision] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    places: dict[str, str] = field(default_factory=dict)
    #: Keys of export lines whose cells no longer give their key (a spreadsheet program changed them).
    changed_cells: set[str] = field(default_factory=set)
    #: Rows (export lines) that gave decisions: a row's decision is one per finding of the row.
    rows: int = 0
    #: What the reviewer should know although every decision was read (``where: what``).
    warnings: list[str] = field(default_factory=list)


@dataclass
class Merged:
    """What an import saves over the store, the stored decisions it changes, and what it cannot save."""

    decisions: list[Decision] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: Decisions the store already held as the file gives them (the same workbook imported again).
    unchanged: int = 0


class _Collected:
    """Decisions by key as rows are read. Identical rows share a key: two that agree are one
    decision (their comments joined), two decided otherwise are a problem and neither is kept
    (the last one read silently won)."""

    def __init__(self) -> None:
        self.imported = Imported()
        self._by_key: dict[str, Decision] = {}
        self._conflicts: set[str] = set()

    def add(self, made: Decision, place: str) -> None:
        kept = self._by_key.get(made.key)
        if kept is None:
            self._by_key[made.key], self.imported.places[made.key] = made, place
        elif kept.decision and made.decision and kept.decision != made.decision:
            self.imported.problems.append(
                f"{place}: {made.code} is {DECISION_LABELS[made.decision]} here but {DECISION_LABELS[kept.decision]} "
                f"at {self.imported.places[made.key]}, on an identical row: neither is imported")
            self._conflicts.add(made.key)
        else:
            comment = "；".join(dict.fromkeys(c for c in (kept.comment, made.comment) if c))
            self._by_key[made.key] = replace(kept, decision=kept.decision or made.decision, comment=comment)

    def result(self) -> Imported:
        self.imported.decisions = [d for key, d in self._by_key.items() if key not in self._conflicts]
        return self.imported


def merged(imported: Imported, stored: Mapping[str, Decision]) -> Merged:
    """The decisions to save over ``stored`` (by key), a line for each stored decision they change,
    and a problem for each they cannot save.

    A comment without a decision keeps the stored decision, and who made it when: saved as it was,
    it replaced a 驳回 with none and the finding came back. A decision replacing another is said:
    a second reviewer's 采纳 replaced the first one's 驳回 without a word. One that says nothing new
    stays as stored: importing a workbook again restamped its decisions with no reviewer. An
    export line whose cells a spreadsheet program changed keeps the stored cells; with none stored
    it is not saved (``iqc train --feedback`` would learn from cells no table has).
    """
    result = Merged()
    for made in imported.decisions:
        before, place = stored.get(made.key), imported.places[made.key]
        if made.key in imported.changed_cells:
            if before is None:
                result.problems.append(f"{place}: the row's cells are not those its key was made from (changed by "
                                       "a spreadsheet program?), and the store has none to keep: not imported")
                continue
            made = replace(made, cells=before.cells)
        if before is not None and made.decision in (None, before.decision) and made.comment == before.comment:
            made = before  # nothing new (a workbook imported again): who decided it, and when, stay
            result.unchanged += 1
        elif before is not None and before.decision and made.decision is None:
            made = replace(made, decision=before.decision, reviewer=before.reviewer, decided_at=before.decided_at)
        elif before is not None and before.decision and made.decision != before.decision:
            by = ", ".join(filter(None, (before.reviewer, before.decided_at)))
            result.changes.append(f"{place}: {made.code} was {DECISION_LABELS[before.decision]} ({by}), "
                                  f"now {DECISION_LABELS[made.decision]}")
        result.decisions.append(made)
    return result


def export_rows(decisions: list[Decision]) -> list[list[str]]:
    """The export's data rows: one per decision, in :data:`EXPORT_COLUMNS` order."""
    return [[d.key, d.code, DECISION_LABELS.get(d.decision or "", ""), d.comment, d.reviewer, d.decided_at,
             d.batch, *(d.cells.get(name, "") for name in KEY_CELLS)] for d in decisions]


def export_csv(decisions: list[Decision]) -> bytes:
    """UTF-8 with BOM (Excel shows the Chinese), header first; written as the CSV outputs are, so a
    comment holding a \\r is quoted (it went out bare, and the export read back as a split row)."""
    return delimited_text(lambda: [list(EXPORT_COLUMNS), *export_rows(decisions)], ",").encode("utf-8-sig")


def export_xlsx(decisions: list[Decision]) -> bytes:
    """One sheet, header first, cell text never turned into formulas."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {**WORKBOOK_OPTIONS, "constant_memory": False, "in_memory": True})
    sheet = book.add_worksheet("decisions")
    for index, row in enumerate([list(EXPORT_COLUMNS), *export_rows(decisions)]):
        for column, value in enumerate(row):
            sheet.write_string(index, column, value)
    book.close()
    return buffer.getvalue()


def read_decisions(path: Path, reviewer: str = "") -> Imported:
    """Decisions of a reviewed workbook or a review-page export (CSV or XLSX)."""
    collected = _Collected()
    imported = collected.imported
    found = False
    for where, (header_line, header), rows in _tables(path):
        if not (kind := _kind(header)):
            if REVIEW_DECISION in header:  # a reviewer's own column on the triage sheet, say
                imported.problems.append(f"{where}{header_line}: a {REVIEW_DECISION} column on a sheet without "
                                         "the codes and cells decisions are keyed on: decide on the main sheet")
            continue
        reader, read = kind
        found = True
        if unusable := _doubled(header, read) or _missing(header, reader):
            imported.problems.append(f"{where}{header_line}: {unusable}")
            continue
        if reader is _workbook_decisions and REVIEW_CHECK not in header:
            imported.warnings.append(f"{where}{header_line}: {UNCHECKED}")
        line = header_line
        for line, values in rows:
            row = dict(zip(header, [*values, *[None] * (len(header) - len(values))]))  # a short line: its cells empty
            try:
                made_here = reader(row, reviewer, path.name)
                imported.rows += bool(made_here)
                for made in made_here:
                    collected.add(made, f"{where}{line}")
                    if reader is _export_decision and finding_key(made.cells, made.code) != made.key:
                        imported.changed_cells.add(made.key)  # a spreadsheet program changed the cells
            except ValueError as exc:
                imported.problems.append(f"{where}{line}: {exc}")
        if line >= XLS_ROWS and _is_xls(path):
            imported.warnings.append(f"{where}{line}: {XLS_FULL}")
    if not found:
        raise ReviewFileError(f"{path}: no sheet with a {REVIEW_DECISION} and codes column, nor a review export")
    imported.problems.extend(_uncomputed_formulas(path))
    return collected.result()


Reader = Callable[[Mapping[str, str], str, str], list[Decision]]


def _is_xls(path: Path) -> bool:
    """Whether ``path`` is a workbook in the .xls (BIFF) format, by content: workbooks are renamed at times."""
    from nlp.readers import reader_for

    return path.suffix.lower() in WORKBOOK_SUFFIXES and reader_for(path).name == "ole"


def _uncomputed_formulas(path: Path) -> list[str]:
    """One problem per sheet of an .xlsx holding formulas no spreadsheet program computed: a
    workbook saved by a program (openpyxl, pandas) keeps a formula without its result, which is read
    as empty, so a 审核结论 of ``="驳回"`` was no decision, without a word. ``iqc score`` writes no
    formula: each is the reviewer's."""
    from nlp.readers import reader_for
    from nlp.readers.formulas import formula_cells, recalculated_on_open, stale_formula_warning
    from nlp.readers.xlsx_parts import sheet_parts

    if reader_for(path).name != "xlsx":
        return []
    with zipfile.ZipFile(path) as archive:
        if not recalculated_on_open(archive):
            return []
        counted = {name: formula_cells(archive, part) for name, part in sheet_parts(archive).items()}
    return [str(stale_formula_warning(path.name, name, *found)) for name, found in counted.items() if found[0]]


def _kind(header: list[str]) -> tuple[Reader, tuple[str, ...]] | None:
    """How a sheet with ``header`` is read (its reader and the columns it reads), or None if it
    holds no decisions."""
    if "key" in header and "decision" in header:
        return _export_decision, EXPORT_COLUMNS
    if REVIEW_DECISION in header and "codes" in header:
        return _workbook_decisions, WORKBOOK_COLUMNS
    return None


def _header(rows: Iterator[tuple[int, list[Any]]]) -> tuple[int, list[str]]:
    """The header's row number and names: the first of the top rows that :func:`_kind` reads, else
    the first row. A title typed above the header had the workbook refused as having no 审核结论."""
    first = None
    for line, values in islice(rows, HEADER_SCAN_ROWS):
        names = [normalised(value) for value in values]
        first = first or (line, names)
        if _kind(names):
            return line, names
    return first or (1, [])


def _missing(header: list[str], reader: Reader) -> str:
    """Why a reviewed workbook's sheet cannot be read when a column its keys are made of is gone
    (deleted to make the sheet fit: every key was made as if its cells were empty), else ``""``.
    An export line carries its key, and its cells are checked against it."""
    absent = next((name for name in KEY_CELLS if name not in header), None)
    if reader is _workbook_decisions and absent:
        return f"no {absent} column: decisions are keyed on it (hide a column rather than delete it)"
    return ""


def _doubled(header: list[str], read: tuple[str, ...]) -> str:
    """Why the sheet cannot be read when two columns bear the name of one the import reads (a
    copied 审核结论 column: the decisions were taken from the other, empty one), else ``""``."""
    for name in read:
        columns = [column_letters(index) for index, heading in enumerate(header) if heading == name]
        if len(columns) > 1:
            return (f"columns {' and '.join(columns)} are both headed {name}: keep one, so that each value "
                    "is read from where it was written")
    return ""


def _export_decision(row: Mapping[str, str], reviewer: str, batch: str) -> list[Decision]:
    """An export line's decision; its key is taken as written, so it must be one (a blank or
    edited key would be stored and never match a finding)."""
    decision, comment = parse_decision(row.get("decision")), normalised(row.get("comment"))
    if decision is None:
        _no_decision_elsewhere(row, "decision")
    if decision is None and not comment:
        return []
    key, code = normalised(row.get("key")), normalised(row.get("code"))
    if not _FINDING_KEY.fullmatch(key):
        raise ValueError(f"key must be the finding's 64-character key, not {key!r}")
    if not code:
        raise ValueError("code is empty")
    cells = {name: normalised(row.get(name)) for name in KEY_CELLS}
    return [Decision(key, code, decision, comment,
                     normalised(row.get("reviewer")) or reviewer, normalised(row.get("decided_at")) or now(),
                     normalised(row.get("batch")) or batch, cells)]


@cache
def _row_codes() -> frozenset[str]:
    """The codes a row's ``codes`` cell can hold: the catalogue's findings of the flag families."""
    return frozenset(code for code, entry in catalogue().items() if entry["family"] in FAMILIES)


def _no_decision_elsewhere(row: Mapping[str, str], column: str) -> None:
    """``ValueError`` when a row whose ``column`` is empty holds a decision word in another cell
    (驳回 typed into 审核意见 was stored as a comment and the finding stayed shown); not in the
    input's own review columns (``审核结论（原表）``), which hold an earlier round's words."""
    for name, value in row.items():
        if name != column and name not in KEY_CELLS and not name.endswith(INPUT_REVIEW_SUFFIX) and is_decision(value):
            raise ValueError(f"{name} holds {value!r} but {column} is empty: write the decision in {column}")


def _workbook_decisions(row: Mapping[str, str], reviewer: str, batch: str) -> list[Decision]:
    decision, comment = parse_decision(row.get(REVIEW_DECISION)), normalised(row.get(REVIEW_COMMENT))
    if decision is None:
        _no_decision_elsewhere(row, REVIEW_DECISION)
    if decision is None and not comment:
        return []
    codes = [code.strip() for code in split_codes(row.get("codes"))]
    if not codes:
        raise ValueError(f"{REVIEW_DECISION if decision else REVIEW_COMMENT} given for a row with no finding")
    if unknown := next((code for code in codes if code not in _row_codes()), None):
        raise ValueError(f"codes holds {unknown!r}, not a finding code of this version of iqc "
                         "(a workbook of another version?): a decision on it would never apply")
    cells = {name: normalised(row.get(name)) for name in KEY_CELLS}
    if cut := next((name for name, text in cells.items() if text.endswith(_CUT)), None):
        raise ValueError(f"{cut} was cut at Excel's cell limit in this workbook, so a decision cannot be "
                         "matched to its row: decide it on the review page")
    if REVIEW_CHECK in row and normalised(row[REVIEW_CHECK]) != row_check(row):  # none in older workbooks
        raise ValueError("the row's cells were changed after scoring (edited, sorted apart, or turned into numbers "
                         "or dates by a spreadsheet program): decide it on the review page or score again")
    reviewer = normalised(row.get(REVIEW_REVIEWER)) or reviewer
    return [Decision(finding_key(row, code), code, decision, comment, reviewer, now(), batch, cells)
            for code in codes]


#: A sheet's (or the CSV file's) location prefix, header row number and names, and numbered rows below.
Table = tuple[str, tuple[int, list[str]], Iterator[tuple[int, list[Any]]]]


def _tables(path: Path) -> Iterator[Table]:
    """Each sheet of a workbook, or the CSV file, as a :data:`Table`."""
    if not path.is_file():
        raise ReviewFileError(f"{path}: {'a folder, not a file' if path.is_dir() else 'no such file'}")
    try:
        if path.suffix.lower() in WORKBOOK_SUFFIXES:
            yield from _sheets(path)
        elif path.suffix.lower() == ".csv":
            yield from _csv_table(path)
        else:
            raise ReviewFileError(f"{path}: reads a reviewed workbook or an export, not a "
                                  f"{path.suffix or 'suffix-less'} file: save it as .xlsx, .xls or .ods "
                                  "(or an export as .csv)")
    except (OSError, UnicodeError, csv.Error) as exc:
        raise ReviewFileError(f"{path}: cannot read ({exc})") from None


def _csv_table(path: Path) -> Iterator[Table]:
    """The CSV's header and rows, in the encoding input CSVs are read in: Excel's plain CSV save
    writes GBK on a Chinese Windows, which a UTF-8-only import refused."""
    from nlp.readers.base import InputError
    from nlp.readers.encoding import detect_encoding

    try:
        encoding = detect_encoding(path)
    except InputError as exc:
        raise ReviewFileError(str(exc)) from None
    with path.open(encoding=encoding, newline="") as handle:
        rows = list(csv.reader(handle))
    numbered = enumerate(rows, 1)
    yield f"{path.name}:", _header(numbered), numbered


def _sheets(path: Path) -> Iterator[Table]:
    """Each sheet's cells as text, read by calamine as input workbooks are: a
    workbook saved by Excel as Strict Open XML, which openpyxl reads as having no sheet, was
    refused as holding no 审核结论 column (after seven warnings from openpyxl). A cell merged down
    several rows is read on each, as in inputs: a 驳回 merged over two rows was read on the first
    only. One sheet is held at a time."""
    from nlp.readers.merged_cells import MergedFill
    from nlp.readers.spreadsheet import open_workbook, shown_rows, worksheets

    try:
        book = open_workbook(path)
        names = [sheet.name for sheet in worksheets(book)]
        read_extras = _extras_reader(path)
    except Exception as exc:  # calamine, the zip and XML parsers raise their own errors for a damaged file
        raise ReviewFileError(f"{path}: not a readable workbook ({type(exc).__name__})") from None
    for name in names:
        data = book.get_sheet_by_name(name)
        extras = read_extras(name, data)
        rows = enumerate(shown_rows(data, extras), 1)
        header = _header(rows)
        fill = MergedFill(extras.layout.merges, header_row=header[0] - 1)
        yield f"{path.name}:{name}!", header, ((line, fill(line - 1, cells)) for line, cells in rows)


def _extras_reader(path: Path) -> Callable[[str, Any], Any]:
    """``(sheet name, calamine's sheet) -> SheetExtras`` holding the sheet's merges, its error cells'
    texts (an .xlsx's and an .xls's) and the .ods cell texts calamine reads without their tabs, found
    as the input reader of the workbook's format finds them; not its number formats: the cells a
    decision is keyed on are written as text."""
    from nlp.readers.ods_parts import ods_extras
    from nlp.readers.sheet_layout import SheetExtras, SheetLayout
    from nlp.readers import reader_for
    from nlp.readers.spreadsheet import calamine_merges
    from nlp.readers.xlsx_parts import sheet_parts

    kind = reader_for(path).name  # by content: a workbook is renamed at times
    if kind == "ods":
        sheets = ods_extras(path)
        return lambda name, _: replace(sheets.get(name) or SheetExtras(), formats={})
    if kind == "ole":
        errors = _xls_error_texts(path)
        return lambda name, data: SheetExtras(SheetLayout(calamine_merges(data)), texts=errors.get(name, {}))
    with zipfile.ZipFile(path) as archive:
        parts = sheet_parts(archive)
    return lambda name, _: _sheet_merges(path, parts.get(name))


def _xls_error_texts(path: Path) -> dict[str, dict[int, dict[int, str]]]:
    """Sheet name -> the texts of the .xls's error cells (``#N/A``) by row and column, from xlrd, as
    the input reader reads them (calamine gives them as empty); none when xlrd cannot read the file."""
    from nlp.readers.xls_parts import xls_extras

    try:
        return {name: extras.texts for name, extras in xls_extras(path).items()}
    except Exception:  # noqa: BLE001 - xlrd is stricter than calamine about damaged records: the values are read
        return {}


def _sheet_merges(path: Path, part: str | None) -> Any:
    """The merges and error cells of the sheet in zip member ``part`` (:mod:`nlp.readers.xlsx_parts`),
    not its number formats: the cells a decision is keyed on are written as text. The sheet is first
    searched for those words: the full search cost a fifth more time on sheets with neither."""
    from nlp.readers.sheet_layout import SheetExtras
    from nlp.readers.xlsx_parts import part_matches, sheet_extras

    if part is None:
        return SheetExtras()
    try:
        with zipfile.ZipFile(path) as archive:
            if next(part_matches(archive, part, _SHOWN_OTHERWISE), None) is None:
                return SheetExtras()
            return sheet_extras(archive, part, {})
    except Exception as exc:  # the zip and XML parsers raise their own errors for a damaged part
        raise ReviewFileError(f"{path}: not a readable workbook ({type(exc).__name__})") from None
