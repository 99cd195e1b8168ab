"""Locating and loading the project's data files (lexicons, taxonomy, thresholds).

Lexicons and thresholds live in ``data/`` as TOML so that a reviewer can tune them without
touching code; this module is the single place that knows where they are.

Where ``data/`` and ``models/`` are found, first match wins:

1. ``IQC_HOME`` (a folder holding ``data/`` and ``models/``), to score with other lexicons or models;
2. ``nlp/_home/`` inside the installed package: a wheel or ``pip install .`` carries both folders
   there (``setup.py`` maps ``data/`` and ``models/`` onto the packages ``nlp._home.data`` and
   ``nlp._home.models``), so an installed package needs no checkout;
3. the checkout the package is imported from (a source tree or an editable install), where
   ``nlp/_home/`` does not exist and the folders are the repository's own, edited in place.

The data is mapped at build time instead of moved into ``nlp/`` so that the repository layout,
the notebooks and every path in the docs stay as they are.
"""
from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent
_INSTALLED_HOME = _PACKAGE / "_home"


def project_root() -> Path:
    """The folder that holds ``data/`` and ``models/`` (see the module docstring for the order)."""
    override = os.environ.get("IQC_HOME")
    if override:
        return Path(override)
    return _INSTALLED_HOME if _INSTALLED_HOME.is_dir() else _PACKAGE.parent


def data_path(*parts: str) -> Path:
    return project_root().joinpath("data", *parts)


def models_path(*parts: str) -> Path:
    return project_root().joinpath("models", *parts)


class DataFileError(Exception):
    """A data file that is missing or cannot be parsed; the message is one line naming it."""


@lru_cache(maxsize=None)
def load_toml(relative: str) -> dict[str, Any]:
    """Parse ``data/<relative>`` once per process; :class:`DataFileError` if it cannot be (modules
    load their lexicons when imported, so without it a wrong ``IQC_HOME`` was a traceback)."""
    path = data_path(relative)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        home = os.environ.get("IQC_HOME")
        hint = f" (IQC_HOME={home} must be a folder holding data/ and models/)" if home else ""
        raise DataFileError(f"{path}: no such data file{hint}") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise DataFileError(f"{path}: cannot read the data file: {error}") from None
