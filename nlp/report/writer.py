"""What every report writer shares: chunked input, an accumulator, an atomic target.

The CLI (``iqc score -o out.xlsx|out.html``) streams scored chunks into whichever writer the output
suffix selects, so both writers have the same lifecycle: ``write_chunk`` repeatedly, then
``close`` (publish) or ``abort`` (discard); used as a context manager an exception aborts.
"""
from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType

import pandas as pd

from nlp.report.accumulator import ReportAccumulator
from nlp.report.atomic import AtomicTarget
from nlp.report.settings import ReportSettings, load_settings


class ReportWriter(ABC):
    """Base of the XLSX and HTML writers; the file exists at ``path`` only after :meth:`close`."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        settings: ReportSettings | None = None,
        accumulator: ReportAccumulator | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        self.accumulator = accumulator or ReportAccumulator(self.settings.keep_rows)
        self.target = AtomicTarget(path)
        try:
            self._open()
        except BaseException:  # an interruption before the caller's ``with`` holds the writer
            self.abort()
            raise

    def _open(self) -> None:
        """Start ``self.target.tmp`` (a workbook, a log's head); the temp file exists from here."""

    @abstractmethod
    def write_chunk(self, chunk: pd.DataFrame) -> None:
        """Consume one scored chunk (input columns + OUTPUT_COLUMNS + ``findings``)."""

    def close(self) -> Path:
        """Finish the report into the temp file, then publish it; returns the final path."""
        try:
            self._finish()
        except BaseException:
            self.abort()
            raise
        return self.target.commit()

    def abort(self) -> None:
        """Drop the partial report; whatever was at ``path`` before is left untouched."""
        self.target.discard()

    @abstractmethod
    def _finish(self) -> None:
        """Write everything that depends on the whole batch to ``self.target.tmp``."""

    def __enter__(self) -> "ReportWriter":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
