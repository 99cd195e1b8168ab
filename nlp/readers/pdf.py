"""PDF budget disclosures (部门预算公开) with a text layer: their tables, joined across pages.

pdfplumber finds the ruled tables of each page; the text above a table (up to the table before
it, or for a page's first table, from under the last table of the page before: a project's title
and block are often set at the foot of the page its table begins after) is its project context.
A table that goes on over a page break arrives as two tables: the one at the top of the next page
is joined to the one before when it has the same number of columns and no project is introduced
above it; a header row repeated at the top of the page is dropped, and a row cut by the break
(its rest at the top of the next page: only 三级指标/指标解释 text) is joined again. A merged cell
comes out as ``None`` after its first cell; one whose box reaches down over the rows below is read
on each of them (:mod:`nlp.readers.merged_cells`), as in Excel, and 一级/二级 are also carried
down across the page break. Text wrapped inside a cell is joined without a space, except between
two Latin words.

A page without any characters is an image; a PDF made only of such pages is a scan, which
needs OCR first (not done here). Characters printed twice at almost the same place (bold imitated
by overprinting, common in exported forms) are read once (pdfplumber's ``dedupe_chars``): read
twice, 三级指标 became 三三级级指指标标, a header no longer recognised, and the table was lost.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nlp.readers.base import InputError
from nlp.readers.doc_rows import FRAGMENT_FIELDS
from nlp.readers.grid import Grid, continue_grid, continues, read_grids, repeated_heading, with_project_blocks
from nlp.readers.merged_cells import VerticalMerge, vertical_merges
from nlp.readers.sheet_layout import SheetLayout
from nlp.readers.tabular import HEADER_SCAN_ROWS, FileRead, match_header, pick_header

#: Points by which a cell's box may overshoot a row's top (a column's left edge) and still end
#: on that line (before that column).
_SAME_LINE = 1.0
#: Points within which a character printed again is the same character (overprinted bold is
#: offset by a fraction of a point; the next character of a line by its width, ≥ 5 points).
_OVERPRINT = 1.0
NO_TEXT_LAYER = ("no text layer (a scanned PDF?): run OCR on it first (e.g. `ocrmypdf in.pdf out.pdf`) "
                 "or ask for the original document")
PASSWORD = ("password-protected PDF: ask for a copy without a password, or remove it first "
            "(e.g. `qpdf --decrypt --password=… in.pdf out.pdf`)")
#: What is wrong with a page that cannot be read, said after "page N has".
SCANNED = "no text layer (scanned?): not read; run OCR on the file first (e.g. `ocrmypdf in.pdf out.pdf`)"
UNRULED = ("an indicator header in its text but no ruled table (a table drawn without borders?): not read, "
           "its cells cannot be told apart reliably; ask for the Word or Excel original")
TURNED = ("its text turned sideways or upside down (a table rotated on the page): not read, its columns "
          "would come out as rows; turn the page upright in the source document and export it again")


def read_pdf(path: Path, chunk_size: int | None) -> FileRead:
    """The indicator tables of a PDF; ``source_line`` is ``page<P>!table<T>!row<R>`` on the page.

    Pages that cannot be read -- only an image (a scanned page among typed ones), text turned on
    the page, a table without borders -- are named in a warning, and in the error when no table
    was found elsewhere.
    """
    import pdfplumber

    damage = _DamageLog()
    try:
        with damage, pdfplumber.open(path) as document:
            if not any(page.chars for page in document.pages):
                raise InputError(str(path), NO_TEXT_LAYER)
            problems = {page.page_number: problem for page in document.pages if (problem := _problem(page))}
            grids = with_project_blocks(_joined(list(_page_grids(path, document, problems))))
    except InputError:
        raise
    except Exception as error:  # noqa: BLE001 - pdfminer raises many types for damaged files
        raise InputError(str(path), _unreadable(error)) from error
    read = _read_beside(path, grids, chunk_size, problems) if problems else read_grids(path, grids, chunk_size)
    read.warnings.extend(damage.warnings(path))
    return read


class _DamageLog(logging.Handler):
    """What pdfminer logs of a damaged file while this thread reads it (a stream that does not
    decompress, a font it cannot read: it reads on). Those lines went to stderr by Python's last-resort
    handler, dozens a file, naming no file, between the batch's one-line messages; they are one
    warning naming the file instead (:meth:`warnings`), for some of its text may be missing."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self._thread = threading.get_ident()
        self._logger = logging.getLogger("pdfminer")

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self._thread:
            self.messages.append(record.getMessage())

    def __enter__(self) -> "_DamageLog":
        self._propagate, self._logger.propagate = self._logger.propagate, False
        self._logger.addHandler(self)
        return self

    def __exit__(self, *_: object) -> None:
        self._logger.removeHandler(self)
        self._logger.propagate = self._propagate

    def warnings(self, path: Path) -> list[InputError]:
        if not self.messages:
            return []
        return [InputError(str(path), f"damaged PDF: {len(self.messages)} problem(s) while reading it, the first: "
                                      f"{self.messages[0]}; some of its text may be missing: check its rows "
                                      "against the document")]


