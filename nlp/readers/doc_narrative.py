"""Indicators written as prose lists instead of tables.

Some documents (004, section 五(二) 分项绩效目标) list each indicator as three labelled lines::

    1、绩效目标：举办外宣活动场次
    绩效指标：活动场次
    指标值：≥1次

under numbered work items ("一、外宣传活动的策划、组织与实施"), all below one section heading
("（二）分项绩效目标"). Each 绩效指标 line becomes a row (三级指标 = the indicator, description =
the goal, 指标值 as printed); the work item is the row's project and the section heading the
table's title. There are no 一级/二级 categories to read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from nlp.readers.doc_lexicon import narrative_labels
from nlp.readers.doc_text import TEXT, Cell, Line

_SECTION = re.compile(r"^[（(][一二三四五六七八九十]+[)）]")
_ITEM = re.compile(r"^[一二三四五六七八九十]+、\S")
_ITEM_MAX = 60


@dataclass(slots=True)
class NarrativeRow:
    """One listed indicator: its work item, goal, indicator cell and value as printed."""

    project: str
    goal: str
    indicator: Cell
    value: str


@dataclass(slots=True)
class NarrativeBlock:
    """The listed indicators under one section heading."""

    title: str
    title_line: int
    rows: list[NarrativeRow] = field(default_factory=list)

    @property
    def first_line(self) -> int:
        return self.title_line or (self.rows[0].indicator.line if self.rows else 0)


def _labelled(kind: str) -> re.Pattern[str]:
    labels = "|".join(re.escape(label) for label in narrative_labels(kind))
    return re.compile(rf"^(?:\d+\s*[、.．]\s*)?(?:{labels})\s*[:：]\s*(?P<text>.*)$")


def find_narratives(lines: list[Line]) -> list[NarrativeBlock]:
    """Every section of labelled indicator lines, in order; sections without any are left out."""
    goal_re, indicator_re, value_re = (_labelled(k) for k in ("goal", "indicator", "value"))
    blocks: list[NarrativeBlock] = []
    block = NarrativeBlock("", 0)
    project = goal = ""
    indicator: Cell | None = None
    for line in lines:
        if line.kind != TEXT:
            continue
        text = line.text
        if _SECTION.match(text):
            block, project = NarrativeBlock(text, line.number), ""
        elif match := goal_re.match(text):
            goal, indicator = match["text"].strip(), None
        elif match := indicator_re.match(text):
            indicator = Cell(match["text"].strip(), line.number)
        elif (match := value_re.match(text)) and indicator is not None:
            if not block.rows:
                blocks.append(block)
            block.rows.append(NarrativeRow(project, goal, indicator, match["text"].strip()))
            goal, indicator = "", None
        elif _ITEM.match(text) and len(text) <= _ITEM_MAX:
            project = text
    return blocks
