"""SARIF 2.1.0 output (``iqc score -o x.sarif``): findings for the tools reviewers already run.

Code-scanning dashboards, editors and CI annotators read SARIF; one result per finding, its
``ruleId`` the finding code, the rules (with their help text) from ``data/codes.toml``, and a
location per row: the input file and its line (``region.startLine``) when the row came from a
line of a delimited file, else the row's ``Sheet!row``/``page!table!row`` as a logical location.
``partialFingerprints`` carries the finding's key (:mod:`nlp.fingerprints`), so a SARIF viewer
matches findings across runs the same way ``--baseline`` and reviewers' decisions do. A table's
findings (T1/T2) are reported on each of its rows, as in the other outputs.

Results are streamed into the file chunk by chunk (the rules are known before the first row), so
memory stays flat however many rows the batch has.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

import nlp
from nlp.fingerprints import finding_key
from nlp.codes import catalogue
from nlp.report.accumulator import ReadingNote
from nlp.report.rows import display, frame_records
from nlp.report.settings import ReportSettings
from nlp.report.writer import ReportWriter
from nlp.schema import FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: Our severities as SARIF levels (SARIF has no "info": notes are its least severe results).
LEVELS = {"high": "error", "medium": "warning", "low": "note", "info": "note"}
FINGERPRINT_KEY = "indicatorQc/v1"


class SarifReportWriter(ReportWriter):
    """Writes one SARIF log with one run; the file appears at ``path`` only on :meth:`close`."""

    def __init__(self, path: str | os.PathLike[str], settings: ReportSettings | None = None) -> None:
        self._rule_index = {code: i for i, code in enumerate(catalogue())}
        super().__init__(path, settings)

    def _open(self) -> None:
        self._handle = self.target.tmp.open("w", encoding="utf-8")
        self._separator = ""
        head = json.dumps(_log_without_results(), ensure_ascii=False)
        self._handle.write(head[: -len("]}]}")])  # everything up to the open results array

    def write_chunk(self, chunk: pd.DataFrame) -> None:
        for row in frame_records(chunk):
            for finding in [*(row.get(FINDINGS_COLUMN) or ()), *(row.get(TABLE_FINDINGS_COLUMN) or ())]:
                self._handle.write(self._separator + json.dumps(self._result(row, finding), ensure_ascii=False))
                self._separator = ",\n"

    def _finish(self) -> None:
        """Close the results; what reading the inputs noticed becomes the run's invocation's
        notifications (SARIF's place for "the tool could not analyse this")."""
        notes = self.accumulator.reading_notes
        invocations = (',"invocations":' + json.dumps([_invocation(notes)], ensure_ascii=False)) if notes else ""
        self._handle.write("]" + invocations + "}]}\n")
        self._handle.close()

    def abort(self) -> None:
        try:
            handle = getattr(self, "_handle", None)  # None when interrupted before the log was opened
            if handle is not None:
                handle.close()
        finally:
            super().abort()

    def _result(self, row: dict[str, Any], finding: dict[str, Any]) -> dict[str, Any]:
        code = finding["code"]
        return {
            "ruleId": code,
            "ruleIndex": self._rule_index[code],
            "level": LEVELS[finding["severity"]],
            "message": {"text": f"{finding['message']}建议：{finding['suggestion']}"},
            "locations": [_location(row, finding, self.accumulator.input_paths)],
            "partialFingerprints": {FINGERPRINT_KEY: finding_key(row, code)},
            "properties": {"row_id": display(row.get("row_id")), "family": finding["family"],
                           "severity": finding["severity"], "field": finding["field"],
                           "evidence": finding["evidence"], "source": finding["source"]},
        }


#: Reading notes as notification levels: a file or row not read is an error, a warning a warning.
NOTE_LEVELS = {"failed": "error", "skipped": "note", "warning": "warning"}


def _invocation(notes: list[ReadingNote]) -> dict[str, Any]:
    return {"executionSuccessful": True, "toolExecutionNotifications": [
        {"level": NOTE_LEVELS.get(note.kind, "note"), "message": {"text": note.message},
         **({"locations": [_note_location(note)]} if note.file or note.location else {}),
         "properties": {"kind": note.kind}}
        for note in notes]}


def _note_location(note: ReadingNote) -> dict[str, Any]:
    """Where a note points; a note about the whole run (findings a baseline hid) points nowhere."""
    return {**({"physicalLocation": {"artifactLocation": {"uri": _uri(note.file)}}} if note.file else {}),
            "logicalLocations": [{"name": note.location or Path(note.file).name, "kind": "input"}]}


def _log_without_results() -> dict[str, Any]:
    driver = {"name": "indicator-qc", "version": nlp.__version__, "rules": [_rule(code, entry)
                                                                           for code, entry in catalogue().items()]}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": []}]}


def _rule(code: str, entry: dict[str, Any]) -> dict[str, Any]:
    help_text = f"{entry['description']} 建议：{entry['suggestion']}"
    if entry.get("example_bad"):
        help_text += f" 例（不合格）：{entry['example_bad']}；（合格）：{entry.get('example_good', '')}"
    return {"id": code, "shortDescription": {"text": entry["title"]}, "fullDescription": {"text": entry["description"]},
            "help": {"text": help_text}, "defaultConfiguration": {"level": LEVELS[entry["severity"]]},
            "properties": {"family": entry["family"], "severity": entry["severity"]}}


def _location(row: dict[str, Any], finding: dict[str, Any], input_paths: dict[str, str]) -> dict[str, Any]:
    """The row's file and line when the line is a number; its sheet/page position otherwise. The
    logical name is the row's ``source_file`` whole (its base name was ``t.csv`` for ``a/t.csv``
    and ``b/t.csv``); the physical one is the input's path as the batch was given it, as in the
    reading notes, so that a viewer opens it from where ``iqc`` ran (``t.csv`` alone named a file
    inside the input folder). A row an interchange file names after its own source keeps that name."""
    source, line = display(row.get("source_file")), display(row.get("source_line"))
    location: dict[str, Any] = {"logicalLocations": [{"name": display(row.get("row_id")) or line,
                                                      "fullyQualifiedName": f"{source}:{line}",
                                                      "kind": "row"}]}
    if source:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(input_paths.get(source, source))}}
        if line.isdigit() and int(line) > 0:
            physical["region"] = {"startLine": int(line), "snippet": {"text": finding.get("quote", "")}}
        location["physicalLocation"] = physical
    return location


def _uri(path: str) -> str:
    """A path as a SARIF URI reference: forward slashes, other characters percent-encoded."""
    return quote(Path(path).as_posix())
