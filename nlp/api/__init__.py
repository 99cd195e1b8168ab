"""The HTTP scoring API (FastAPI). Build it with :func:`create_app`; serve it with ``iqc serve``."""
from __future__ import annotations

from nlp.api.app import create_app
from nlp.api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
