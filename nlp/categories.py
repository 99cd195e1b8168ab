"""Canonical names for 一级/二级 indicator categories.

Real tables spell the same category many ways (``产出指标(50分)``, ``数量指标 (必填硬性指标)``,
``社会公众或服务对象满意度指标``, ``时效指标(工期指标、形象进度指标)``). Every check that compares a
row with its declared category needs one spelling, so readers and features go through
:func:`canonical_level1` / :func:`canonical_level2`. Unknown names are kept verbatim and marked
unknown rather than dropped: an unknown 二级 is itself evidence for a reviewer (C8).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nlp.resources import load_toml

_PARENTHESISED = re.compile(r"[（(][^（()）]*[)）]")
_SPACES = re.compile(r"\s+")
_NUMBERING = re.compile(r"^[0-9一二三四五六七八九十]+[、.．]")


@dataclass(frozen=True, slots=True)
class Category:
    """A category cell after normalisation.

    ``name`` is the canonical name when ``known`` is true, otherwise the cleaned text.
    ``name`` is "" for an empty cell.
    """

    raw: str
    name: str
    known: bool


def _taxonomy() -> dict:
    return load_toml("taxonomy.toml")


def clean_category_text(text: str) -> str:
    """Strip notes in brackets, whitespace, numbering, and the configured prefixes/suffixes."""
    taxonomy = _taxonomy()
    cleaned = _NUMBERING.sub("", _SPACES.sub("", _PARENTHESISED.sub("", text or "")))
    changed = True
    while changed and cleaned:
        changed = False
        for suffix in taxonomy["strip_suffixes"]:
            if cleaned.endswith(suffix) and len(cleaned) > len(suffix):
                cleaned, changed = cleaned[: -len(suffix)], True
        for prefix in taxonomy["strip_prefixes"]:
            if cleaned.startswith(prefix) and len(cleaned) > len(prefix):
                cleaned, changed = cleaned[len(prefix):], True
    return cleaned


@lru_cache(maxsize=4096)
def _canonical(level: str, text: str) -> Category:
    section = _taxonomy()[level]
    cleaned = clean_category_text(text)
    name = section["aliases"].get(cleaned, cleaned)
    return Category(raw=text, name=name, known=name in section["canonical"])


def canonical_level1(text: str) -> Category:
    """Normalise a 一级指标 cell (产出 / 效益 / 满意度 / 成本)."""
    return _canonical("level1", text or "")


def canonical_level2(text: str) -> Category:
    """Normalise a 二级指标 cell (数量, 质量, …, 服务对象满意度)."""
    return _canonical("level2", text or "")


def level2_names() -> tuple[str, ...]:
    """All canonical 二级 names, in taxonomy order."""
    return tuple(_taxonomy()["level2"]["canonical"])


def parent_of(level2: str) -> str:
    """The 一级 a canonical 二级 normally sits under ("" if unknown)."""
    for parent, children in _taxonomy()["hierarchy"].items():
        if level2 in children and parent != "成本":
            return parent
    return "成本" if level2 in _taxonomy()["hierarchy"]["成本"] else ""


def hierarchy_is_valid(level1: Category, level2: Category) -> bool | None:
    """Whether the (一级, 二级) pair exists in either framework; ``None`` when it cannot be judged.

    A missing 一级 (many published tables omit it) cannot be judged, so it is ``None``, not False.
    """
    if not level2.name:
        return None
    if not level2.known:
        return False
    if not level1.name:
        return None
    if not level1.known:
        return False
    return level2.name in _taxonomy()["hierarchy"].get(level1.name, [])
