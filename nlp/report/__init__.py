"""Reviewer reports of a scored batch: an XLSX workbook for people and a self-contained HTML page.

Both writers take the scored frame chunk by chunk (``write_chunk``) and publish atomically on
``close``; :func:`open_report_writer` picks one from the output suffix for ``iqc score -o``.
"""
from __future__ import annotations

import os
from pathlib import Path

from nlp.output_formats import FORMATS, output_format
from nlp.report.accumulator import GroupStats, ReportAccumulator, ScoredRow
from nlp.report.html import HtmlReportWriter, render_html
from nlp.report.settings import ReportSettings, load_settings
from nlp.report.sarif import SarifReportWriter
from nlp.report.writer import ReportWriter
from nlp.report.xlsx import XlsxReportWriter

#: Report writer per report format of :mod:`nlp.output_formats` (by format name).
WRITERS: dict[str, type[ReportWriter]] = {"xlsx": XlsxReportWriter, "html": HtmlReportWriter,
                                          "sarif": SarifReportWriter}


def open_report_writer(
    path: str | os.PathLike[str], settings: ReportSettings | None = None
) -> ReportWriter:
    """The report writer for ``path``'s format (``.xlsx`` / ``.html`` / ``.htm`` / ``.sarif``)."""
    fmt = output_format(Path(path))
    if fmt.name not in WRITERS:
        raise ValueError(f"{path}: {fmt.name} is not a report format; use " +
                         ", ".join(s for f in FORMATS if f.name in WRITERS for s in f.suffixes))
    return WRITERS[fmt.name](path, settings)


__all__ = [
    "GroupStats",
    "HtmlReportWriter",
    "ReportAccumulator",
    "ReportSettings",
    "ReportWriter",
    "SarifReportWriter",
    "ScoredRow",
    "XlsxReportWriter",
    "load_settings",
    "open_report_writer",
    "render_html",
]
