"""Limits of reading inputs (``data/input.toml``), shared by the readers and the scorer.

A module of its own so that both can import the numbers without importing each other.
"""
from __future__ import annotations

from nlp.resources import load_toml

_LIMITS = load_toml("input.toml")
#: Cells longer than this are kept whole but analysed cut to it (finding I1, :mod:`nlp.long_cells`).
ANALYSED_CELL_CHARS: int = _LIMITS["analysed_cell_chars"]
#: A table with a wider header is refused by name rather than widening every output.
MAX_COLUMNS: int = _LIMITS["max_columns"]
