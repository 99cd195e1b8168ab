"""Project context stated in the rows of a sheet or text table, above its header or between tables.

A published 绩效目标表 names its project in rows of its own: a title ("2、XX项目绩效目标表"), label
rows ("项目名称 | XX", "预算金额（万元）| 30", "主管部门：XX") and a unit line ("单位：万元"). Above the
header they are the table's context. Departments also stack many such tables in one sheet or CSV,
each with its title and label rows, often with the header repeated: there they start a new table.
Read as indicator rows, they were scored (a "项目名称" indicator of value "XX"), and every table of
the sheet was merged into one project, so a project's checks saw the other projects' rows. A form's
sign-off line under a table ("填报人：张三 | 联系电话：…") was scored too, and flagged B2 (a filled
name with no value); it is neither context nor an indicator.

The words are the document reader's (``data/document_layouts.toml``), so a sheet, a Word table and
a text export of one table agree on its context.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import compress
from operator import itemgetter

from nlp.readers.base import number_text
from nlp.readers.doc_context import read_context
from nlp.readers.doc_lexicon import (
    budget_factor,
    context_label,
    context_label_words,
    inline_pairs,
    is_signoff,
    is_table_title,
    signoff_label_words,
    split_inline_label,
    table_title_suffixes,
)
from nlp.readers.doc_text import Cell


def read_context_rows(lines: Sequence[Sequence[str]], department: str = "") -> dict[str, str]:
    """Context fields stated by ``lines`` (text lines or table rows, split into cells).

    ``department`` is the one in force from earlier tables; it is kept unless these lines name
    another. Only fields that were found are returned, budgets as 万元 text.
    """
    numbered = [(number, [piece for text in line for piece in inline_pairs(text)]) for number, line in enumerate(lines, 1)]
    cells = [Cell(text, number) for number, texts in numbered for text in texts]
    title = next((texts[0] for _, texts in reversed(numbered) if len(texts) == 1 and is_table_title(texts[0])), "")
    stated = read_context(cells, title)
    found = {
        "department": _department(cells) or department,
        "project_name": stated.project_name,
        "project_goal": stated.project_goal,
        "budget_wan": "" if stated.budget_wan is None else number_text(stated.budget_wan),
    }
    return {name: value for name, value in found.items() if value}


def _department(cells: list[Cell]) -> str:
    """The department a label states: inline ("主管部门：X") or in the next cell ("主管部门 | X")."""
    for k, cell in enumerate(cells):
        inline = split_inline_label(cell.text)
        if inline and inline[0] == "department":
            return inline[1]
        following = cells[k + 1].text if k + 1 < len(cells) else ""
        if context_label(cell.text) == "department" and following and not context_label(following):
            return following
    return ""


#: What a row that is not an indicator holds: the project context, or a form's sign-off line.
CONTEXT, SIGNOFF = "context", "signoff"


def row_kind(cells: Sequence[str], lead: int) -> str | None:
    """:data:`CONTEXT`, :data:`SIGNOFF` or ``None`` (an indicator row), by the row's cell in the
    table's first column (``lead``): a context label (alone or with its value after a colon), a
    money-unit line or a table's title alone in its row is context; a sign-off label (填报人,
    联系电话 …) is a sign-off line."""
    first = cells[lead].strip() if lead < len(cells) else ""
    if not first:
        return None
    if context_label(first) or split_inline_label(first) or budget_factor(first) is not None:
        return CONTEXT
    if is_signoff(first):
        return SIGNOFF
    if is_table_title(first) and sum(1 for cell in cells if cell.strip()) == 1:
        return CONTEXT
    return None


def non_indicator_rows(rows: Sequence[list[str]], lead: int) -> list[tuple[int, str]]:
    """(position, kind) of the ``rows`` (lists of cells, all as wide) that are not indicators. A
    regular expression over the lead column finds the candidates (~0.3 µs a row, the cost of every
    data row); :func:`row_kind` decides."""
    if not rows or lead >= len(rows[0]):
        return []
    candidates = compress(range(len(rows)), map(_candidate().match, map(itemgetter(lead), rows)))
    kinds = ((i, row_kind(rows[i], lead)) for i in candidates)
    return [(i, kind) for i, kind in kinds if kind]


@lru_cache(maxsize=1)
def _candidate() -> re.Pattern:
    """A cell that may open a row that is not an indicator: a label at its start (spaces and
    bracketed notes anywhere in it, as :func:`~nlp.readers.doc_lexicon.normalise` ignores them), a
    "单位：" line, or a short line ending like a table title. It may match more than it should,
    never less."""
    gap = r"(?:\s|[(（\[【][^)）\]】]*[)）\]】])*"
    words = sorted({*context_label_words(), *signoff_label_words()}, key=len, reverse=True)
    labels = "|".join(gap.join(map(re.escape, word)) for word in words)
    titles = "|".join(map(re.escape, table_title_suffixes()))
    return re.compile(rf"{gap}(?:{labels}|[^:：]{{0,8}}单位{gap}[:：]|.{{0,60}}(?:{titles})\s*$)")


class StatedContext:
    """The context in force while one table region is read.

    It starts as what the rows above the header state; each block of context rows met among the
    region's rows after data replaces it (a new table starts). Consecutive context rows are one
    block, also when a chunk boundary falls between them.
    """

    def __init__(self, above: Sequence[Sequence[str]] = (), department: str = "") -> None:
        self._lines: list[Sequence[str]] = list(above)
        self._department = department  # in force before the current block
        self.fields = read_context_rows(self._lines, department)
        self.line = ""  # where the current block starts; "" for the rows above the header
        self._open = True  # a context row now continues the current block

    def add(self, cells: Sequence[str], line: str) -> bool:
        """Take one context row; ``True`` when it starts a new table."""
        starts = not self._open
        if starts:
            self._department = self.fields.get("department", self._department)
            self._lines, self.line = [], line
        self._lines.append(cells)
        self.fields = read_context_rows(self._lines, self._department)
        self._open = True
        return starts

    def rows_read(self) -> None:
        """Indicator rows came: the next context row starts a new table."""
        self._open = False

