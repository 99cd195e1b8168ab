"""The one registry of output formats: which suffixes exist, what each writes, who may write it.

``iqc parse`` writes rows (CSV/TSV/JSONL); ``iqc score`` writes rows, a report for people
(XLSX/HTML) or one document for other tools (SARIF). Before this registry, four suffix lists in
four modules decided that separately and disagreed (``.htm`` was a report suffix but ``iqc score`` refused it). Every command, the batch
scorer and the report writers now ask :func:`output_format`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class OutputFormat:
    """One output format. ``rows``: one line per input row, machine-readable (render in workers);
    else one whole-batch document (a report for people, or SARIF) written by a report writer.
    ``findings``: the structured findings are written."""

    name: str
    suffixes: tuple[str, ...]
    rows: bool
    findings: bool
    description: str

    @property
    def suffix(self) -> str:
        return self.suffixes[0]


FORMATS: tuple[OutputFormat, ...] = (
    OutputFormat("csv", (".csv",), rows=True, findings=False, description="UTF-8 with BOM, opens in Excel"),
    OutputFormat("tsv", (".tsv",), rows=True, findings=False, description="tab-separated UTF-8"),
    OutputFormat("jsonl", (".jsonl",), rows=True, findings=True, description="one JSON object a row, with findings"),
    OutputFormat("xlsx", (".xlsx",), rows=False, findings=True, description="annotated workbook for reviewers"),
    OutputFormat("html", (".html", ".htm"), rows=False, findings=True, description="one self-contained report page"),
    OutputFormat("sarif", (".sarif",), rows=False, findings=True, description="SARIF 2.1.0 for code-scanning tools"),
)
_BY_SUFFIX = {suffix: fmt for fmt in FORMATS for suffix in fmt.suffixes}
_BY_NAME = {fmt.name: fmt for fmt in FORMATS}


def formats(rows_only: bool = False) -> tuple[OutputFormat, ...]:
    return tuple(fmt for fmt in FORMATS if fmt.rows or not rows_only)


def by_name(name: str) -> OutputFormat:
    return _BY_NAME[name]


def output_format(path: Path, rows_only: bool = False) -> OutputFormat:
    """The format of ``path`` by its suffix; ``ValueError`` naming the choices when there is none."""
    fmt = _BY_SUFFIX.get(Path(path).suffix.lower())
    if fmt is None or (rows_only and not fmt.rows):
        choices = ", ".join(suffix for f in formats(rows_only) for suffix in f.suffixes)
        raise ValueError(f"unknown output format {Path(path).suffix or '(no suffix)'!r} for {path}: use {choices}")
    return fmt
