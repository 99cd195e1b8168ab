"""The finding-code catalogue (``data/codes.toml``): titles, severities, Chinese templates.

One catalogue serves the explanations, the report legend and the API's ``/v1/codes``, so a code
means the same thing everywhere.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from nlp.resources import load_toml

#: Severities from least to most severe; ``min_severity`` drops findings below the one it names.
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, Any]]:
    """Code -> entry (family, severity, field, title, description, message, suggestion, examples)."""
    data = load_toml("codes.toml")
    return {code: entry for code, entry in data.items() if isinstance(entry, dict)}


@lru_cache(maxsize=1)
def precedence() -> dict[str, int]:
    """Code -> rank (0 = reported first) per indicator-rules.md §5."""
    return {code: rank for rank, code in enumerate(load_toml("codes.toml")["precedence"])}


def family_of(code: str) -> str:
    return catalogue()[code]["family"]


def is_default_off(code: str) -> bool:
    """A rule too unreliable on its own to be reported (precision under 0.7 on the labelled rows,
    like LanguageTool's ``temp_off``): it still feeds the model as a feature, never as a finding."""
    return bool(catalogue()[code].get("default_off", False))


def severity_of(code: str, name: str, level2: str) -> str:
    """The severity of a finding of ``code`` on a row named ``name`` (三级) under ``level2`` (its
    canonical 二级): the catalogue's, or its ``ambiguous`` zone's when the row lies in that zone.

    indicator-rules.md lists zones where reviewers disagree (完成率 under 数量; attendance or reach
    counts under 社会效益) and asks for a low severity there: the row is still flagged, and a
    bureau that sets ``min_severity = "medium"`` no longer sees it.
    """
    entry = catalogue()[code]
    zone = entry.get("ambiguous")
    if zone and any(word in name for word in zone["name_words"]) and level2 in zone.get("level2", (level2,)):
        return zone["severity"]
    return entry["severity"]
