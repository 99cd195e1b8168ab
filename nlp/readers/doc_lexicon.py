"""The document reader's vocabulary: header words, context labels and title cues.

All words live in ``data/document_layouts.toml`` so that a new document family is a data change;
this module is the one place that loads them and says how a cell is compared with them (notes
in brackets and whitespace do not count, so "指标值说明(指标解释)" is "指标值说明").
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from nlp.categories import STRICT, canonical_level1, canonical_level2
from nlp.resources import load_toml

_BRACKETED = re.compile(r"[（(【\[][^（()）】\]]*[)）】\]]")
_SPACES = re.compile(r"\s+")
_COLON = re.compile(r"[:：]")
_PAIR_GAP = re.compile(r"\t+|(?:\u3000|\s{2,})\s*(?=[^\s:：，。；,;]{1,12}[:：])")
#: A budget amount, with the money unit it states, if any (万 for 万元, 亿 for 亿元).
_AMOUNT = re.compile(r"(-?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?)([千万亿]?元|[万亿])?", re.IGNORECASE)


def _lexicon() -> dict[str, Any]:
    return load_toml("document_layouts.toml")


def normalise(text: str) -> str:
    """Cell text as compared with the lexicon: no bracketed notes, no whitespace."""
    return _SPACES.sub("", _BRACKETED.sub("", text or ""))


@lru_cache(maxsize=None)
def _reverse(section: str) -> dict[str, str]:
    """word -> field for a ``{field: [words]}`` section; earlier fields win on a clash."""
    mapping: dict[str, str] = {}
    for name, words in _lexicon()[section].items():
        for word in words:
            mapping.setdefault(normalise(word), name)
    return mapping


def header_field(cell: str) -> str | None:
    """The interchange field a header cell names, or None."""
    return _reverse("header_fields").get(normalise(cell))


def is_rubric_header(cell: str) -> bool:
    """A scoring column (评分标准, 得分 …): the table is a rubric, not targets."""
    return normalise(cell) in {normalise(w) for w in _lexicon()["rubric"]["header_words"]}


def context_label(cell: str) -> str | None:
    """The context field a label cell introduces (project_name, project_goal, budget_wan …)."""
    return _reverse("context_labels").get(normalise(cell))


def context_label_words() -> tuple[str, ...]:
    """Every context label, normalised (the words :func:`context_label` knows)."""
    return tuple(_reverse("context_labels"))


@lru_cache(maxsize=1)
def signoff_label_words() -> tuple[str, ...]:
    """Labels of a form's sign-off lines (填报人, 联系电话 …), normalised."""
    return tuple(normalise(word) for word in _lexicon()["signoff"]["labels"])


def is_signoff(cell: str) -> bool:
    """A sign-off cell: its label alone, or before a colon ("填报人：张三")."""
    return _COLON.split(normalise(cell), maxsplit=1)[0] in signoff_label_words()


def inline_pairs(text: str) -> list[str]:
    """The label/value pairs a line lays out side by side, each a piece: "项目名称：甲项目　　预算金额：
    100万元" -> two. A line is split at tabs, and at a wide gap (an ideographic space, two spaces)
    before another "label：". Read whole, the first label's value ran on over the others
    (project "甲项目　　预算金额：100万元", no budget)."""
    return [piece for piece in map(str.strip, _PAIR_GAP.split(text)) if piece]


def split_inline_label(text: str) -> tuple[str, str] | None:
    """``"填报单位(盖章): X"`` -> ("department", "X") when the part before the colon is a label."""
    parts = _COLON.split(text, maxsplit=1)
    if len(parts) != 2:
        return None
    field = context_label(parts[0])
    value = parts[1].strip()
    return (field, value) if field and value else None


def budget_factor(cell: str) -> float | None:
    """Factor to 万元 when a cell states the money unit ("单位：元"), else None."""
    parts = _COLON.split(normalise(cell), maxsplit=1)
    if len(parts) != 2 or not parts[0].endswith("单位"):
        return None
    return _unit_factor(parts[1])


def label_unit(cell: str) -> float | None:
    """Factor to 万元 of the money unit a label states in brackets ("预算金额（元）"), else None:
    :func:`normalise` drops the note, and 1,250,000 元 was read as 1,250,000 万元."""
    notes = (note[1:-1].strip() for note in _BRACKETED.findall(unicodedata.normalize("NFKC", cell)))
    return next((factor for note in notes if (factor := _unit_factor(note)) is not None), None)


def budget_amount(text: str) -> tuple[float, float | None] | None:
    """``text`` as a budget amount: its number, and the factor to 万元 of the unit it states
    (``12.5万`` -> ``(12.5, 1.0)``; ``None`` when it states none); ``None`` when it is no amount.
    A sheet's budget column and a table's context read budgets by this one rule."""
    amount = _AMOUNT.fullmatch(_SPACES.sub("", unicodedata.normalize("NFKC", text)))
    if amount is None:
        return None
    number, unit = amount.groups()
    return float(number.replace(",", "")), _unit_factor(unit if unit.endswith("元") else unit + "元") if unit else None


def _unit_factor(unit: str) -> float | None:
    factor = _lexicon()["budget_units"].get(unit)
    return float(factor) if factor is not None else None


def _titles() -> dict[str, Any]:
    return _lexicon()["titles"]


def _short_plain(text: str) -> bool:
    return 0 < len(text) <= _titles()["max_length"]


def table_title_suffixes() -> tuple[str, ...]:
    """Endings of an indicator table's title ("绩效目标表" …)."""
    return tuple(_titles()["table_suffixes"])


def is_table_title(text: str) -> bool:
    """A plain line naming an indicator table ("1.XX项目绩效目标表")."""
    return _short_plain(text) and text.endswith(table_title_suffixes())


def is_rubric_title(text: str) -> bool:
    """A plain line naming an evaluation scoring rubric (评分表)."""
    return _short_plain(text) and any(cue in text for cue in _titles()["rubric_cues"])


def is_budget_title(text: str) -> bool:
    """A plain line naming a budget table (收支总表, 三公经费支出表 …), never prose."""
    if not _short_plain(text) or re.search(r"[，。；：:,]", text):
        return False
    titles = _titles()
    named = any(cue in text for cue in titles["budget_cues"])
    return named and text.endswith(tuple(titles["budget_endings"]))


def narrative_labels(kind: str) -> tuple[str, ...]:
    """Labels of one narrative line kind: ``goal``, ``indicator`` or ``value``."""
    return tuple(_lexicon()["narrative"][f"{kind}_labels"])


def sniff_words() -> tuple[str, ...]:
    """Words whose presence near the start of a file marks a document this reader handles."""
    return tuple(_lexicon()["sniff"]["words"])


def is_type_token(text: str) -> bool:
    """Whether a cell looks like a 指标值类型 entry (≥, 定性 …)."""
    return _SPACES.sub("", text) in set(_lexicon()["values"]["type_tokens"])


def is_level1_name(text: str) -> bool:
    """A 一级 category name as the taxonomy spells it (strict: running text must not read as one)."""
    return bool(text) and canonical_level1(text).how in STRICT


def is_level2_name(text: str) -> bool:
    """A 二级 category name as the taxonomy spells it (strict: running text must not read as one)."""
    return bool(text) and canonical_level2(text).how in STRICT
