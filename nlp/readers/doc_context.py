"""Project context of a table: name, goal, budget (万元) and the department.

Documents state these as label/value pairs above the indicator header ("项目名称 | X",
"预算数 | 80.00", "绩效目标 | …"), in a cell per line or a row per line, or inline with a colon
("填报单位(盖章): X"). The department may also be printed as a unit code glued to the name
("359001怀来县融媒体中心…"), often only once for many tables, so it is looked up document-wide.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from nlp.readers.doc_lexicon import (
    budget_amount,
    budget_factor,
    context_label,
    inline_pairs,
    label_unit,
    split_inline_label,
    table_title_suffixes,
)
from nlp.readers.doc_text import CELL, Cell, Line

# A budget unit code (3–9 digits, not a year) glued to a unit name: "359001怀来县融媒体中心".
_UNIT_CODE = re.compile(r"^\d{3,9}\s*(?![年月日])(?P<name>[\u4e00-\u9fff][^，。；：:,;\t]{1,40})$")
_TITLE_NUMBER = re.compile(r"^\d+\s*[、.．]\s*")
#: How many cells after a label its value may be (merged header cells sit before a budget).
_VALUE_REACH = 12


@dataclass(slots=True)
class Context:
    """What a table's context block states; "" / None where it says nothing."""

    project_name: str = ""
    project_goal: str = ""
    budget_wan: float | None = None


def _value_after(cells: list[Cell], k: int, field: str) -> str | tuple[float, float | None] | None:
    """The value of the label at ``cells[k]``: the next non-label cell (an amount for budgets, see
    :func:`~nlp.readers.doc_lexicon.budget_amount`: ``125万`` was passed over for a number further on)."""
    for cell in cells[k + 1 : k + 1 + _VALUE_REACH]:
        if field == "budget_wan":
            amount = budget_amount(cell.text)
            if amount is not None:
                return amount
            continue
        if context_label(cell.text) is None:
            return cell.text
        return None
    return None


def read_context(cells: list[Cell], title: str) -> Context:
    """Context fields from the non-empty cells between a table's title and its header."""
    found: dict[str, str | tuple[float, float | None]] = {}
    factor = 1.0  # the unit a "单位：元" line states
    label_factor = None  # the unit the budget's label states (预算金额（元）)
    for k, cell in enumerate(cells):
        factor = budget_factor(cell.text) or factor
        inline = split_inline_label(cell.text)
        label = inline[0] if inline else context_label(cell.text)
        if not label or label in found:
            continue
        value = inline[1] if inline else _value_after(cells, k, label)
        if value is not None:
            found[label] = value
            if label == "budget_wan":
                label_factor = label_unit(cell.text)
    budget = found.get("budget_wan")
    amount = budget_amount(budget) if isinstance(budget, str) else budget
    return Context(
        project_name=str(found.get("project_name") or project_from_title(title)),
        project_goal=str(found.get("project_goal", "")),
        budget_wan=None if amount is None else round(amount[0] * _first_unit(amount[1], label_factor, factor), 6),
    )


def _first_unit(*factors: float | None) -> float:
    """The unit that counts: the value's own (125万), else its label's (预算金额（元）), else the
    table's "单位：" line (or 万元)."""
    return next(factor for factor in factors if factor is not None)


def project_from_title(title: str) -> str:
    """"3、服务外包专项资金绩效目标表" -> "服务外包专项资金"; only numbered titles name a project.

    An unnumbered title ("2026年部门整体支出绩效目标表") names the kind of table, not a project.
    """
    if not _TITLE_NUMBER.match(title):
        return ""
    name = _TITLE_NUMBER.sub("", title)
    for suffix in table_title_suffixes():
        if name.endswith(suffix):
            return name[: -len(suffix)].strip()
    return name.strip()


def _department_in(cells: list[Cell]) -> str | None:
    """A department named by one line's cells, or None.

    Accepted: an inline label ("填报单位(盖章): X"), a two-cell label/value row
    ("部门(单位)名称 | X"; a wider row is a header such as "单位名称 | 单位性质 | …"), or a
    unit code glued to a name.
    """
    if len(cells) == 1:
        for piece in inline_pairs(cells[0].text):  # "主管部门：X    实施期限：1年"
            inline = split_inline_label(piece)
            if inline and inline[0] == "department" and not re.search(r"[:：]", inline[1]):
                return inline[1]
        code = _UNIT_CODE.match(cells[0].text)
        return code.group("name").strip() if code else None
    if len(cells) == 2 and context_label(cells[0].text) == "department":
        return cells[1].text
    return None


def _line_cells(lines: list[Line], k: int) -> list[Cell]:
    """A line's non-empty cells; a lone label cell also takes the next line's lone cell."""
    cells = [cell for cell in lines[k].cells if cell.text]
    lone_label = lines[k].kind == CELL and len(cells) == 1 and context_label(cells[0].text)
    if lone_label and k + 1 < len(lines):
        following = lines[k + 1]
        if following.kind == CELL and following.cells[0].text:
            cells.append(following.cells[0])
    return cells


def department_cues(lines: list[Line]) -> list[tuple[int, str]]:
    """Every (line number, department) the document states, in order."""
    cues = []
    for k, line in enumerate(lines):
        name = _department_in(_line_cells(lines, k))
        if name:
            cues.append((line.number, name))
    return cues


def department_at(cues: list[tuple[int, str]], line: int) -> str:
    """The department in force at ``line``: the last one stated before it, else the first one."""
    before = [name for number, name in cues if number <= line]
    if before:
        return before[-1]
    return cues[0][1] if cues else ""
