"""Indicator tables from CSV/TSV text, as interchange frames; the header search, framing and cell
text every tabular reader shares (workbooks: :mod:`nlp.readers.spreadsheet`).

Real tables arrive as exports of 预算绩效目标表: Chinese headers in many spellings (kept in
``data/headers.toml``), a title row or two above the header, GBK text, merged cells that come out
blank below their first row. This module finds the header, maps it onto the interchange columns
of :mod:`nlp.records` and yields frames of strings, so a cell like ``"00123"`` or ``"≥95%"``
reaches the scorer exactly as written.

Frames are produced lazily (``chunk_size`` rows at a time when asked) so a large CSV is read in
constant memory; the per-file facts that can only be known at the end (tables and their row counts,
warnings) accumulate in the :class:`FileRead` lists while the frames are consumed.
"""
from __future__ import annotations

import csv
import io
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence, Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import compress
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

import pandas as pd

from nlp.limits import ANALYSED_CELL_CHARS, MAX_COLUMNS
from nlp.readers.base import (
    BASELINE_REASON,
    OUTPUT_REASON,
    RUBRIC_REASON,
    InputError,
    Skipped,
    TableInfo,
    number_text,
)
from nlp.readers.context_rows import CONTEXT, StatedContext, non_indicator_rows
from nlp.readers.doc_lexicon import budget_amount, is_rubric_header, label_unit
from nlp.readers.encoding import NOT_UTF8, text_encoding, undecodable
from nlp.readers.number_formats import shown_number
from nlp.records import ALL_COLUMNS, SOURCE_COLUMNS
from nlp.schema import FAMILIES

#: Keys every line of a ``--write-baseline`` file has (it also has ``level3``, so it would read as rows).
BASELINE_MARKERS = frozenset({"fingerprint", "code"})
#: Columns that only a scored output has, by every version of ``iqc score`` (see :func:`skip_reason`).
OUTPUT_MARKERS = frozenset({*(f"flag_{family}" for family in FAMILIES), "risk", "codes"})

#: A frame being built: column name -> its cells, top to bottom (:data:`nlp.context.Columns`, which
#: the readers do not import: it loads the analysis pipeline).
Columns = dict[str, list[str]]
#: How many rows from the top of a file or sheet are searched for the header row.
HEADER_SCAN_ROWS = 20
#: A header must name at least one of these, or the table holds no indicators.
INDICATOR_FIELDS = frozenset({"level3", "target_value"})
#: Fields a row names to be taken as the header at once (see :func:`pick_header`).
FULL_HEADER_FIELDS = 3
#: Blank cells of these columns take the value above them within a table (merged cells).
CARRIED_COLUMNS = ("department", "project_name", "project_goal", "budget_wan", "level1", "level2")

_NOTE = re.compile(r"[(\[【]([^)\]】]*)[)\]】]")
#: Whitespace, and the byte-order mark that starts the second of two CSV exports joined into one file
#: (``cat a.csv b.csv``): its header's first cell read "\ufeff项目名称", a column of its own.
_SPACE = re.compile("[\\s\ufeff]+")
#: Marks a form puts before or after a header it requires (``*项目名称``, ``指标值★``); NFKC makes ``＊`` a ``*``.
_REQUIRED_MARKS = "*★※"
_DELIMITERS = ("\t", ",", ";")
#: Characters of a text file's head that decide its line ends (see :func:`_line_end`).
_TEXT_HEAD = 64 * 1024

# A cell may be as long as the file (a pasted document); its length is reported, never fatal.
csv.field_size_limit(sys.maxsize)


@dataclass
class FileRead:
    """One opened input file: lazy ``frames`` plus what is known about it.

    ``tables``, ``warnings`` and ``errors`` are complete once ``frames`` is exhausted; ``skipped``
    is known up front. ``errors`` are rows that could not be read (each names its line; the other
    rows were read); ``warnings`` are rows read with a remark. Iterating ``frames`` may raise
    :class:`InputError` when the rest of the file cannot be read (a workbook whose zip is cut short).
    """

    path: Path
    frames: Iterator[pd.DataFrame]
    tables: list[TableInfo] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[InputError] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


# --- headers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderMap:
    """A recognised header row: the output name of each source column, left to right.

    Interchange fields get their English name; other columns keep their header text (blank
    headers become ``column<N>``, duplicates get ``.1``, ``.2``). Columns right of the last
    non-blank header cell are dropped: they are formatting residue of exported sheets.
    """

    names: tuple[str, ...]
    budget_factor: float = 1.0
    #: (field, column read as it, another column whose header names it too), 0-based columns
    doubled: tuple[tuple[str, int, int], ...] = ()
    #: (field, column) of the columns headed as a location field that are the table's own (:func:`_own_location`)
    own_location: tuple[tuple[str, int], ...] = ()

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(self.names) & frozenset(ALL_COLUMNS)

    @property
    def extras(self) -> tuple[str, ...]:
        return tuple(name for name in self.names if name not in ALL_COLUMNS)

    def names_column(self, column: int) -> bool:
        """Does the header row name ``column`` (a blank header cell, or none, names nothing)?"""
        return column < len(self.names) and not _generic(self.names[column])

    @property
    def named_columns(self) -> int:
        """How many columns the header row names."""
        return sum(map(self.names_column, range(len(self.names))))


