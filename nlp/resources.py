"""Locating and loading the project's data files (lexicons, taxonomy, thresholds).

Lexicons and thresholds live in ``data/`` as TOML so that a reviewer can tune them without
touching code; this module is the single place that knows where they are. ``IQC_HOME`` overrides
the project root (useful when the package is installed away from its checkout).
"""
from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any


def project_root() -> Path:
    """The checkout root that holds ``data/`` and ``models/``."""
    override = os.environ.get("IQC_HOME")
    return Path(override) if override else Path(__file__).resolve().parent.parent


def data_path(*parts: str) -> Path:
    return project_root().joinpath("data", *parts)


def models_path(*parts: str) -> Path:
    return project_root().joinpath("models", *parts)


@lru_cache(maxsize=None)
def load_toml(relative: str) -> dict[str, Any]:
    """Parse ``data/<relative>`` once per process."""
    with data_path(relative).open("rb") as handle:
        return tomllib.load(handle)
