"""indicator-qc: flag boilerplate, category-mismatched and unmeasurable budget performance indicators."""
from __future__ import annotations

__version__ = "0.1.0"