def normalise_header(text: str) -> str:
    """The form header cells are compared in (see ``data/headers.toml``), without a required
    field's mark: ``*指标值`` read as a column of its own, the targets beside it as none."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE.sub("", _NOTE.sub("", folded)).strip(_REQUIRED_MARKS)


@lru_cache(maxsize=1)
def _header_config() -> dict[str, tuple[str, int]]:
    """Normalised synonym -> (field, rank)."""
    from nlp.resources import load_toml

    config = load_toml("headers.toml")
    synonyms: dict[str, tuple[str, int]] = {}
    for name, spellings in config["fields"].items():
        for rank, spelling in enumerate([name, *spellings]):
            synonyms.setdefault(normalise_header(spelling), (name, rank))
    return synonyms


def header_field(text: str) -> str | None:
    """The field a header cell ``text`` names (三级指标, Level3 -> ``level3``), or ``None``."""
    hit = _header_config().get(normalise_header(text))
    return hit[0] if hit else None


def match_header(cells: Sequence[str]) -> HeaderMap | None:
    """Read ``cells`` as a header row; ``None`` unless it names an indicator column."""
    synonyms = _header_config()
    best: dict[str, tuple[int, int]] = {}
    for column, cell in enumerate(cells):
        hit = synonyms.get(normalise_header(cell))
        if hit and (hit[0] not in best or hit[1] < best[hit[0]][0]):
            best[hit[0]] = (hit[1], column)
    if not best.keys() & INDICATOR_FIELDS:
        return None
    own = _own_location(best)
    best = {name: hit for name, hit in best.items() if name not in own}
    mapped = {column: name for name, (_, column) in best.items()}
    width = max(column for column, cell in enumerate(cells) if cell.strip()) + 1
    taken = set(ALL_COLUMNS)
    names = [mapped.get(column) or _unique(cells[column], column, taken) for column in range(width)]
    budget = best.get("budget_wan")
    factor = budget_factor(cells[budget[1]]) if budget else 1.0
    doubled = tuple((hit[0], best[hit[0]][1], column) for column, cell in enumerate(cells)
                    if (hit := synonyms.get(normalise_header(cell))) and hit[0] in best and column not in mapped)
    headed = tuple((hit[0], column) for column, cell in enumerate(cells[:width])
                   if (hit := synonyms.get(normalise_header(cell))) and hit[0] in own)
    return HeaderMap(tuple(names), factor, doubled, headed)


def _own_location(best: dict[str, tuple[int, int]]) -> frozenset[str]:
    """The location field a header names without the other: ``iqc parse`` writes ``source_file``
    and ``source_line`` together, and a parsed output read again keeps its rows' locations; one of
    them alone is a column of the table's own (a page of the budget book), not a location. Read as
    one, it replaced the rows' location without a word where it was filled, and not elsewhere."""
    named = best.keys() & set(SOURCE_COLUMNS)
    return frozenset(named) if len(named) == 1 else frozenset()


def shown_first(header: HeaderMap, hidden_columns: set[int]) -> HeaderMap:
    """``header`` with a field headed twice read from the column the sheet shows, when the one
    read first is hidden: a department hides the column it replaced, and the reviewer sees the other."""
    swaps: dict[int, int] = {}  # hidden column read -> the first shown one headed alike
    for _, kept, other in header.doubled:
        if kept in hidden_columns and other not in hidden_columns:
            swaps.setdefault(kept, other)
    if not swaps:
        return header
    names = list(header.names)
    for kept, other in swaps.items():
        names[kept], names[other] = names[other], names[kept]
    doubled = tuple((field, swaps[kept], kept if other == swaps[kept] else other) if kept in swaps else (field, kept, other)
                    for field, kept, other in header.doubled)
    return replace(header, names=tuple(names), doubled=doubled)


def doubled_columns_warning(path: Path, header: HeaderMap, location: str,
                            hidden_columns: AbstractSet[int] = frozenset()) -> InputError | None:
    """Said when two columns' headers name one field (指标值 twice, an old one hidden or not): one
    is read as the field (the shown one, else the first or better-named) and the other is kept as
    an extra column, which a reviewer must know to check which one holds the target."""
    if not header.doubled:
        return None
    pairs = "; ".join(f"{field}: column {column_letters(kept)} read, column {column_letters(other)}"
                      f"{' (hidden)' if other in hidden_columns else ''} kept as “{header.names[other]}”"
                      for field, kept, other in header.doubled)
    return InputError(str(path), f"columns are headed as the same field ({pairs}): check that the one read "
                                 "holds what the table means (a superseded column, hidden or not?)", location)


def own_location_warning(path: Path, header: HeaderMap, location: str) -> InputError | None:
    """Said when a column headed like a location column is kept as the table's own
    (:func:`_own_location`): its name in the outputs is not the one in the table."""
    if not header.own_location:
        return None
    field = header.own_location[0][0]
    kept = ", ".join(f"“{header.names[column]}”" for _, column in header.own_location)
    return InputError(str(path), f"{field} alone is no location (iqc parse writes source_file and source_line "
                                 f"together): the table's column is kept as {kept}, and source_file/source_line "
                                 "say where each row is in this file", location)