def _problem(page: Any) -> str | None:
    """Why a page cannot be read, or ``None``. Its text is turned when most of its characters are
    (a stamp or a vertical note on a page is a few): read so, a table's columns came out as rows."""
    chars = page.chars
    if not chars:
        return SCANNED if page.images else None
    turned = sum(1 for char in chars if not char["upright"] or char["matrix"][0] < 0)
    return TURNED if 2 * turned > len(chars) else None


def _read_beside(path: Path, grids: list[Grid], chunk_size: int | None, problems: dict[int, str]) -> FileRead:
    """The tables of the pages read, with the pages not read named (one line for each problem)."""
    by_problem: dict[str, list[int]] = {}
    for number, problem in problems.items():
        by_problem.setdefault(problem, []).append(number)
    notes = [InputError(str(path), f"{_pages(pages)} {problem}", f"page{pages[0]}")
             for problem, pages in by_problem.items()]
    try:
        read = read_grids(path, grids, chunk_size)
    except InputError as error:
        raise InputError(str(path), "; ".join([error.message, *(note.message for note in notes)])) from error
    read.warnings.extend(notes)
    return read


def _pages(numbers: list[int]) -> str:
    return f"page {numbers[0]} has" if len(numbers) == 1 else f"pages {', '.join(map(str, numbers))} have"


def _unreadable(error: Exception) -> str:
    """Why pdfplumber could not open the file (it wraps pdfminer's error in its own)."""
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    if any(isinstance(cause, PDFPasswordIncorrect) for cause in (error, *error.args)):
        return PASSWORD
    return f"not a readable PDF ({type(error).__name__}: {error})"


def _page_grids(path: Path, document: Any, unread: dict[int, str]) -> Iterator[tuple[int, Grid]]:
    """(page number, grid) for every table, in reading order, but on the pages ``unread``; a page
    with an indicator header in its text but no ruled table is added to them."""
    below = ""  # the text under the last table of the page before: a project block set at its foot
    for page in map(_deduplicated, (page for page in document.pages if page.page_number not in unread)):
        tables = sorted(page.find_tables(), key=lambda t: t.bbox[1])
        if not tables and any(match_header(line.split()) for line in (page.extract_text() or "").splitlines()):
            unread[page.page_number] = UNRULED
        top = 0.0
        for number, table in enumerate(tables, 1):
            above = _text_between(page, top, table.bbox[1])
            if number == 1 and below:
                above = f"{below}\n{above}"
            top = table.bbox[3]
            rows = [[_cell_text(cell) for cell in row] for row in table.extract()]
            where = f"page{page.page_number}!table{number}"
            yield page.page_number, Grid(
                where, f"{path.stem}#p{page.page_number}t{number}", rows,
                [f"{where}!row{index}" for index in range(1, len(rows) + 1)],
                [[line] for line in above.splitlines() if line.strip()],
                layout=SheetLayout(_merges(table.rows), spans=_spans(table.rows)),
            )
        below = _text_between(page, top, page.height) if tables else ""


def _deduplicated(page: Any) -> Any:
    """The page without characters that repeat one at the same place, in the same font and size.
    Most pages have none: they are looked for first (nearly free; deduplicating every page made
    reading PDFs 1.18× slower)."""
    if not _overprinted(page.chars):
        return page
    return page.dedupe_chars(tolerance=_OVERPRINT, extra_attrs=("fontname", "size"))


