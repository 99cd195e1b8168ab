"""From the scorer's flat result rows to the API's nested per-row result.

The scorer returns one flat dict per row (input columns + :data:`nlp.schema.OUTPUT_COLUMNS` +
``findings``), possibly holding numpy scalars and NaN for empty cells. The API groups the
per-family columns (``flags.mismatch`` instead of ``flag_mismatch``), turns the ``codes`` text
(``"B1;M2"``) into a list and drops the echoed input. Cells are read with the report writers'
helpers so the API and the XLSX/HTML reports never disagree about a row.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel

from nlp.api.models import RowResult
from nlp.report.rows import display, row_findings, split_codes
from nlp.schema import FAMILIES, FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN


def row_result(scored: Mapping[str, Any]) -> RowResult:
    return RowResult(
        row_id=display(scored.get("row_id")),
        flags={family: bool(scored[f"flag_{family}"]) for family in FAMILIES},
        scores={family: float(scored[f"score_{family}"]) for family in FAMILIES},
        risk=float(scored["risk"]),
        review=[family for family in split_codes(scored.get("review")) if family],
        codes=[code.strip() for code in split_codes(scored["codes"])],
        suggested_level2=display(scored.get("suggested_level2")),
        explanation=display(scored.get("explanation")),
        findings=row_findings(scored.get(FINDINGS_COLUMN), scored.get("codes")),
        table_codes=split_codes(scored.get("table_codes")),
        table_findings=row_findings(scored.get(TABLE_FINDINGS_COLUMN), scored.get("table_codes")),
    )


class ModelJSONResponse(Response):
    """A response model rendered to JSON by pydantic in one pass.

    Why: handed a model, FastAPI dumps it to Python objects, validates them against the
    ``response_model`` again, serialises them and then ``json.dumps`` the result: four passes
    over the rows, ~14 ms for a 1,000-row answer, and a share of every small one. The endpoint
    keeps its ``response_model`` for the OpenAPI schema; the bytes are the same
    (``tests/test_api.py``).
    """

    media_type = "application/json"

    def render(self, content: BaseModel) -> bytes:
        return content.model_dump_json().encode("utf-8")