def column_letters(column: int) -> str:
    """0 -> A, 27 -> AB: a column as a spreadsheet names it."""
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _unique(header: str, column: int, taken: set[str]) -> str:
    name = header if header.strip() else f"column{column + 1}"
    candidate, suffix = name, 0
    while candidate in taken:
        suffix += 1
        candidate = f"{name}.{suffix}"
    taken.add(candidate)
    return candidate


def budget_factor(header: str) -> float:
    """Factor to 万元 of the unit a budget header names in brackets (``项目金额（元）``); 1 for a
    header naming none. Read as a budget label above a table is (:func:`label_unit`)."""
    return label_unit(header) or 1.0


def pick_header(candidates: Iterable[tuple[Any, Sequence[str]]]) -> tuple[Any, HeaderMap] | None:
    """The earliest candidate row naming at least :data:`FULL_HEADER_FIELDS` interchange fields;
    failing that, the row naming the most (the earliest on a tie).

    Not simply "the most": with two tables pasted one under another, a second header naming more
    columns won, and the first table's rows above it were dropped without a word (the
    :class:`Framer` follows a later header). Not simply "the first match" either: a title row or a
    form's label row (项目名称 | X | 年度目标 | Y) may name a field or two. A header row right below
    another is read with it (:func:`_merged`): the upper row of a two-row header may name too few
    fields to be taken alone, and the lower one alone would lose its columns (指标值 merged down).
    ``candidates`` are consecutive rows of one reading.
    """
    best: tuple[Any, HeaderMap] | None = None
    above: HeaderMap | None = None  # the header the candidate just before was, if any
    for key, cells in candidates:
        header = match_header(cells)
        if header and above:
            header = _merged(above, header)  # a two-row header: 绩效指标 | 指标值 above 一级/二级/三级
        above = header
        if header and len(header.fields) >= FULL_HEADER_FIELDS:
            return key, header
        if header and (best is None or len(header.fields) > len(best[1].fields)):
            best = (key, header)
    return best


def skip_reason(names: Sequence[str]) -> str | None:
    """Why a table with this header is not read as targets, or ``None`` when it is.

    Scoring columns (评分标准, 得分 …) mark an evaluation rubric; the scored columns of
    ``iqc score`` mark one of our own outputs, and fingerprint + code a baseline it wrote (left in
    an input folder, neither must be re-read as indicators).
    """
    if any(is_rubric_header(name) for name in names):
        return RUBRIC_REASON
    if OUTPUT_MARKERS <= set(names):
        return OUTPUT_REASON
    if BASELINE_MARKERS <= set(names):
        return BASELINE_REASON
    return None


def too_wide(path: Path, header: HeaderMap, location: str = "") -> InputError | None:
    """An error when ``header`` has more than :data:`MAX_COLUMNS` columns, else ``None``."""
    if len(header.names) <= MAX_COLUMNS:
        return None
    return InputError(str(path), f"header has {len(header.names)} columns, over the limit of {MAX_COLUMNS} "
                                 "(max_columns in data/input.toml): not read", location)


def no_indicator_columns(path: Path) -> InputError:
    return InputError(
        str(path),
        "no indicator columns: expected level3/三级指标 or target_value/指标值 in a header row "
        f"within the first {HEADER_SCAN_ROWS} rows",
    )


# --- cell text ------------------------------------------------------------------------------


