"""Reviewer reports of a scored batch: an XLSX workbook for people and a self-contained HTML page.

Both writers take the scored frame chunk by chunk (``write_chunk``) and publish atomically on
``close``; :func:`open_report_writer` picks one from the output suffix for ``iqc score -o``.
"""
from __future__ import annotations

import os
from pathlib import Path

from nlp.report.accumulator import GroupStats, ReportAccumulator, ScoredRow
from nlp.report.html import HtmlReportWriter, render_html
from nlp.report.settings import ReportSettings, load_settings
from nlp.report.writer import ReportWriter
from nlp.report.xlsx import XlsxReportWriter

WRITERS: dict[str, type[ReportWriter]] = {
    ".xlsx": XlsxReportWriter,
    ".html": HtmlReportWriter,
    ".htm": HtmlReportWriter,
}


def open_report_writer(
    path: str | os.PathLike[str], settings: ReportSettings | None = None
) -> ReportWriter:
    """The report writer for ``path``'s suffix (``.xlsx`` / ``.html``)."""
    suffix = Path(path).suffix.lower()
    if suffix not in WRITERS:
        raise ValueError(f"no report writer for {suffix!r}; use one of {sorted(WRITERS)}")
    return WRITERS[suffix](path, settings)


__all__ = [
    "GroupStats",
    "HtmlReportWriter",
    "ReportAccumulator",
    "ReportSettings",
    "ReportWriter",
    "ScoredRow",
    "XlsxReportWriter",
    "load_settings",
    "open_report_writer",
    "render_html",
]