def _overprinted(chars: list[dict]) -> bool:
    """Is some character drawn again within :data:`_OVERPRINT` of where it already is on its line?"""
    seen: dict[tuple[str, int], list[float]] = {}
    for char in chars:
        places = seen.setdefault((char["text"], round(char["top"])), [])
        if any(abs(char["x0"] - x0) <= _OVERPRINT for x0 in places):
            return True
        places.append(char["x0"])
    return False


def _merges(rows: list[Any]) -> list[VerticalMerge]:
    """The cells merged down: a cell whose box reaches below its row's top covers the ``None``
    cells under it (pdfplumber gives each row its cells' boxes, ``None`` where a merge covers it)."""
    boxes = []
    for first, row in enumerate(rows):
        for column, box in enumerate(row.cells):
            last = first
            while box is not None and last + 1 < len(rows) and _covered(rows[last + 1], column, box[3]):
                last += 1
            boxes.append((first, column, last, column))
    return vertical_merges(boxes)


def _spans(rows: list[Any]) -> list[tuple[int, int, int]]:
    """(row, first, last column) of the cells merged across: a cell whose box reaches over the
    left edge of the ``None`` cells after it (a column's left edge: its cells' left-most)."""
    lefts: dict[int, float] = {}
    for row in rows:
        for column, box in enumerate(row.cells):
            if box is not None:
                lefts[column] = min(box[0], lefts.get(column, box[0]))
    spans = []
    for number, row in enumerate(rows):
        for column, box in enumerate(row.cells):
            last = column
            while (box is not None and last + 1 < len(row.cells) and row.cells[last + 1] is None
                   and box[2] > lefts.get(last + 1, box[2]) + _SAME_LINE):
                last += 1
            if last > column:
                spans.append((number, column, last))
    return spans


def _covered(row: Any, column: int, bottom: float) -> bool:
    cells = row.cells
    if column >= len(cells) or cells[column] is not None:
        return False
    tops = [box[1] for box in cells if box is not None]
    return not tops or min(tops) < bottom - _SAME_LINE


def _text_between(page: Any, top: float, bottom: float) -> str:
    """The page's text between two heights (none when a table starts where the last one ended)."""
    if bottom <= top:
        return ""
    return page.crop((0, top, page.width, bottom), strict=False).extract_text() or ""


def _joined(grids: list[tuple[int, Grid]]) -> list[Grid]:
    """Tables continued on the next page appended to the table they continue."""
    joined: list[tuple[int, Grid]] = []
    for page, grid in grids:
        if joined and _continues(joined[-1], page, grid):
            _join_cut_row(joined[-1][1], grid)
            continue_grid(joined[-1][1], grid)
            joined[-1] = (page, joined[-1][1])
        else:
            joined.append((page, grid))
    return [grid for _, grid in joined]


def _join_cut_row(grid: Grid, more: Grid) -> None:
    """A row cut by the page break: its rest, the first row of the next page, has text only in
    the 三级指标/指标解释 cells. That text is added to the row above, and the rest is blanked (not
    read): read as a row of its own, it was an indicator named "省级标准" with no value, and the
    row above lost the end of its name. Text exports are read alike (:mod:`nlp.readers.doc_rows`)."""
    found = pick_header(enumerate(grid.rows[:HEADER_SCAN_ROWS]))
    first = repeated_heading(grid, more)
    if found is None or found[0] == len(grid.rows) - 1 or first >= len(more.rows):
        return
    names, rest, cut = found[1].names, more.rows[first], grid.rows[-1]
    filled = {names[column] if column < len(names) else "" for column, cell in enumerate(rest) if cell.strip()}
    if filled and filled <= set(FRAGMENT_FIELDS):
        for column, cell in enumerate(rest):
            cut[column] += cell
        more.rows[first] = [""] * len(rest)


def _continues(before: tuple[int, Grid], page: int, grid: Grid) -> bool:
    last_page, previous = before
    return page == last_page + 1 and grid.name.endswith("!table1") and continues(previous, grid)


def _cell_text(cell: str | None) -> str:
    """A cell's text with its wrapped lines joined: a space only between two Latin words."""
    if not cell:
        return ""
    parts = cell.split("\n")
    text = parts[0]
    for part in parts[1:]:
        text += (" " if _latin(text[-1:]) and _latin(part[:1]) else "") + part
    return text


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()
