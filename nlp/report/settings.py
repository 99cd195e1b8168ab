"""Report settings (``data/report.toml``): colours, caps, sheet names and Chinese labels.

Kept in data so reviewers' preferences (colours, how many rows to embed) change without code
edits; tests build a :class:`ReportSettings` with small caps to exercise the spill/cap paths.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from nlp.resources import load_toml


@dataclass(frozen=True, slots=True)
class ReportSettings:
    """Everything the report writers need to know that is not in the scored frame."""

    rows_per_sheet: int
    triage_rows: int
    html_rows: int
    top_projects: int
    rows_per_project: int
    chart_departments: int
    top_codes: int
    max_comments: int
    sheets: dict[str, str] = field(default_factory=dict)
    colours: dict[str, str] = field(default_factory=dict)
    family_labels: dict[str, str] = field(default_factory=dict)
    severity_labels: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    widths: dict[str, int] = field(default_factory=dict)
    comments: dict[str, Any] = field(default_factory=dict)
    note_kinds: dict[str, str] = field(default_factory=dict)

    @property
    def keep_rows(self) -> int:
        """How many top-risk rows the accumulator must hold to serve every writer."""
        return max(self.triage_rows, self.html_rows)

    def label(self, column: str) -> str:
        return self.labels.get(column, column)

    def width(self, column: str) -> int:
        return self.widths.get(column, self.widths.get("default", 12))

    def family_label(self, family: str) -> str:
        return self.family_labels.get(family, family)

    def severity_label(self, severity: str) -> str:
        return self.severity_labels.get(severity, severity)

    def note_kind(self, kind: str) -> str:
        return self.note_kinds.get(kind, kind)

    def with_limits(self, **limits: int) -> "ReportSettings":
        """A copy with some caps changed (tests, or a CLI ``--html-rows`` option)."""
        return replace(self, **limits)


def load_settings() -> ReportSettings:
    data = load_toml("report.toml")
    return ReportSettings(
        **data["limits"],
        sheets=data["sheets"],
        colours=data["colours"],
        family_labels=data["family_labels"],
        severity_labels=data.get("severity_labels", {}),  # an IQC_HOME data/ from before it: English words
        labels=data["labels"],
        widths=data["widths"],
        comments=data["comments"],
        note_kinds=data["note_kinds"],
    )
