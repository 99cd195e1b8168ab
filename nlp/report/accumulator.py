"""Batch-wide report state that grows with the number of departments/projects, not of rows.

Batches can be far larger than memory, so writers see the scored frame chunk by chunk; this
accumulator keeps what the summary sheets and the HTML report need -- totals, per-department and
per-project counts, per-code counts and the top-K rows by risk (a heap) -- and nothing else.
"""
from __future__ import annotations

import heapq
import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator

import pandas as pd

from nlp.codes import SEVERITIES, catalogue, precedence
from nlp.report.rows import FLAG_COLUMNS, display, frame_records, row_codes, row_findings, split_codes
from nlp.schema import FAMILIES, FINDINGS_COLUMN, UNNAMED_DEPARTMENT, UNNAMED_PROJECT

REQUIRED_COLUMNS: tuple[str, ...] = ("department", "project_name", "risk", "codes") + FLAG_COLUMNS


@dataclass(slots=True)
class GroupStats:
    """Counts for the whole batch, one department or one project."""

    department: str = ""
    project: str = ""
    rows: int = 0
    flagged: int = 0
    families: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    risk_max: float = 0.0
    risk_sum: float = 0.0

    def add(self, families: list[str], codes: list[str], risk: float) -> None:
        self.rows += 1
        self.flagged += bool(families)
        self.families.update(families)
        self.codes.update(codes)
        self.risk_max = max(self.risk_max, risk)
        self.risk_sum += risk

    @property
    def share(self) -> float:
        """Share of rows with at least one flag (0 for an empty group)."""
        return self.flagged / self.rows if self.rows else 0.0

    def top_codes(self, n: int) -> list[tuple[str, int]]:
        return self.codes.most_common(n)


@dataclass(frozen=True, slots=True)
class ReadingNote:
    """One thing reading the inputs noticed: a file or row not read (``failed``), a part left
    out on purpose (``skipped``), or something handled that the reader should know (``warning``).
    The command line prints them as it goes; the report keeps them, because the report is what
    is passed on, and a reviewer must see that rows are missing or were read with a caveat."""

    kind: str
    file: str
    location: str
    message: str


@dataclass(slots=True)
class ScoredRow:
    """One kept row: its values plus the parsed findings/codes the writers render."""

    values: dict[str, Any]
    findings: list[dict[str, str]]
    codes: list[str]
    families: list[str]

    @property
    def risk(self) -> float:
        return _risk(self.values.get("risk"))


