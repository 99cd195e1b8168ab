"""The one place the API turns a scored frame into the annotated reviewer workbook.

It delegates to the report writer of ``iqc score -o out.xlsx`` (:mod:`nlp.report.xlsx`), so a
workbook from the API and one from the CLI look the same. That writer publishes to a path, hence
the temporary directory; rewire here if its interface changes.
"""
from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from nlp.report.accumulator import ReadingNote
from nlp.report.xlsx import XlsxReportWriter

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def scored_workbook(scored: pd.DataFrame, warnings: Sequence[str] = ()) -> bytes:
    """XLSX bytes of ``scored`` (a reader frame after ``Scorer.score_frame``), with what reading
    the upload noticed (``warnings``, as the JSON answer gives them) on its inputs sheet."""
    with tempfile.TemporaryDirectory(prefix="iqc-xlsx-") as tmp:
        path = Path(tmp) / "scored.xlsx"
        with XlsxReportWriter(path) as writer:
            writer.accumulator.reading_notes = [ReadingNote("warning", "", "", warning) for warning in warnings]
            writer.write_chunk(scored)
        return path.read_bytes()
