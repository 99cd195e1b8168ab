"""Reader for the text exports of published budget documents (预算绩效目标表 in .txt dumps).

A budget document mixes prose, budget tables and indicator tables in several layouts (one cell
per line, a tab-separated row per line, labelled prose lists). This module puts the pieces
together: :mod:`doc_text` classifies lines, :mod:`doc_segments` finds tables by their headers,
:mod:`doc_context` reads project name/goal/budget/department, :mod:`doc_rows` turns raw rows
into indicator values and :mod:`doc_narrative` reads the prose lists. Evaluation rubrics
(评分表) and budget tables are recognised and reported in ``skipped``, never read as targets.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nlp.readers.base import BUDGET_REASON, RUBRIC_REASON, InputError, Skipped, TableInfo
from nlp.readers.doc_context import department_at, department_cues, read_context
from nlp.readers.doc_lexicon import is_budget_title, sniff_words
from nlp.readers.doc_narrative import NarrativeBlock, find_narratives
from nlp.readers.doc_rows import VALUE_FIELDS, table_rows
from nlp.readers.doc_segments import TableBlock, find_tables
from nlp.readers.doc_text import TEXT, Line, decode, load_lines
from nlp.records import IndicatorRow

__all__ = ["DocumentRead", "InputError", "looks_like_document", "read_document"]

NOTHING_REASON = "未发现绩效指标表(no indicator table found in this file)"
_SNIFF_BYTES = 65536
_Block = TableBlock | NarrativeBlock


@dataclass
class DocumentRead:
    """What was read from one document."""

    rows: list[IndicatorRow] = field(default_factory=list)
    tables: list[TableInfo] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(slots=True)
class _Source:
    """The per-file facts every row carries."""

    path: Path
    cues: list[tuple[int, str]]

    @property
    def doc_id(self) -> str:
        return self.path.stem

    def table_id(self, number: int) -> str:
        return f"{self.doc_id}#{number}"

    def row(self, line: int, number: int, **values: object) -> IndicatorRow:
        """A record with the source columns filled in (department: the one in force at ``line``)."""
        values.setdefault("department", department_at(self.cues, line))
        return IndicatorRow(
            row_id=f"{self.doc_id}:{line}",
            doc_id=self.doc_id,
            table_id=self.table_id(number),
            source_file=self.path.name,
            source_line=str(line),
            **values,  # type: ignore[arg-type]
        )


def _location(line: int) -> str:
    return f"line {line}" if line else ""


def _read_table(source: _Source, block: TableBlock, number: int) -> list[IndicatorRow]:
    context = read_context(block.context, block.title)
    return [
        source.row(
            row.line,
            number,
            department=department_at(source.cues, block.header_line),
            project_name=context.project_name,
            project_goal=context.project_goal,
            budget_wan=context.budget_wan,
            extra=row.extra,
            **{name: row.values[name] for name in VALUE_FIELDS},
        )
        for row in table_rows(block.rows, block.columns)
    ]


def _read_narrative(source: _Source, block: NarrativeBlock, number: int) -> list[IndicatorRow]:
    return [
        source.row(
            row.indicator.line,
            number,
            project_name=row.project,
            level3=row.indicator.text,
            description=row.goal,
            target_value=row.value,
        )
        for row in block.rows
    ]


def _skip(path: Path, line: int, reason: str, what: str) -> Skipped:
    return Skipped(path.name, _location(line), f"{reason}: {what}")


def _budget_skips(path: Path, lines: list[Line]) -> list[Skipped]:
    return [
        _skip(path, line.number, BUDGET_REASON, line.text)
        for line in lines
        if line.kind == TEXT and is_budget_title(line.text)
    ]


def _table_info(source: _Source, block: _Block, number: int, rows: int) -> TableInfo:
    location = _location(block.first_line)
    return TableInfo(source.path.name, source.table_id(number), block.title, rows, location)


def read_document(path: Path) -> DocumentRead:
    """Read every indicator table of a document's text export, in document order.

    Raises :class:`InputError` (naming the file) for files that cannot be read as text or are
    empty; a readable file with no indicator table gives no rows and says so in ``skipped``.
    """
    path = Path(path)
    lines = load_lines(path)
    source = _Source(path, department_cues(lines))
    result = DocumentRead(skipped=_budget_skips(path, lines))
    found: list[_Block] = [*find_tables(lines), *find_narratives(lines)]
    number = 0
    for block in sorted(found, key=lambda b: b.first_line):
        if isinstance(block, TableBlock) and block.rubric:
            result.skipped.append(_skip(path, block.first_line, RUBRIC_REASON, block.title))
            continue
        number += 1
        reader = _read_table if isinstance(block, TableBlock) else _read_narrative
        rows = reader(source, block, number)
        result.rows.extend(rows)
        result.tables.append(_table_info(source, block, number, len(rows)))
    result.skipped.sort(key=lambda s: int(s.location.split()[-1]))
    if not result.tables and not result.skipped:
        result.skipped.append(Skipped(path.name, "", NOTHING_REASON))
    return result


def looks_like_document(path: Path) -> bool:
    """Cheap sniff of the first 64 KB: text (no NUL bytes) that uses indicator-table words.

    Never raises: an unreadable file is simply not a document we handle.
    """
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return False
    text = decode(head, partial=True)
    return text is not None and any(word in text for word in sniff_words())
