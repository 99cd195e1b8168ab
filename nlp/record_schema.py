"""The published JSON Schema of a scored record: a JSONL line of ``iqc score`` and a row of the
HTTP API's answer, with a ``schema_version``.

Other programs parse these records; a schema they can validate against (and a version that
changes when a field does) turns "the output changed" from a silent break into a failed check.
Both shapes come from pydantic models, so the schema cannot drift from what the API returns:
the API's :class:`~nlp.api.models.RowResult`, and :class:`ScoredRecord` for the flat JSONL line
(input columns kept, then :data:`nlp.schema.OUTPUT_COLUMNS` and ``findings``).

``python -m nlp.record_schema`` prints it; ``docs/scored-record.schema.json`` is that output
(a test keeps them equal) and ``GET /v1/schema`` serves it.
"""
from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from nlp.api.models import FindingOut, RowResult
from nlp.schema import SCHEMA_VERSION

Flag = Literal[0, 1]
Score = float


class ScoredRecord(BaseModel):
    """One JSONL line of ``iqc score -o x.jsonl``: the input row's columns (text, numbers or null),
    then the scored columns. Column names that clash with these are the scored ones."""

    model_config = ConfigDict(extra="allow", title="ScoredRecord")
    __pydantic_extra__: dict[str, str | float | None] = Field(init=False)

    flag_boilerplate: Flag
    flag_mismatch: Flag
    flag_unmeasurable: Flag
    score_boilerplate: Score = Field(ge=0, le=1)
    score_mismatch: Score = Field(ge=0, le=1)
    score_unmeasurable: Score = Field(ge=0, le=1)
    risk: Score = Field(ge=0, le=1, description="probability of any defect, for sorting")
    review: str = Field(description="families in the review band, `;`-separated")
    codes: str = Field(description="finding codes of the flags, most important first, `;`-separated")
    suggested_level2: str
    explanation: str
    table_codes: str = Field(description="codes about the row's whole table (T1/T2), `;`-separated")
    findings: list[FindingOut]
    table_findings: list[FindingOut] = Field(description="findings about the row's whole table, on each of its rows")


def record_schema() -> dict[str, Any]:
    """The schema document: ``$defs`` for both records, valid when a record is either."""
    _, defs = models_json_schema([(ScoredRecord, "validation"), (RowResult, "validation")],
                                 ref_template="#/$defs/{model}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "indicator-qc scored record",
        "description": "A JSONL line of `iqc score` (ScoredRecord) or a row of the HTTP API (RowResult).",
        "schema_version": SCHEMA_VERSION,
        "anyOf": [{"$ref": "#/$defs/ScoredRecord"}, {"$ref": "#/$defs/RowResult"}],
        **defs,
    }


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(record_schema(), ensure_ascii=False, indent=2))
