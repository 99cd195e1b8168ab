"""The reviewer workbook: original rows with highlighted cells, triage, summary and code legend.

Written with xlsxwriter in ``constant_memory`` mode: rows are streamed to disk chunk by chunk, so a
batch of any size fits in memory (openpyxl keeps every cell object alive and is several times
slower). Rows beyond Excel's 1,048,576-row limit spill into further sheets ("indicators 2", …)
rather than being dropped. Cell text is untrusted, so strings are never turned into formulas/URLs.

Comments are capped (``max_comments`` in data/report.toml, in input order): each is a drawing
object, and LibreOffice needs ~30 s to load 15,000 of them and many minutes for 75,000; xlsxwriter
also keeps them in memory until close. Past the cap cells are still filled and the explanation
column still holds the text.
"""
from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field
from typing import Any, Iterable

import pandas as pd
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from nlp.codes import catalogue
from nlp.fingerprints import row_check
from nlp.records import ALL_COLUMNS
from nlp.report.accumulator import GroupStats, ScoredRow, department_name, project_name
from nlp.report.atomic import new_temp_dir
from nlp.report.rows import FLAG_COLUMNS
from nlp.report.settings import ReportSettings
from nlp.report.writer import ReportWriter
from nlp.schema import FAMILIES, FINDINGS_COLUMN, OUTPUT_WORKBOOK_MARK, TABLE_FINDINGS_COLUMN, scored_columns

WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,
}
TRIAGE_COLUMNS: tuple[str, ...] = (
    "risk", "department", "project_name", "level2", "level3", "target_value", "unit", "codes",
    "explanation", "suggested_level2", "source_file", "source_line", "row_id",
)
#: The family counts are ``flagged_<family>``, not the scored frame's ``flag_<family>``: these are
#: counts of rows, headed by their own labels in data/report.toml.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "department", "project_name", "rows", "flagged", "share_flagged", *(f"flagged_{f}" for f in FAMILIES),
    "top_codes", "table_codes",
)
COPIES_COLUMNS: tuple[str, ...] = ("copy_cluster", "project_name", "department", "source_file")
READING_COLUMNS: tuple[str, ...] = ("note_kind", "source_file", "note_location", "note_message")
LEGEND_COLUMNS: tuple[str, ...] = (
    "code", "family", "severity", "title", "description", "field", "suggestion", "example_bad",
    "example_good", "count",
)
ALL_PROJECTS = "（全部项目）"
#: Excel's limit of columns in a sheet.
EXCEL_COLUMNS = 16_384
#: Excel's limit of characters in a cell, and what ends a cell cut to it.
EXCEL_CELL_CHARS = 32_767
CUT_MARK = "……（超过Excel单元格32767字上限，此处截断；CSV/JSONL输出保留全文）"
#: Columns the reviewer fills in on the main sheet (read back by ``iqc review import``); the
#: decision cell offers a drop-down of ``REVIEW_CHOICES``.
REVIEW_DECISION, REVIEW_COMMENT = "审核结论", "审核意见"
#: The hidden last column of the main sheet: each row's :func:`nlp.fingerprints.row_check`, which the
#: import compares with the row's cells as it finds them.
REVIEW_CHECK = "行校验码"
REVIEW_CHOICES: tuple[str, ...] = ("采纳", "驳回")
#: A column reviewers add to the main sheet, as their forms have one: who decided the row.
REVIEW_REVIEWER = "审核人"
#: How an input's own column named as a review column is headed on the main sheet (a finance
#: bureau's 审核意见 of an earlier round): the reviewer's columns are the workbook's own, empty.
INPUT_REVIEW_SUFFIX = "（原表）"
_INPUT_REVIEW_NAMES = {name: name + INPUT_REVIEW_SUFFIX
                       for name in (REVIEW_DECISION, REVIEW_COMMENT, REVIEW_REVIEWER, REVIEW_CHECK)}


