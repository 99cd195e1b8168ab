"""Turning a document's text export into classified lines of cells.

Word/PDF exports write table cells either one per line (each prefixed with a tab), or a whole
row per line with tabs between the cells, and wrap long cell text onto following lines that have
no tab. Every later step works on :class:`Line` objects that already say which of these a line
is and carry its cells with their 1-based line numbers, so a row can always point back to the
line a reviewer should look at.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from nlp.readers.base import InputError
from nlp.readers.doc_lexicon import is_budget_title, is_rubric_title, is_table_title

_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
_ENCODINGS = ("utf-8-sig", "gb18030")

BLANK, TEXT, CELL, ROW = "blank", "text", "cell", "row"


@dataclass(slots=True)
class Cell:
    """One table cell: its text (surrounding whitespace stripped) and the line it starts on."""

    text: str
    line: int


@dataclass(slots=True)
class Line:
    """A source line: ``kind`` is blank, text (no tab), cell (one tab-prefixed cell) or row."""

    number: int
    raw: str
    kind: str
    cells: list[Cell] = field(default_factory=list)
    wrapped: int = 0

    @property
    def text(self) -> str:
        """The line's text without surrounding whitespace (first cell for rows)."""
        return self.raw.strip()

    def row_cells(self) -> list[Cell]:
        """The line split at every tab, keeping empty cells so columns stay in place.

        A lone cell keeps its column (its leading tab means "second column") and its
        unwrapped text.
        """
        if self.kind == ROW:
            return self.cells
        parts = _split(self.raw, self.number)
        if self.kind == CELL:
            filled = next((i for i, cell in enumerate(parts) if cell.text), 1)
            parts[filled] = self.cells[0]
        return parts

    def is_title(self) -> bool:
        """A plain line that names a table (indicator, rubric or budget)."""
        text = self.text
        if self.kind != TEXT:
            return False
        return is_table_title(text) or is_rubric_title(text) or is_budget_title(text)


def decode(data: bytes, partial: bool = False) -> str | None:
    """Text of ``data`` (UTF-16 with BOM, UTF-8, then GB18030), or None if it is not text.

    ``partial`` tolerates a multi-byte character cut at the end (a sniffed file head).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace" if partial else "strict")
    if b"\x00" in data[:65536]:
        return None
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as error:
            if partial and error.start >= len(data) - 4:
                return data[: error.start].decode(encoding, errors="ignore")
    return None


def read_text(path: Path) -> str:
    """The file's text; raises :class:`InputError` naming the file when it cannot be text."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path.name, f"cannot read file ({exc.strerror or exc})") from exc
    text = decode(data)
    if text is None and b"\x00" in data[:65536]:
        raise InputError(path.name, "binary file, not a text export (二进制文件)")
    if text is None:
        raise InputError(path.name, "not UTF-8, UTF-16 or GB18030 text (无法识别的编码)")
    return text


def classify(number: int, raw: str) -> Line:
    """Classify one line; a lone tab-prefixed cell may end with stray tabs ("→X→").

    A line holding only a tab is an empty cell (an empty merged 一级 cell), not a blank line.
    Word bookmark markers ("[bookmark: _GoBack]") are export residue and are removed anywhere.
    """
    raw = _BOOKMARK.sub("", raw.rstrip("\r\n"))
    if "\t" not in raw:
        kind = TEXT if raw.strip() else BLANK
        return Line(number, raw, kind, [Cell(raw.strip(), number)] if raw.strip() else [])
    if raw.startswith("\t") and "\t" not in raw[1:].rstrip():
        return Line(number, raw, CELL, [Cell(raw.strip(), number)])
    return Line(number, raw, ROW, _split(raw, number))


def _split(raw: str, number: int) -> list[Cell]:
    return [Cell(part.strip(), number) for part in raw.split("\t")]


def join_wrapped(lines: list[Line]) -> list[Line]:
    """Fold tab-less lines that directly follow a cell or row into that line's last cell.

    Exports wrap long cell text ("各项事务按年初计划稳" / "步完成"); the wrapped part has no tab
    and no blank line before it. Titles are never folded: they start a new table.
    """
    out: list[Line] = []
    for line in lines:
        previous = out[-1] if out else None
        if (
            previous is not None
            and line.kind == TEXT
            and previous.kind in (CELL, ROW)
            and previous.number + previous.wrapped == line.number - 1
            and not line.is_title()
        ):
            previous.cells[-1].text += line.text
            previous.wrapped += 1
            continue
        out.append(line)
    return out


def load_lines(path: Path) -> list[Line]:
    """Read, classify and unwrap a text export; empty files are an :class:`InputError`."""
    text = read_text(path)
    if not text.strip():
        raise InputError(path.name, "empty file (空文件)")
    # split on "\n" only: str.splitlines() also breaks at form feeds and U+2028, which would
    # shift every later line number away from what an editor shows.
    raws = text.split("\n")
    return join_wrapped([classify(n, raw) for n, raw in enumerate(raws, start=1)])
