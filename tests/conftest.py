"""Shared fixtures: the public corpus table, the sample builder, and running ``iqc`` in-process."""
from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
_SHARED_TABLES = Path("/work/shared/corpus/public_tables.tsv")
PUBLIC_TABLES = _SHARED_TABLES if _SHARED_TABLES.exists() else ROOT / "data" / "samples" / "public_tables.tsv"


@pytest.fixture(scope="session")
def public_tables_path() -> Path:
    return PUBLIC_TABLES


@pytest.fixture(scope="session")
def public_tables() -> pd.DataFrame:
    """The corpus table exactly as published: every cell a string, nothing converted."""
    return pd.read_csv(PUBLIC_TABLES, sep="\t", dtype=str, keep_default_na=False)


@pytest.fixture(scope="session")
def make_samples() -> ModuleType:
    """``data/samples/make_samples.py`` (not a package), so fixtures and samples share a builder."""
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "data" / "samples" / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def iqc(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    """Run ``iqc ARGS...`` in-process; returns (exit code, stderr)."""
    from nlp.cli import main

    def run(*args: object) -> tuple[int, str]:
        capsys.readouterr()
        code = main([str(arg) for arg in args])
        return code, capsys.readouterr().err

    return run


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's own "database or disk is full", from a database allowed no more pages than the
    store's empty tables take."""
    import sqlite3

    connect = sqlite3.connect

    def small(*args, **kwargs):
        db = connect(*args, **kwargs)
        db.execute("PRAGMA max_page_count = 6")
        return db

    monkeypatch.setattr(sqlite3, "connect", small)