def cell_text(value: object, number_format: str | None = None) -> str:
    """An Excel cell value as the string a person sees in the sheet.

    Numbers follow :func:`number_text`, except that a ``number_format`` (given for the cells whose
    format shows a number otherwise) is imitated (0.95 in ``0%`` -> ``"95%"``, 95 in ``0"%"`` ->
    ``"95%"``: :func:`~nlp.readers.number_formats.shown_number`); dates become ISO
    ``2023-06-30`` (with the time only when it is not midnight); booleans ``TRUE``/``FALSE``.
    Digit grouping, fractions and exponents are not imitated.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):  # a duration ([h]:mm): hours as Excel counts them, not "45107 days, 0:00:00"
        total = round(value.total_seconds())
        hours, rest = divmod(abs(total), 3600)
        return f"{'-' if total < 0 else ''}{hours}:{rest // 60:02d}:{rest % 60:02d}"
    if isinstance(value, (int, float)):
        return shown_number(float(value), number_format) if number_format else number_text(float(value))
    return str(value)


# --- turning raw rows into interchange frames -----------------------------------------------


class TableLog:
    """Counts rows per table across frames (and sheets) and keeps ``tables`` up to date."""

    def __init__(self, path: Path, tables: list[TableInfo]) -> None:
        self.path = path
        self.tables = tables
        self._position: dict[str, int] = {}

    def count(self, columns: Columns) -> None:
        """Add the rows of ``columns``; touches only the tables in them (a batch file has ~10^5 tables)."""
        table_ids = columns["table_id"]
        sizes, firsts = Counter(table_ids), {}
        for row, table_id in enumerate(table_ids):
            firsts.setdefault(table_id, row)
        titles, locations = columns["project_name"], columns["source_line"]
        for table_id, first in firsts.items():
            title, location = titles[first], locations[first]
            position = self._position.get(table_id)
            if position is None:
                self._position[table_id] = len(self.tables)
                self.tables.append(TableInfo(str(self.path), table_id, title or table_id, sizes[table_id], location))
            else:
                known = self.tables[position]
                self.tables[position] = replace(known, rows=known.rows + sizes[table_id])


class Framer:
    """Builds interchange frames from the raw string rows of one table region (a CSV, a sheet).

    It holds the state that spans chunks: the values above for carry-down, the current table and
    the current header, so chunked and whole reads give identical rows.

    A header row inside the region is not data. Header rows with no data between them are one
    header (a two-row header: 绩效指标 above 一级/二级/三级), the lower row's fields over the
    upper's. Tables pasted one under another (concatenated exports, stacked sheets, a PDF table
    repeating its header on every page) repeat the header: the repeat is left out. A header with
    other columns starts a new layout: the rows below it are read by its columns, not shifted
    under the old ones; a scoring rubric's header (评分标准, 得分) stops the reading until the next
    indicator header. Each is said once, with its line.

    ``context`` (:mod:`nlp.readers.context_rows`) is the project context the rows above the header
    state; it fills the fields the header has no column for. A block of context rows among the
    rows (a stacked table's title, 项目名称 …) is not data: it starts a new table with its own
    context; a sign-off line (填报人：…) is not read. ``None`` (JSON lines) reads every row as data.
    """

    def __init__(self, path: Path, header: HeaderMap, base: str, log: TableLog,
                 warnings: list[InputError], context: StatedContext | None = None) -> None:
        self.path, self.header, self.base = path, header, base
        self.log, self.warnings = log, warnings
        self.context = context
        self._said: set[str] = set()  # what was said once already: "repeat", "stacked", "signoff"
        self._stem = path.stem
        self._table = ""
        self._above: dict[str, str] = {}
        self._rubric = ""  # the reason rows are not read, under a rubric header
        self._data_since_header = False
        self._pending: list[tuple[HeaderMap, str]] = []  # header rows met since the last data row

    def frame(self, rows: Sequence[list[str]], lines: Sequence[str]) -> pd.DataFrame:
        """``rows``: the source rows' cells, as many to a row; ``lines``: their locations.

        Rows and columns are plain lists until the frame is made, once: pandas' calls on the few
        rows of a one-table file cost ~3 ms a file, more than reading it. Rows are cut to the
        shortest one's width, as a frame made of them would be.
        """
        width = min(map(len, rows), default=0)
        if any(len(row) != width for row in rows):
            rows = [row[:width] for row in rows]
        parts: list[Columns] = []
        others = non_indicator_rows(rows, self._lead()) if self.context else []
        for start, end, header_row in self._runs(rows):
            if self._pending and any(map(any, rows[start:end])):
                self._settle()
            for position, kind in [(p, kind) for p, kind in others if start <= p < end]:
                parts.append(self._data(rows[start:position], lines[start:position]))
                if kind == CONTEXT:
                    self._take_context(list(rows[position]), lines[position])
                else:
                    self._say_once("signoff", "a form's sign-off line (填报人, 联系电话 …): it and any later ones "
                                              "are not read as indicator rows", lines[position])
                start = position + 1
            parts.append(self._data(rows[start:end], lines[start:end]))
            if header_row is not None:
                self._pending.append((header_row, lines[end]))
        return pd.DataFrame(_joined(parts))

    def _runs(self, rows: Sequence[list[str]]) -> Iterator[tuple[int, int, HeaderMap | None]]:
        """(start, end, header at ``end``) of the rows between header rows, in order; the last run
        has no header. The cheap cell test runs on the probe columns of the header in force (and
        again after a header that moves them)."""
        start, probes = 0, None
        candidates: list[int] = []
        while True:
            current = self._probes()
            if current != probes:
                probes, candidates = current, [start + i for i in _header_like_rows(rows[start:], current)]
            found = next(((i, header) for i in candidates
                          if i >= start and (header := _header_row(rows[i])) is not None), None)
            if found is None:
                yield start, len(rows), None
                return
            yield start, *found
            start = found[0] + 1

    def _data(self, rows: Sequence[list[str]], lines: Sequence[str]) -> Columns:
        part = self._framed(rows, lines)
        read = len(part["source_line"]) > 0
        self._data_since_header |= read
        if read and self.context:
            self.context.rows_read()
        return part

    def _lead(self) -> int:
        """The table's first column: the left-most with a header cell (a sheet may start at B)."""
        return next((i for i, name in enumerate(self.header.names) if not _generic(name)), 0)

    def _take_context(self, cells: list[str], line: str) -> None:
        """A context row: it continues the context block before it, or starts a new table."""
        assert self.context is not None
        if not self.context.add(cells, line):
            return
        self._table, self._above = "", {}  # nothing is carried down from the table before
        self._say_once("stacked", "a new table's title or project rows start here (tables stacked one under "
                                  "another): they are read as its context, not as indicator rows", line)

    def _say_once(self, what: str, message: str, line: str) -> None:
        if what not in self._said:
            self._said.add(what)
            self.warnings.append(InputError(str(self.path), message, line))

    def _probes(self) -> tuple[int, ...]:
        """The columns of the indicator name and the value: a header row names at least one of them
        (the upper row of a two-row header may leave the name's blank). ~0.4 µs a row each."""
        return tuple(self.header.names.index(name) for name in ("level3", "target_value") if name in self.header.names)

    def _settle(self) -> None:
        """The header rows met before this data row, as one header: a continuation of the header
        in force when no data came since it, else a repeat, a new layout or a rubric."""
        (first, line), *lower = self._pending
        self._pending = []
        continued = not self._data_since_header and not self._rubric  # right below the header in force
        header = _merged(self.header, first) if continued else first
        for row, _ in lower:
            header = _merged(header, row)
        self._data_since_header = False
        if continued and not skip_reason(header.names):
            self.header = header
        else:
            self._adopt(header, line)

    def _adopt(self, header: HeaderMap, line: str) -> None:
        """A header met inside the region: a repeat, a new layout or a rubric (see the class)."""
        reason = skip_reason(header.names) or ""
        same = _same_layout(header, self.header)
        if same and not reason and not self._rubric:
            self._say_once("repeat", "the header row appears again (repeated on each page, or tables pasted one "
                                     "under another); it and every later repeat are not read as rows", line)
            return
        if reason:
            message = f"{reason}: the rows below this header are not read"
        elif same:
            message = "an indicator header again: the rows below it are read"
        else:
            message = "a header with other columns starts here; the rows below it are read by its columns"
            self.header = header
        self._rubric = reason
        self.warnings.append(InputError(str(self.path), message, line))
        if self.header is header and (own := own_location_warning(self.path, header, line)):
            self.warnings.append(own)

    def _framed(self, rows: Sequence[list[str]], lines: Sequence[str]) -> Columns:
        """The interchange columns of ``rows`` read by the header in force (blank rows left out)."""
        if self._rubric:
            rows, lines = [], []
        names = self.header.names
        kept = [_filled(row[:len(names)]) for row in rows]
        cells = list(zip(*compress(rows, kept)))  # column by column, as wide as the rows
        lines = list(compress(lines, kept))
        position = {name: column for column, name in enumerate(names) if column < len(cells)}
        columns: Columns = {}
        for name in (*ALL_COLUMNS, *self.header.extras):
            column = position.get(name)
            columns[name] = [""] * len(lines) if column is None else (
                _blanked(cells[column]) if name in ALL_COLUMNS else list(cells[column]))
        columns["budget_wan"] = self._budgets(columns["budget_wan"], lines)
        _fill_blank(columns, "source_file", [self.path.name] * len(lines))
        _fill_blank(columns, "source_line", lines)
        _fill_blank(columns, "row_id", [f"{self._stem}:{line}" for line in lines])
        for name, value in (self.context.fields.items() if self.context else ()):
            if name not in self.header.fields:
                _fill_blank(columns, name, [value] * len(lines))
        self._carry_down(columns)
        self.log.count(columns)
        self._warn_giant_cells(columns, lines)
        return columns

    def _budgets(self, cells: list[str], lines: Sequence[str]) -> list[str]:
        """The budget cells in 万元 (see :func:`budget_in_wan`); a cell that is no amount (约12万,
        待定) is kept as written and named once: its rows are scored without a budget."""
        factor = self.header.budget_factor
        if factor == 1.0 and all(map(_BUDGET_AS_IS.fullmatch, cells)):
            return cells  # the usual case: blank, or numbers in 万元 as written
        wan = [budget_in_wan(text, factor) for text in cells]
        for text, amount, line in zip(cells, wan, lines):
            if amount is None:
                self._say_once(f"budget {text}", f"budget cell “{text}” is not an amount: kept as written, its rows "
                                                 "are scored without a budget", line)
        return [text if amount is None else amount for text, amount in zip(cells, wan)]

    def _carry_down(self, columns: Columns) -> None:
        """Fill merged-cell blanks from the row above, never across tables.

        A table is its ``table_id``, else its ``doc_id``, else the project within this file
        or sheet; the derived id is written to ``table_id``. A new 一级 value ends the 二级
        above it, and a new 部门 the project above it (乙局's row with a blank 项目名称 took 甲局's
        project and joined its table). (One pass over plain lists: this runs on every row of
        every batch.)
        """
        carried = {name: columns[name] for name in CARRIED_COLUMNS}
        tables, docs = columns["table_id"], columns["doc_id"]
        projects, level1, departments = carried["project_name"], carried["level1"], carried["department"]
        for index, explicit in enumerate(tables):
            if departments[index] and departments[index] != self._above.get("department"):
                self._above.pop("project_name", None)
            table = explicit or docs[index] or self._implicit_table(projects[index])
            if table != self._table:
                self._table, self._above = table, {}
            above = self._above
            if level1[index] and level1[index] != above.get("level1"):
                above.pop("level2", None)
            for name, values in carried.items():
                if values[index]:
                    above[name] = values[index]
                else:
                    values[index] = above.get(name, "")
            tables[index] = table

    def _implicit_table(self, project: str) -> str:
        """``base:project``; a stacked table that names no project is told apart by where it starts."""
        project = project or self._above.get("project_name", "")
        if project:
            return f"{self.base}:{project}"
        return f"{self.base}@{self.context.line}" if self.context and self.context.line else self.base

    def _warn_giant_cells(self, columns: Columns, lines: Sequence[str]) -> None:
        """One warning per cell over :data:`ANALYSED_CELL_CHARS`, at this file's line (``source_line``
        may be the source's: an earlier parse output's rows name their own file's lines)."""
        for name, values in columns.items():
            if max(map(len, values), default=0) <= ANALYSED_CELL_CHARS:
                continue  # the usual case
            self.warnings.extend(
                InputError(str(self.path), f"cell {name} has {len(value)} characters (over {ANALYSED_CELL_CHARS}); kept",
                           line)
                for line, value in zip(lines, values) if len(value) > ANALYSED_CELL_CHARS
            )


@lru_cache(maxsize=1)
def _header_cell() -> re.Pattern:
    """A cell that may be a header cell: a known spelling (``data/headers.toml``), spaces anywhere
    in it, notes after it. Cheap enough for every data row's probe cells (~0.3 µs); whether the
    row is a header is then :func:`_header_row`'s call."""
    synonyms = _header_config()
    spellings = "|".join(r"\s*".join(map(re.escape, spelling)) for spelling in sorted(synonyms, key=len, reverse=True))
    marks = f"[{re.escape(_REQUIRED_MARKS)}＊\\s\ufeff]*"
    return re.compile(rf"{marks}(?:{spellings})\s*(?:[(\[【（][^)\]】）]*[)\]】）]\s*)*{marks}", re.IGNORECASE)


def _header_like_rows(rows: Sequence[list[str]], probes: tuple[int, ...]) -> list[int]:
    """Positions of the rows (all as wide) whose cell in a probe column may be a header cell."""
    width = len(rows[0]) if rows else 0
    found: set[int] = set()
    for column in probes:
        if column < width:
            found.update(compress(range(len(rows)), map(_header_cell().fullmatch, map(itemgetter(column), rows))))
    return sorted(found)


def _header_row(cells: Sequence[str]) -> HeaderMap | None:
    """``cells`` read as a header naming an indicator column and at least one other field, else
    ``None``: a data row whose name happens to be a header word (项目金额) names one field at most."""
    header = match_header(cells)
    return header if header is not None and len(header.fields) >= 2 else None


def _merged(upper: HeaderMap, lower: HeaderMap) -> HeaderMap:
    """Two header rows read as one: per column, the lower row's field, else the upper's (a field
    the lower row names elsewhere is not kept twice), else the lower row's text."""
    width = max(len(upper.names), len(lower.names))
    below = [lower.names[i] if i < len(lower.names) else "" for i in range(width)]
    above = [upper.names[i] if i < len(upper.names) else "" for i in range(width)]
    taken = {name for name in below if name in ALL_COLUMNS}
    names, unused = [], []
    for column, (low, high) in enumerate(zip(below, above)):
        if low in ALL_COLUMNS:
            names.append(low)
        elif high in ALL_COLUMNS and high not in taken:
            taken.add(high)
            names.append(high)
        else:
            if high in ALL_COLUMNS and _generic(low):  # the upper row names a field read elsewhere
                unused.append((high, column))
            names.append(_unique(high if _generic(low) else low, column, taken))
    factor = lower.budget_factor if "budget_wan" in lower.names else upper.budget_factor
    doubled = {*upper.doubled, *lower.doubled, *((field, names.index(field), column) for field, column in unused)}
    return HeaderMap(tuple(names), factor, tuple(sorted(doubled, key=itemgetter(2))),
                     tuple(sorted({*upper.own_location, *lower.own_location})))


def _generic(name: str) -> bool:
    """A header name for a blank header cell (``column<N>``, see :func:`_unique`), or none at all."""
    return not name or re.fullmatch(r"column\d+(\.\d+)?", name) is not None


def _same_layout(header: HeaderMap, current: HeaderMap) -> bool:
    """Every field ``header`` names sits where ``current`` has it, and the reverse where ``header``
    has the column (a repeat, whatever its notes, possibly cut short). One way only, a header with a
    column of its own (备注) where ``current`` has 项目名称 was a repeat, and its notes the projects."""
    return all(index < len(current.names) and current.names[index] == name
               for index, name in enumerate(header.names) if name in ALL_COLUMNS) and \
        all(index >= len(header.names) or header.names[index] == name
            for index, name in enumerate(current.names) if name in ALL_COLUMNS)


def _filled(cells: Sequence[str]) -> bool:
    """Does a row hold any text? A row of cells holding only spaces (full-width U+3000, tabs,
    no-break spaces) looks empty, and is left out like an empty one: it was read as an indicator
    with no name. (Runs on every row: the first cell with text usually settles it.)"""
    first = next(filter(None, cells), "")
    return bool(first) and (not first.isspace() or not "".join(cells).isspace())


def _blanked(cells: Sequence[str]) -> list[str]:
    """An interchange column's cells, those holding only whitespace made empty: a reviewer sees an
    empty cell, so it takes the value above as an empty one does (a 项目名称 of " " was a project of
    its own, its rows a table apart). Other columns keep their cells as written."""
    if not any(map(str.isspace, cells)):
        return list(cells)  # the usual case
    return ["" if cell.isspace() else cell for cell in cells]


def _fill_blank(columns: Columns, name: str, values: Sequence[str]) -> None:
    """``values`` where the column is blank."""
    columns[name] = [value if value != "" else new for value, new in zip(columns[name], values)]


def _joined(parts: list[Columns]) -> Columns:
    """The parts' rows one after another; a column a part lacks (a new layout may bring other extra
    columns) is blank in its rows, and columns keep the order they first appear in."""
    if len(parts) == 1:
        return parts[0]
    names = list(dict.fromkeys(name for part in parts for name in part))
    sizes = [len(part["source_line"]) for part in parts]
    return {name: [cell for part, size in zip(parts, sizes) for cell in part.get(name, [""] * size)]
            for name in names}


#: A budget cell kept as written under a header in 万元: blank, or a number.
_BUDGET_AS_IS = re.compile(r"\s*(?:-?\d[\d,]*(?:\.\d+)?)?\s*")


def budget_in_wan(text: str, factor: float) -> str | None:
    """``text``, a budget cell under a header in the unit ``factor`` converts to 万元, as 万元 text;
    ``""`` for a blank cell, ``None`` when it is no amount. A unit in the cell wins over the
    header's: ``12.5万`` under 预算金额(元) is 12.5 万元 (it was kept as text, and scored as no budget)."""
    if not text.strip():
        return ""
    amount = budget_amount(text)
    if amount is None:
        return None
    number, unit = amount
    return number_text(number * (factor if unit is None else unit))


# --- CSV / TSV ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextTable:
    """Where the table in a text file starts and how to split it."""

    encoding: str
    delimiter: str
    header: HeaderMap
    header_records: int  # records up to and including the header row
    header_line: int  # physical line the header row starts on
    above: tuple[tuple[str, ...], ...] = ()  # the records above the header (title, project rows)
    newline: str = ""  # ``open``'s newline: "" when \r alone ends lines too, "\n" when only \n does
    malformed: tuple[tuple[int, str], ...] = ()  # (line, why not read) of the records above the header
    errors: str = "strict"  # ``open``'s errors: "surrogateescape" for UTF-8 with lines that are not


def _csv_reader(handle: IO[str], delimiter: str) -> Iterator[list[str]]:
    """``csv.reader`` in strict mode: a stray quote is an error for that row, not a silent merge."""
    return csv.reader(handle, delimiter=delimiter, strict=True)


def locate_text_table(path: Path) -> TextTable | None:
    """Find the header row of a delimited text file (tab, comma or semicolon, whichever names more
    fields; a semicolon file, as Excel saves CSV in locales with a decimal comma, was refused as
    having no indicator columns).

    Raises :class:`InputError` for empty, binary or undecodable files; ``None`` when the text
    has no indicator header, which for a ``.txt`` may mean it is a document instead.
    """
    encoding, errors = text_encoding(path)
    with path.open(encoding=encoding, errors=errors, newline="") as handle:
        head = handle.read(_TEXT_HEAD)
        whole = not handle.read(1)  # a small file is searched in memory, not opened once a delimiter
    newline = _line_end(head)
    readings = []
    for delimiter in _DELIMITERS:
        malformed: list[tuple[int, str]] = []
        with io.StringIO(head, newline=newline) if whole else path.open(encoding=encoding, errors=errors,
                                                                        newline=newline) as handle:
            records = list(_head_records(_csv_reader(handle, delimiter), malformed))
        if found := pick_header(((record, line), cells) for record, line, cells in records):
            (record, line), header = found
            above = tuple(tuple(cells) for _, _, cells in records[: record - 1])
            malformed_above = tuple((bad, reason) for bad, reason in malformed if bad < line)
            readings.append(TextTable(encoding, delimiter, header, record, line, above, newline, malformed_above,
                                      errors))
    table = max(readings, default=None, key=lambda table: (len(table.header.fields), -table.header_records))
    if table is not None and (error := too_wide(path, table.header, str(table.header_line))):
        raise error
    return table


def _line_end(head: str) -> str:
    """``open``'s ``newline`` for a file starting with ``head``: ``"\\n"`` when its lines end in \\n
    or \\r\\n, so a \\r alone in a cell is not a line end (it split the row, and the cells after it
    were read one row down under the wrong headers); ``""`` for old Mac text, whose lines end in \\r."""
    lone_cr = head.count("\r") - head.count("\r\n")
    return "\n" if head.count("\n") > lone_cr else ""


def _head_records(reader: Any, malformed: list[tuple[int, str]]) -> Iterator[tuple[int, int, list[str]]]:
    """(records read, start line, cells) of the first records. A record csv cannot split (a title
    ``"十四五"规划…`` is a stray quote) has no cells and goes to ``malformed`` with the reason: the
    search used to stop there, and the file was refused as having no indicator header. So does a
    record with bytes that are not UTF-8 (see :func:`~nlp.readers.encoding.text_encoding`)."""
    line = 1
    for record in range(1, HEADER_SCAN_ROWS + 1):
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            cells = []
            malformed.append((line, _malformed(str(error))))
        if undecodable("".join(cells)):
            cells = []
            malformed.append((line, NOT_UTF8))
        yield record, line, cells
        line = reader.line_num + 1


def read_text_table(path: Path, table: TextTable, chunk_size: int | None = None) -> FileRead:
    """Read the table found by :func:`locate_text_table`; ``source_line`` is the line a row starts on.

    A malformed row (a stray quote, cells beyond the header holding text) is not read: it is
    named in ``errors`` with its line and the reason, and every other row is read. The same rows
    come out whatever ``chunk_size`` is.
    """
    read = FileRead(path, iter(()))
    reason = skip_reason(table.header.names)
    if reason:
        read.skipped.append(Skipped(str(path), f"line {table.header_line}", reason))
        return read
    if doubled := doubled_columns_warning(path, table.header, str(table.header_line)):
        read.warnings.append(doubled)
    if own := own_location_warning(path, table.header, str(table.header_line)):
        read.warnings.append(own)
    read.errors.extend(InputError(str(path), reason, str(line)) for line, reason in table.malformed)
    framer = Framer(path, table.header, path.stem, TableLog(path, read.tables), read.warnings,
                    StatedContext(table.above))
    rows = _text_rows(path, table, read.errors)
    if table.errors != "strict":
        rows = _decodable(rows, path, read.errors)
    read.frames = chunked_frames(framer, rows, chunk_size)
    return read


def _text_rows(path: Path, table: TextTable, errors: list[InputError]) -> Iterator[tuple[list[str], str]]:
    """(cells fitted to the header's width, line) of every readable data row."""
    width = len(table.header.names)
    with path.open(encoding=table.encoding, errors=table.errors, newline=table.newline) as handle:
        reader = _csv_reader(handle, table.delimiter)
        for _ in range(table.header_records):
            try:
                next(reader)
            except csv.Error:
                pass  # a record above the header, named in ``table.malformed``
        line = reader.line_num + 1
        while True:
            try:
                for cells in reader:  # the hot loop of every CSV: kept to the bare minimum
                    if len(cells) != width:
                        cells = fit_row(cells, width, path, str(line), errors)
                    if cells is not None:
                        yield cells, str(line)
                    line = reader.line_num + 1
                return
            except csv.Error as error:  # the reader goes on with the next line
                errors.append(InputError(str(path), _malformed(str(error)), str(line)))
                line = reader.line_num + 1


def _decodable(rows: Iterable[tuple[list[str], str]], path: Path,
               errors: list[InputError]) -> Iterator[tuple[list[str], str]]:
    """``rows`` but those with bytes that are not UTF-8, each an error (a file read with
    ``errors="surrogateescape"``; kept out of :func:`_text_rows`' loop, which every CSV runs)."""
    for cells, line in rows:
        if any(map(undecodable, cells)):
            errors.append(InputError(str(path), NOT_UTF8, line))
        else:
            yield cells, line


def _malformed(reason: str) -> str:
    """Why csv could not split a record, in words, on one line: csv names a TSV's delimiter as a
    literal tab (``'<tab>' expected after '"'``), which broke the tab-free, one-line error output."""
    if "unexpected end of data" in reason:
        return "a quote opened on this line is never closed; the rest of the file was not read"
    if "new-line character seen in unquoted field" in reason:
        return ("a carriage return (\\r) alone in a cell that is not in quotes (a line break in a cell, or "
                "an old Mac line end among \\n ones): row not read, its cells would shift")
    shown = reason.replace("\t", "\\t")
    return f"malformed row ({shown}); row not read"


def fit_row(cells: Sequence[str], width: int, path: Path, location: str,
            errors: list[InputError]) -> list[str] | None:
    """``cells`` padded or cut to ``width``; ``None`` (and an error) when the cut would lose text.

    Cells beyond the header are export residue when blank and a misaligned row otherwise: reading
    the row anyway would put its values under the wrong headers or drop them. A header row of a
    wider table stacked below is cut instead: the :class:`Framer` then reads the rows below by its
    columns, and their cells beyond the first header's width are refused here as usual.
    """
    if len(cells) <= width:
        return [*cells, *[""] * (width - len(cells))]
    if any(cell.strip() for cell in cells[width:]) and _header_row(list(cells)) is None:
        errors.append(InputError(str(path), f"text beyond the header's {width} columns: row not read "
                                            "(a stray delimiter or a shifted row?)", location))
        return None
    return list(cells[:width])


def chunked_frames(framer: Framer, rows: Iterable[tuple[list[str], str]], chunk_size: int | None) -> Iterator[pd.DataFrame]:
    """Frames of ``chunk_size`` rows (``None``: one frame), built column-wise from the rows.

    When ``rows`` breaks off (a workbook whose zip ends mid-sheet), the rows read before the break
    are yielded before the error goes on, so which rows survive never depends on ``chunk_size``.
    """
    batch: list[tuple[list[str], str]] = []
    try:
        for row in rows:
            batch.append(row)
            if chunk_size and len(batch) == chunk_size:
                yield _framed(framer, batch)
                batch = []
    except Exception:  # noqa: BLE001 - re-raised unchanged: only the rows before it are flushed
        if batch:
            yield _framed(framer, batch)
        raise
    if batch:
        yield _framed(framer, batch)


def _framed(framer: Framer, batch: list[tuple[list[str], str]]) -> pd.DataFrame:
    return framer.frame([row for row, _ in batch], [line for _, line in batch])
