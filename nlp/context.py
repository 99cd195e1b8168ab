"""Everything the rules and features need to know about one row, computed once.

A :class:`RowContext` bundles the row's cells with their analyses: canonical categories, the parsed
target value, lexicon cues per cell, what the name measures, the project's domain, and facts
about the table the row sits in. Building it once per row keeps rules and features cheap and
consistent with each other.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from nlp.categories import Category, canonical_level1, canonical_level2
from nlp.cues import TextAnalysis, analyse, combine
from nlp.records import parse_budget
from nlp.resources import load_toml
from nlp.values import ParsedValue, parse_value

_DIGIT = re.compile(r"[0-9０-９]")
_NAME_NOISE = re.compile(r"[\s%％:：、，,。.()（）\"“”'‘’《》\-—·]+|^指标[0-9]+")


@dataclass(frozen=True, slots=True)
class TableFacts:
    """Facts about a row that need the other rows of its table."""

    rows_in_table: int = 1
    value_share: float = 0.0          # share of the table's rows that have this row's value
    duplicate_earlier: str = ""       # an earlier row of the table with (nearly) the same name
    same_as_output_row: str = ""      # a 数量 row whose name this (benefit) row repeats
    copied_share: float = 0.0         # share of this table's rows also found in another table of the doc


@dataclass(slots=True)
class RowContext:
    """One row, analysed."""

    name: str
    description: str
    value_text: str
    basis: str
    project: str
    level1: Category
    level2: Category
    value: ParsedValue
    name_cues: TextAnalysis
    description_cues: TextAnalysis
    value_cues: TextAnalysis
    project_cues: TextAnalysis
    name_type: str
    budget_wan: float | None
    table: TableFacts = field(default_factory=TableFacts)

    @property
    def has_criteria(self) -> bool:
        """Does the row name a number or a standard anywhere outside the value?"""
        text = self.description + self.basis + self.name
        return bool(_DIGIT.search(text)) or "标准" in text or "规定" in text

    def cues(self, group: str, *cells: str) -> tuple[str, ...]:
        """Cue terms of ``group`` found in the given cells (name, description, value, project)."""
        found: list[str] = []
        for cell in cells:
            found.extend(getattr(self, f"{cell}_cues").cues.get(group, ()))
        return tuple(found)


@lru_cache(maxsize=100_000)
def name_type(name: str) -> str:
    """What a 三级 name measures, read from its ending: satisfaction/rate/time/money/count/text."""
    core = _NAME_NOISE.sub("", name)
    for kind, endings in load_toml("lexicons/cues.toml")["name_types"].items():
        if any(core.endswith(ending) for ending in endings):
            return kind
    return "text"


def normalised_name(name: str) -> str:
    """Name without punctuation, numbering and the 指标 suffix, for duplicate detection."""
    return _NAME_NOISE.sub("", name).removesuffix("指标")


def build_context(row: dict[str, object], table: TableFacts | None = None) -> RowContext:
    """Analyse one row (a mapping with the interchange columns)."""
    def cell(key: str) -> str:
        value = row.get(key, "")
        return "" if value is None or (isinstance(value, float) and value != value) else str(value)

    name, value_text = cell("level3"), cell("target_value")
    project = cell("project_name") + " " + cell("project_goal")
    return RowContext(
        name=name,
        description=cell("description"),
        value_text=value_text,
        basis=cell("basis"),
        project=project.strip(),
        level1=canonical_level1(cell("level1")),
        level2=canonical_level2(cell("level2")),
        value=parse_value(value_text, cell("unit"), cell("value_type")),
        name_cues=analyse(name),
        description_cues=analyse(cell("description")),
        value_cues=analyse(value_text),
        project_cues=combine(analyse(cell("project_name")), analyse(cell("project_goal"))),
        name_type=name_type(name),
        budget_wan=parse_budget(row.get("budget_wan")),
        table=table or TableFacts(),
    )


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column as strings ("" where missing or NaN), or an all-"" column if absent."""
    if name not in frame:
        return pd.Series("", index=frame.index)
    return frame[name].fillna("").astype(str)


def table_keys(frame: pd.DataFrame) -> pd.Series:
    """The table a row belongs to: ``table_id`` when given, else file + document + project."""
    explicit = _column(frame, "table_id")
    derived = _column(frame, "source_file") + "|" + _column(frame, "doc_id") + "|" + _column(frame, "project_name")
    return explicit.where(explicit != "", derived)


def _similar(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    if min(len(a), len(b)) < 4:
        return False
    common = sum((Counter(a) & Counter(b)).values())
    return common / max(len(a), len(b)) >= 0.85


def table_facts(frame: pd.DataFrame) -> list[TableFacts]:
    """Table-level facts for every row of ``frame`` (rows grouped by :func:`table_keys`)."""
    keys = table_keys(frame).tolist()
    names = [normalised_name(n) for n in _column(frame, "level3")]
    values = _column(frame, "target_value").str.replace(" ", "").tolist()
    level2 = [canonical_level2(v).name for v in _column(frame, "level2")]
    docs = _column(frame, "doc_id").tolist()
    positions: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        positions[key].append(i)
    copied = _copied_share(keys, docs, names, values, positions)
    facts: list[TableFacts] = [TableFacts()] * len(keys)
    for key, rows in positions.items():
        filled = [i for i in rows if names[i] or values[i]]
        value_counts = Counter(values[i] for i in filled if values[i])
        for pos, i in enumerate(rows):
            earlier = [j for j in rows[:pos] if _similar(names[i], names[j])]
            output_twin = ""
            if level2[i] in {"经济效益", "社会效益", "生态效益", "可持续影响"}:
                output_twin = next((names[j] for j in rows if level2[j] == "数量" and _similar(names[i], names[j])), "")
            facts[i] = TableFacts(
                rows_in_table=len(filled) or 1,
                value_share=value_counts.get(values[i], 0) / max(len(filled), 1) if values[i] else 0.0,
                duplicate_earlier=names[earlier[0]] if earlier else "",
                same_as_output_row=output_twin,
                copied_share=copied[key],
            )
    return facts


def _copied_share(keys, docs, names, values, positions) -> dict[str, float]:
    """Per table: share of its rows whose (name, value) also occurs in another table of the same doc."""
    seen_in: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for i, key in enumerate(keys):
        if names[i]:
            seen_in[(docs[i], names[i], values[i])].add(key)
    share: dict[str, float] = {}
    for key, rows in positions.items():
        named = [i for i in rows if names[i]]
        shared = sum(1 for i in named if len(seen_in[(docs[i], names[i], values[i])]) > 1)
        share[key] = shared / len(named) if named else 0.0
    return share
