"""From the scorer's flat result rows to the API's nested per-row result, rendered to JSON.

The scorer returns one flat dict per row (input columns + :data:`nlp.schema.OUTPUT_COLUMNS` +
``findings``), possibly holding numpy scalars and NaN for empty cells. The API groups the
per-family columns (``flags.mismatch`` instead of ``flag_mismatch``), turns the ``codes`` text
(``"B1;M2"``) into a list and drops the echoed input. Cells are read with the report writers'
helpers so the API and the XLSX/HTML reports never disagree about a row.

A row becomes the plain data :class:`~nlp.api.models.RowResult` would dump, and the response is
serialised by pydantic-core in one pass, so the models only document the contract (OpenAPI).
Why: FastAPI's own path dumps, re-validates and serialises a response model (~14 ms for 1,000
rows), and even building the models ourselves validated four of them a row plus one a finding:
20 ms of CPU for a 1,000-row answer, spent by the server alone once the rows are scored, to
check data that already has the models' fields and types (now ~14 ms). A finding not in
:class:`~nlp.api.models.FindingOut`'s exact shape (one synthesised from the catalogue lacks
``quote``) still goes through the model. ``tests/test_api_results.py`` checks the bytes are the
models'.

A large request scored by the model's own scorer is answered from its output tuples
(:meth:`~nlp.scorer.Scorer.score_outputs`, :func:`output_result`) rather than from the dict a row
:meth:`~nlp.scorer.Scorer.score` builds, with a dict a finding, only to be read back here: the
scorer's dicts, the results and the JSON of a 1,000-row answer took 15.9 ms of CPU after the
rows were scored; from the outputs, 7.1. The bytes are the same (``tests/test_api_results.py``):
the scorer's text cells are ``;``-joined codes and plain text, and a row with codes has the
findings they name.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi.responses import Response
from pydantic_core import to_json

from nlp.api.models import FindingOut, ScoreResponse
from nlp.report.rows import display, row_findings, split_codes
from nlp.schema import FAMILIES, FINDINGS_COLUMN, OUTPUT_COLUMNS, TABLE_FINDINGS_COLUMN

#: FindingOut's fields and their types, in the model's order.
_FINDING_FIELDS = tuple(FindingOut.model_fields)
_FINDING_TYPES = tuple(field.annotation for field in FindingOut.model_fields.values())
#: Where the output columns sit in a scorer's output tuple.
_AT = {column: i for i, column in enumerate(OUTPUT_COLUMNS)}
_FLAGS = tuple((family, _AT[f"flag_{family}"]) for family in FAMILIES)
_SCORES = tuple((family, _AT[f"score_{family}"]) for family in FAMILIES)


def row_result(scored: Mapping[str, Any]) -> dict[str, Any]:
    """The row's :class:`~nlp.api.models.RowResult` as ``model_dump()`` gives it (fields in order)."""
    return {
        "row_id": display(scored.get("row_id")),
        "flags": {family: bool(scored[f"flag_{family}"]) for family in FAMILIES},
        "scores": {family: float(scored[f"score_{family}"]) for family in FAMILIES},
        "risk": float(scored["risk"]),
        "review": [family for family in split_codes(scored.get("review")) if family],
        "codes": [code.strip() for code in split_codes(scored["codes"])],
        "suggested_level2": display(scored.get("suggested_level2")),
        "explanation": display(scored.get("explanation")),
        "findings": _findings_out(scored.get(FINDINGS_COLUMN), scored.get("codes")),
        "table_codes": split_codes(scored.get("table_codes")),
        "table_findings": _findings_out(scored.get(TABLE_FINDINGS_COLUMN), scored.get("table_codes")),
    }


def output_result(row_id: str, output: tuple) -> dict[str, Any]:
    """:func:`row_result` of the row whose scorer output is ``output``, read from the tuple."""
    findings = output[-1]
    return {
        "row_id": row_id,
        "flags": {family: bool(output[i]) for family, i in _FLAGS},
        "scores": {family: float(output[i]) for family, i in _SCORES},
        "risk": float(output[_AT["risk"]]),
        "review": _codes(output[_AT["review"]]),
        "codes": _codes(output[_AT["codes"]]),
        "suggested_level2": output[_AT["suggested_level2"]],
        "explanation": output[_AT["explanation"]],
        "findings": [_finding_out(f.to_dict()) for f in findings if f.family != "table"],
        "table_codes": _codes(output[_AT["table_codes"]]),
        "table_findings": [_finding_out(f.to_dict()) for f in findings if f.family == "table"],
    }


def scored_response(envelope: ScoreResponse, scored: Iterable[Mapping[str, Any]]) -> Response:
    """``envelope`` (its ``rows`` empty) holding a result per scored row."""
    return _json(envelope, [row_result(row) for row in scored])


def output_response(envelope: ScoreResponse, records: Iterable[Mapping[str, Any]],
                    outputs: Iterable[tuple]) -> Response:
    """``envelope`` (its ``rows`` empty) holding a result per record (``row_id`` set) from its
    scorer output (:meth:`~nlp.scorer.Scorer.score_outputs`)."""
    return _json(envelope, [output_result(record["row_id"], output) for record, output in zip(records, outputs)])


def _json(envelope: ScoreResponse, rows: list[dict[str, Any]]) -> Response:
    """The response as JSON: the bytes ``model_dump_json()`` writes for the whole response
    (compact, UTF-8 unescaped, NaN as null)."""
    content = envelope.model_dump()
    content["rows"] = rows
    return Response(to_json(content, inf_nan_mode="null"), media_type="application/json")


def _codes(cell: str) -> list[str]:
    """A scorer's ``;``-joined codes (or families) as a list."""
    return cell.split(";") if cell else []


def _findings_out(findings: Any, codes: Any) -> list[dict[str, Any]]:
    return [_finding_out(finding) for finding in row_findings(findings, codes)]


def _finding_out(finding: dict[str, Any]) -> dict[str, Any]:
    """``finding`` as FindingOut dumps it: itself when it has the model's fields, in order, of
    the model's types (every scorer finding), else validated by the model (defaults filled in)."""
    if tuple(finding) == _FINDING_FIELDS and tuple(map(type, finding.values())) == _FINDING_TYPES:
        return finding
    return FindingOut.model_validate(finding).model_dump()