class ReportAccumulator:
    """Feed scored chunks with :meth:`add`; read totals, rankings and top rows afterwards."""

    def __init__(self, keep_rows: int) -> None:
        self.keep_rows = keep_rows
        #: (department, project) -> the table codes (T1/T2) of its tables; grows with projects, not rows
        self.table_codes: dict[tuple[str, str], str] = {}
        #: table code (T1/T2) -> rows carrying it: a table's codes are on each of its rows, not in ``codes``
        self.table_code_rows: Counter[str] = Counter()
        #: code -> the highest severity its findings carried: an iqc.toml ``[codes.severity]`` re-grades
        #: a code, and a row in a code's ambiguous zone has a lower one (``nlp.codes.severity_of``); the
        #: legend must say what the rows say, not the catalogue's default
        self.severities: dict[str, str] = {}
        #: groups of tables copied from one another, set by the batch before the report is finished
        self.copy_clusters: list[list[Any]] = []
        #: what reading the inputs noticed, set by the batch (all inputs are read before any scoring)
        self.reading_notes: list[ReadingNote] = []
        #: an input's ``source_file`` -> its path as the batch was given it, set by the batch before
        #: the first chunk (SARIF's locations point where a reading note about the file points)
        self.input_paths: dict[str, str] = {}
        self.total = GroupStats()
        self._departments: dict[str, GroupStats] = {}
        self._projects: dict[tuple[str, str], GroupStats] = {}
        self._heap: list[tuple[int, float, int, ScoredRow]] = []
        self._seq = itertools.count()

    def add(self, chunk: pd.DataFrame) -> list[ScoredRow]:
        """Count every row of ``chunk``, keep it if among the riskiest so far; return the rows.

        The parsed rows are returned so a writer that renders every row (the XLSX main sheet)
        does not parse the findings a second time.
        """
        missing = [column for column in REQUIRED_COLUMNS if column not in chunk.columns]
        if missing:
            raise ValueError(f"scored frame lacks columns {missing}; run the scorer first")
        rows = list(_scored_rows(chunk))
        for row in rows:
            self._count(row)
            self._keep(row)
        return rows

    def departments(self) -> list[GroupStats]:
        """Departments ranked by share of flagged rows (then flagged count, then name)."""
        return _ranked(self._departments.values())

    def projects_by_department(self) -> dict[str, list[GroupStats]]:
        """Each department's projects, ranked like :meth:`departments`."""
        grouped: dict[str, list[GroupStats]] = {}
        for stats in self._projects.values():
            grouped.setdefault(stats.department, []).append(stats)
        return {department: _ranked(stats) for department, stats in grouped.items()}

    def riskiest_projects(
        self, n: int, rows_each: int
    ) -> list[tuple[GroupStats, list[ScoredRow]]]:
        """Projects holding the riskiest rows (max risk, then flagged share), with their worst rows.

        Ranking by the maximum guarantees each listed project's worst row is among the kept top
        rows, so the report can always show it.
        """
        key = lambda s: (s.risk_max, s.share, s.flagged)  # noqa: E731 -- sort key
        chosen = sorted(self._projects.values(), key=key, reverse=True)[:n]
        worst: dict[tuple[str, str], list[ScoredRow]] = {
            (s.department, s.project): [] for s in chosen
        }
        for row in self.top_rows():
            rows = worst.get(_group_keys(row.values)[1])
            if rows is not None and len(rows) < rows_each:
                rows.append(row)
        return [(stats, worst[(stats.department, stats.project)]) for stats in chosen]

    def code_rows(self) -> list[tuple[str, int]]:
        """(code, rows carrying it) for every code of the catalogue in its precedence, then for any
        code the catalogue does not know (a scored file of another version read back).

        The one list behind the workbook's codes sheet and the HTML report's code table, so both
        count a table's codes (T1/T2, carried in ``table_codes`` rather than ``codes``) alike.
        """
        counts = self.total.codes + self.table_code_rows
        rank = precedence()
        known = sorted(catalogue(), key=lambda code: rank.get(code, len(rank)))
        unknown = [code for code in counts if code not in catalogue()]
        return [(code, counts[code]) for code in [*known, *unknown]]

    def top_rows(self, n: int | None = None) -> list[ScoredRow]:
        """Kept rows, flagged first, then by risk descending, then in input order."""
        ordered = [entry[3] for entry in sorted(self._heap, reverse=True)]
        return ordered if n is None else ordered[:n]

    def _count(self, row: ScoredRow) -> None:
        department, project = _group_keys(row.values)
        self.total.add(row.families, row.codes, row.risk)
        for finding in row.findings:
            self._note_severity(finding["code"], finding.get("severity", ""))
        if department not in self._departments:
            self._departments[department] = GroupStats(department)
        self._departments[department].add(row.families, row.codes, row.risk)
        if project not in self._projects:
            self._projects[project] = GroupStats(*project)
        self._projects[project].add(row.families, row.codes, row.risk)
        codes = split_codes(row.values.get("table_codes"))
        if codes:
            self._add_table_codes(project, codes)
            self.table_code_rows.update(codes)

    def _note_severity(self, code: str, severity: str) -> None:
        known = self.severities.get(code)
        if known is None or _rank(severity) > _rank(known):
            self.severities[code] = severity

    def _add_table_codes(self, project: tuple[str, str], codes: list[str]) -> None:
        """Join ``codes`` to the project's: a project may have several tables (two files, two
        years), and the summary must name every code its rows carry, not the last table's."""
        known = split_codes(self.table_codes.get(project, ""))
        self.table_codes[project] = ";".join(dict.fromkeys([*known, *codes]))

    def _keep(self, row: ScoredRow) -> None:
        entry = (int(bool(row.families)), row.risk, -next(self._seq), row)
        if len(self._heap) < self.keep_rows:
            heapq.heappush(self._heap, entry)
        elif self._heap and entry[:3] > self._heap[0][:3]:
            heapq.heapreplace(self._heap, entry)


def _scored_rows(chunk: pd.DataFrame) -> Iterator[ScoredRow]:
    for values in frame_records(chunk):
        findings = row_findings(values.get(FINDINGS_COLUMN), values.get("codes"))
        families = [family for family in FAMILIES if _flag(values[f"flag_{family}"])]
        yield ScoredRow(values, findings, row_codes(findings, values.get("codes")), families)


def project_name(value: Any) -> str:
    """How the reports name a project: a blank name as :data:`UNNAMED_PROJECT`, not an empty string."""
    return display(value).strip() or UNNAMED_PROJECT


def department_name(value: Any) -> str:
    """How the reports name a department: a blank one as :data:`UNNAMED_DEPARTMENT`."""
    return display(value).strip() or UNNAMED_DEPARTMENT


def _group_keys(values: dict[str, Any]) -> tuple[str, tuple[str, str]]:
    department = department_name(values.get("department"))
    project = project_name(values.get("project_name"))
    return department, (department, project)


def _ranked(stats: Any) -> list[GroupStats]:
    return sorted(stats, key=lambda s: (-s.share, -s.flagged, s.department, s.project))


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def _flag(value: Any) -> bool:
    return display(value) not in ("", "0", "0.0", "False")


def _risk(value: Any) -> float:
    try:
        risk = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if risk != risk else risk