class XlsxReportWriter(ReportWriter):
    """Stream scored chunks into an ``.xlsx``: ``write_chunk(df)`` repeatedly, then ``close()``."""

    def _open(self) -> None:
        # xlsxwriter stages row data, and each XML part while it zips them, in temp files: keep them
        # beside the output, where the space for the result is, rather than in a possibly small
        # /tmp, and in a directory of their own, removed whole however the writing ends (a full
        # disk while zipping left parts behind that xlsxwriter only removes on success).
        self._staging = new_temp_dir(self.target.path, "parts")
        options = {**WORKBOOK_OPTIONS, "tmpdir": str(self._staging)}
        self._book = xlsxwriter.Workbook(str(self.target.tmp), options)
        self._book.set_properties({"comments": OUTPUT_WORKBOOK_MARK})  # so no reader takes it for input
        self._styles = _Styles.create(self._book, self.settings)
        self._main: _SheetSeries | None = None
        self._comments_left = self.settings.max_comments

    def write_chunk(self, chunk: pd.DataFrame) -> None:
        """Append the rows of one scored chunk to the main sheet (and count them). An input column
        named as a review column is headed ``…（原表）``: it was taken for the reviewer's own, so a
        table's 审核意见 was imported as the reviewer's comment on every flagged row, unwritten."""
        if not _INPUT_REVIEW_NAMES.keys().isdisjoint(chunk.columns):
            chunk = chunk.rename(columns=_INPUT_REVIEW_NAMES)
        rows = self.accumulator.add(chunk)
        columns = _main_columns(chunk.columns)
        if self._main is None:
            self._main = self._series(self.settings.sheets["main"], columns, list(columns))
        else:
            self._main.widen(columns)
        check = self._main.columns.index(REVIEW_CHECK)
        for row in rows:
            sheet, index = self._main.next_row()
            comments = self._comments_left > 0
            written = _write_scored(sheet, index, self._main.columns, row, self._styles, comments)
            sheet.write_string(index, check, row_check(row.values))
            self._comments_left -= written

    def _finish(self) -> None:
        """Triage, summary and legend sheets, then the zip container."""
        if self._main is None:  # an empty batch: its sheet still has the columns a scored one has
            columns = _main_columns(scored_columns(ALL_COLUMNS, findings=False))
            self._main = self._series(self.settings.sheets["main"], columns, columns)
        self._main.finish()
        self._write_triage()
        self._write_summary()
        self._write_copies()
        self._write_legend()
        self._write_reading()
        try:
            self._book.close()
        except FileCreateError as error:  # xlsxwriter's wrapper of the OSError (a full disk): say it as one
            cause = error.args[0] if error.args else None
            raise cause if isinstance(cause, OSError) else OSError(str(error)) from None
        shutil.rmtree(self._staging, ignore_errors=True)

    def abort(self) -> None:
        """Also remove what xlsxwriter staged (it only does so on a successful close)."""
        try:
            book = getattr(self, "_book", None)  # None when interrupted before the workbook existed
            for sheet in book.worksheets() if book is not None else ():
                if sheet.row_data_fh is not None:
                    with contextlib.suppress(OSError):  # flushing fails too when the disk is full
                        sheet.row_data_fh.close()  # an open file cannot be removed on Windows
            staging = getattr(self, "_staging", None)
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
        finally:
            super().abort()

    def _series(self, name: str, columns: list[str], headers: list[str]) -> "_SheetSeries":
        return _SheetSeries(self._book, name, columns, headers, self._styles, self.settings)

    def _write_triage(self) -> None:
        columns = list(TRIAGE_COLUMNS)
        series = self._series(self.settings.sheets["triage"], columns, self._labels(columns))
        for row in self.accumulator.top_rows(self.settings.triage_rows):
            sheet, index = series.next_row()
            _write_scored(sheet, index, columns, row, self._styles, comments=False)
        series.finish()

    def _write_summary(self) -> None:
        columns = list(SUMMARY_COLUMNS)
        series = self._series(self.settings.sheets["summary"], columns, self._labels(columns))
        projects = self.accumulator.projects_by_department()
        for department in self.accumulator.departments():
            self._write_group(series, department, ALL_PROJECTS, self._styles.bold)
            for project in projects.get(department.department, []):
                self._write_group(series, project, project.project, None)
        series.finish()

    def _write_group(
        self, series: "_SheetSeries", stats: GroupStats, project: str, style: Format | None
    ) -> None:
        sheet, index = series.next_row()
        top = "、".join(f"{code}×{n}" for code, n in stats.top_codes(self.settings.top_codes))
        values: list[Any] = [stats.department, project, stats.rows, stats.flagged]
        values += [stats.share, *(stats.families[family] for family in FAMILIES), top]
        values.append(self.accumulator.table_codes.get((stats.department, stats.project), "") if style is None else "")
        for column, (name, value) in enumerate(zip(SUMMARY_COLUMNS, values)):
            _put(sheet, index, column, value, self._styles.percent if name == "share_flagged" else style)

    def _write_copies(self) -> None:
        """One row per table of each group of tables copied from one another (nlp/copies.py)."""
        columns = list(COPIES_COLUMNS)
        series = self._series(self.settings.sheets["copies"], columns, self._labels(columns))
        for number, cluster in enumerate(self.accumulator.copy_clusters, start=1):
            for table in cluster:
                sheet, index = series.next_row()
                names = (project_name(table.project), department_name(table.department))
                for column, value in enumerate((number, *names, table.file)):
                    _put(sheet, index, column, value, None)
        series.finish()

    def _write_legend(self) -> None:
        columns = list(LEGEND_COLUMNS)
        series = self._series(self.settings.sheets["codes"], columns, self._labels(columns))
        for code, count in self.accumulator.code_rows():
            entry = catalogue().get(code, {})  # {} for a code this version does not know: code and count only
            if self.accumulator.severities.get(code):
                entry = {**entry, "severity": self.accumulator.severities[code]}
            sheet, index = series.next_row()
            for column, name in enumerate(columns):
                value = _legend_value(code, entry, name, count, self.settings)
                fill = self._styles.fills.get(entry.get("family", "")) if name == "family" else None
                _put(sheet, index, column, value, fill)
        series.finish()

    def _write_reading(self) -> None:
        """What reading the inputs noticed: files and rows not read, parts skipped, warnings."""
        columns = list(READING_COLUMNS)
        series = self._series(self.settings.sheets["inputs"], columns, self._labels(columns))
        for note in self.accumulator.reading_notes:
            sheet, index = series.next_row()
            values = (self.settings.note_kind(note.kind), note.file, note.location, note.message)
            for column, value in enumerate(values):
                _put(sheet, index, column, value, None)
        series.finish()

    def _labels(self, columns: Iterable[str]) -> list[str]:
        return [self.settings.label(column) for column in columns]


