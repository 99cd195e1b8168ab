"""The one record model every reader produces and every scorer consumes.

Readers of very different sources (CSV exports, Excel workbooks, text dumps of published budget
documents) all end in :class:`IndicatorRow`, so the classifiers, the report writers and the API
never need to know where a row came from -- except to point a reviewer back at it, which is what
``source_file`` / ``source_line`` are for.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

#: The interchange columns, in order. ``iqc parse`` writes them (plus the source columns) and every
#: tabular reader accepts any subset of them.
INTERCHANGE_COLUMNS: tuple[str, ...] = (
    "row_id",
    "doc_id",
    "department",
    "project_name",
    "project_goal",
    "level1",
    "level2",
    "level3",
    "description",
    "target_value",
    "unit",
    "value_type",
    "basis",
)

#: Optional interchange columns: written by ``iqc parse`` and read back when present.
CONTEXT_COLUMNS: tuple[str, ...] = ("budget_wan", "table_id")

#: Where a row came from; always written by ``iqc parse``.
SOURCE_COLUMNS: tuple[str, ...] = ("source_file", "source_line")

ALL_COLUMNS: tuple[str, ...] = INTERCHANGE_COLUMNS + CONTEXT_COLUMNS + SOURCE_COLUMNS


@dataclass(slots=True)
class IndicatorRow:
    """One 三级指标 with the context a reviewer needs to judge it.

    All text fields are plain strings ("" when the source has no such cell) so downstream code
    never has to guard against ``None``. ``budget_wan`` is the project budget in 万元 when the
    source states it. ``table_id`` groups the rows of one project table (the unit the table-level
    features look at). ``extra`` carries source columns we do not interpret, untouched, so a
    reviewer gets back exactly what they sent.
    """

    row_id: str = ""
    doc_id: str = ""
    department: str = ""
    project_name: str = ""
    project_goal: str = ""
    level1: str = ""
    level2: str = ""
    level3: str = ""
    description: str = ""
    target_value: str = ""
    unit: str = ""
    value_type: str = ""
    basis: str = ""
    budget_wan: float | None = None
    table_id: str = ""
    source_file: str = ""
    source_line: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """Flat dict: interchange + context + source columns, then the extra columns."""
        data = asdict(self)
        extra = data.pop("extra")
        data.update({k: v for k, v in extra.items() if k not in data})
        return data

    @classmethod
    def from_mapping(cls, mapping: dict[str, object]) -> "IndicatorRow":
        """Build a row from a flat mapping; unknown keys land in ``extra`` as strings."""
        known = {f.name for f in fields(cls)} - {"extra"}
        kwargs: dict[str, object] = {}
        extra: dict[str, str] = {}
        for key, value in mapping.items():
            if key in known:
                kwargs[key] = value
            else:
                extra[str(key)] = "" if value is None else str(value)
        row = cls(**kwargs)  # type: ignore[arg-type]
        row.extra = extra
        row.budget_wan = parse_budget(row.budget_wan)
        for name in known - {"budget_wan"}:
            value = getattr(row, name)
            setattr(row, name, "" if value is None or _is_nan(value) else str(value))
        return row


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and value != value


def parse_budget(value: object) -> float | None:
    if value is None or value == "" or _is_nan(value):
        return None
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return None
