"""What a scored row looks like: the output columns and the structured finding.

The CLI writers (CSV/TSV/JSONL/XLSX/HTML), the HTTP API and the Python API all render the same
scored frame, so its shape is defined once here.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

FAMILIES: tuple[str, ...] = ("boilerplate", "mismatch", "unmeasurable")

#: How every output names a blank department or project (a finding's message, the reports), so a
#: reviewer meets one wording for "not given" wherever it appears.
UNNAMED_DEPARTMENT = "（未注明部门）"
UNNAMED_PROJECT = "（未注明项目）"

#: Version of the scored-record shape (:mod:`nlp.record_schema`): bump the major part when a field
#: is removed or changes meaning, the minor part when one is added.
SCHEMA_VERSION = "1.0"

#: Columns the scorer appends after the input columns, in this order.
OUTPUT_COLUMNS: tuple[str, ...] = (
    "flag_boilerplate",
    "flag_mismatch",
    "flag_unmeasurable",
    "score_boilerplate",
    "score_mismatch",
    "score_unmeasurable",
    "risk",
    "review",
    "codes",
    "suggested_level2",
    "explanation",
    "table_codes",
)

#: The description (``dc:description``) ``iqc score`` gives its workbooks (the readers skip them): every sheet of one is an
#: output (its triage and legend sheets name 三级指标/指标值 columns but have no scored columns).
OUTPUT_WORKBOOK_MARK = "indicator-qc scored output"

#: Column of the scored frame holding ``list[Finding]`` as dicts; machine formats (JSONL, API)
#: emit it, tabular formats render it through ``codes``/``explanation`` and drop it.
FINDINGS_COLUMN = "findings"
#: Findings about the row's whole table (T1/T2, ``data/codes.toml``), repeated on each of its rows.
TABLE_FINDINGS_COLUMN = "table_findings"


def scored_columns(input_columns: Iterable[str], findings: bool) -> list[str]:
    """The columns of a scored frame, in order: the input's, then the output columns it lacks.

    Batch scoring lays out a delimited file before its chunks come back from the workers, so the
    layout is stated here rather than discovered from a scored frame.
    """
    inputs = list(input_columns)
    added = [*OUTPUT_COLUMNS, *([FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN] if findings else [])]
    return [*inputs, *(column for column in added if column not in inputs)]


def finding_cells(findings: Iterable["Finding"]) -> dict[str, str]:
    """The ``codes``, ``explanation`` and ``table_codes`` cells of a row's findings (in order;
    ``codes`` and ``explanation`` hold the families' findings only: advisory notes raise no flag):
    the scorer and :mod:`nlp.adjust` render a row alike."""
    findings = list(findings)
    flagged = [f for f in findings if f.family in FAMILIES]
    return {"codes": ";".join(f.code for f in flagged),
            "explanation": " ".join(map(explained, flagged)),
            "table_codes": ";".join(f.code for f in findings if f.family == "table")}


def explained(finding: "Finding") -> str:
    """A finding's part of the ``explanation`` cell."""
    return f"[{finding.code}] {finding.message}建议：{finding.suggestion}"


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason a row was flagged (or an advisory note).

    ``field`` is the input column the finding is about (``level3``, ``target_value``, ``level2``…),
    so a spreadsheet can highlight the right cell, and ``quote`` is the text of that cell it
    points at, at characters ``start``–``end`` of the cell (the whole cell when the evidence is
    not a span of it; -1 when the cell is empty). ``evidence`` says in a reviewer's words what
    drove the finding; ``source`` is ``rule`` or ``model``.
    """

    code: str
    family: str
    severity: str
    title: str
    message: str
    evidence: str
    suggestion: str
    field: str
    source: str = "rule"
    quote: str = ""
    start: int = -1
    end: int = -1

    def to_dict(self) -> dict[str, str | int]:
        # shallow on purpose: every field is a str or int, and dataclasses.asdict deep-copies (10× slower)
        return {name: getattr(self, name) for name in self.__slots__}