@dataclass(slots=True)
class _Styles:
    """The few formats the workbook uses (xlsxwriter formats belong to one workbook)."""

    header: Format
    bold: Format
    percent: Format
    risk: Format
    fills: dict[str, Format]
    comment: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, book: xlsxwriter.Workbook, settings: ReportSettings) -> "_Styles":
        colours = settings.colours
        comment = {
            "author": settings.comments["author"],
            "width": settings.comments["width"],
            "height": settings.comments["height"],
        }
        return cls(
            header=book.add_format({"bold": True, "bg_color": colours["header"], "border": 1}),
            bold=book.add_format({"bold": True}),
            percent=book.add_format({"num_format": "0.0%"}),
            risk=book.add_format({"num_format": "0.00"}),
            fills={f: book.add_format({"bg_color": colours[f]}) for f in FAMILIES if f in colours},
            comment=comment,
        )


class _SheetSeries:
    """One logical table laid over as many sheets as the per-sheet row limit requires."""

    def __init__(
        self,
        book: xlsxwriter.Workbook,
        name: str,
        columns: list[str],
        headers: list[str],
        styles: _Styles,
        settings: ReportSettings,
    ) -> None:
        self.columns = columns
        self._book, self._name, self._headers = book, name, headers
        self._styles, self._settings = styles, settings
        self._sheets: list[tuple[Worksheet, int]] = []
        self._layouts: list[list[str]] = []  # each sheet's columns (a wider series starts a new sheet)
        self._add_sheet()

    def next_row(self) -> tuple[Worksheet, int]:
        """The sheet and 0-based row index for the next data row (opening a new sheet if full)."""
        sheet, used = self._sheets[-1]
        if used >= self._settings.rows_per_sheet:
            self._add_sheet()
            sheet, used = self._sheets[-1]
        self._sheets[-1] = (sheet, used + 1)
        return sheet, used + 1

    def widen(self, columns: list[str]) -> None:
        """Add the ``columns`` not yet laid out (a later input file's own columns), on a new sheet.

        The rows are streamed (constant memory), so a header already written cannot grow: the
        series continues on a sheet whose header has every column, as when a sheet is full. When
        every column would pass Excel's :data:`EXCEL_COLUMNS`, the new sheet has ``columns`` only
        (xlsxwriter dropped the cells beyond the limit without a word).
        """
        known = set(self.columns)
        new = [name for name in columns if name not in known]
        if new:
            if len(self.columns) + len(new) <= EXCEL_COLUMNS:
                self.columns, self._headers = [*self.columns, *new], [*self._headers, *new]
            else:
                self.columns, self._headers = list(columns), list(columns)
            self._add_sheet()

    def finish(self) -> None:
        """Auto-filter over each sheet's used range; the review drop-down on its decision cells."""
        for (sheet, used), columns in zip(self._sheets, self._layouts):
            if columns:
                sheet.autofilter(0, 0, used, len(columns) - 1)
            if REVIEW_DECISION in columns and used:
                column = columns.index(REVIEW_DECISION)
                sheet.data_validation(1, column, used, column, {
                    "validate": "list", "source": list(REVIEW_CHOICES),
                    "error_title": REVIEW_DECISION, "error_message": "请选择 " + " 或 ".join(REVIEW_CHOICES)})

    def _add_sheet(self) -> None:
        number = len(self._sheets) + 1
        sheet = self._book.add_worksheet(self._name if number == 1 else f"{self._name} {number}")
        for column, name in enumerate(self.columns):
            sheet.set_column(column, column, self._settings.width(name), None, {"hidden": name == REVIEW_CHECK})
            sheet.write_string(0, column, _fitted(self._headers[column]), self._styles.header)
        sheet.freeze_panes(1, 0)
        _print_setup(sheet)
        self._sheets.append((sheet, 0))
        self._layouts.append(self.columns)


