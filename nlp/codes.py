"""The finding-code catalogue (``data/codes.toml``): titles, severities, Chinese templates.

One catalogue serves the explanations, the report legend and the API's ``/v1/codes``, so a code
means the same thing everywhere.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from nlp.resources import load_toml


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