def _main_columns(scored: Iterable[str]) -> list[str]:
    """The main sheet's columns for scored columns ``scored``: the findings are in notes, the
    reviewer's columns come last."""
    columns = [c for c in scored if c not in (FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN)]
    return columns + [c for c in (REVIEW_DECISION, REVIEW_COMMENT, REVIEW_CHECK) if c not in columns]


def _print_setup(sheet: Worksheet) -> None:
    """Landscape A4, one page wide, header repeated: a printout (or PDF) stays readable and short."""
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)


def _write_scored(
    sheet: Worksheet, index: int, columns: list[str], row: ScoredRow, styles: _Styles,
    comments: bool,
) -> int:
    """One scored row; cells named by findings get their family's fill and (optionally) a note.

    Returns the number of comments written (the workbook caps them, see ``max_comments``).
    """
    notes = _cell_notes(row, columns)
    for column, name in enumerate(columns):
        value = row.values.get(name)
        note = notes.get(column)
        fmt = styles.fills.get(note.family) if note else None
        if name in FLAG_COLUMNS and name[len("flag_"):] in row.families:
            fmt = styles.fills.get(name[len("flag_"):])
        elif name == "risk":
            fmt = styles.risk
        _put(sheet, index, column, value, fmt)
        if comments and note:
            sheet.write_comment(index, column, note.text(), styles.comment)
    return len(notes) if comments else 0


@dataclass(slots=True)
class _Note:
    """What one cell is flagged for: the family of its first finding and every finding's text."""

    family: str
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.lines)


def _cell_notes(row: ScoredRow, columns: list[str]) -> dict[int, _Note]:
    """Column index -> note, for each cell some finding points at (unknown fields -> ``codes``)."""
    notes: dict[int, _Note] = {}
    fallback = columns.index("codes") if "codes" in columns else None
    for finding in row.findings:
        field_name = finding.get("field", "")
        column = columns.index(field_name) if field_name in columns else fallback
        if column is None:
            continue
        note = notes.setdefault(column, _Note(finding.get("family", "")))
        if note.family not in FAMILIES and finding.get("family") in FAMILIES:
            note.family = finding["family"]
        note.lines.append(_finding_text(finding))
    return notes


def _finding_text(finding: dict[str, str]) -> str:
    head = f"{finding.get('code', '')} {finding.get('title', '')}：{finding.get('message', '')}"
    suggestion = finding.get("suggestion", "")
    return f"{head}\n建议：{suggestion}" if suggestion else head


def _legend_value(code: str, entry: dict[str, Any], name: str, count: int, settings: ReportSettings) -> Any:
    if name == "code":
        return code
    if name == "count":
        return count
    if name == "family":
        return settings.family_label(entry.get("family", ""))
    if name == "severity":
        return settings.severity_label(entry.get("severity", ""))
    if name == "field":  # the column as the main sheet heads it (三级指标), not its interchange name
        return settings.label(entry["field"]) if entry.get("field") else ""
    return entry.get(name, "")


def _put(sheet: Worksheet, row: int, column: int, value: Any, fmt: Format | None) -> None:
    """Write one value with the right cell type; missing values stay blank (but keep the fill)."""
    if value is None or value is pd.NA or value == "" or (isinstance(value, float) and value != value):
        if fmt is not None:
            sheet.write_blank(row, column, None, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value, fmt)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, column, value, fmt)
    elif hasattr(value, "item") and not isinstance(value, str):
        _put(sheet, row, column, value.item(), fmt)
    else:
        sheet.write_string(row, column, _fitted(str(value)), fmt)


def _fitted(text: str) -> str:
    """``text``, or its head with :data:`CUT_MARK` when over Excel's cell limit: xlsxwriter would cut
    it at 32,767 characters without a word (the CSV/JSONL outputs keep every cell whole)."""
    if len(text) <= EXCEL_CELL_CHARS:
        return text
    return text[: EXCEL_CELL_CHARS - len(CUT_MARK)] + CUT_MARK
