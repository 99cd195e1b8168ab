"""Turning a ``POST /v1/score`` body into validated rows, with errors that point at the cell.

The body is parsed here rather than by FastAPI so that the row count is checked before thousands
of rows are validated, the cell-length limit (a runtime setting) reaches the validators, and a
single object and a list of objects are one code path.
"""
from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter, ValidationError

from nlp.api.errors import ApiError, validation_failed
from nlp.api.models import CELL_LIMIT, IndicatorIn
from nlp.api.settings import ApiSettings

_ROWS = TypeAdapter(list[IndicatorIn])


def parse_rows(body: bytes, settings: ApiSettings) -> list[IndicatorIn]:
    """Validated rows of a JSON body holding one indicator object or a list of them."""
    data = _load_json(body)
    single = isinstance(data, dict)
    if not single and not isinstance(data, list):
        raise ApiError(422, "invalid_body", "body must be an indicator object or a list of them", "body")
    rows = [data] if single else data
    if len(rows) > settings.max_rows:
        raise ApiError(413, "too_many_rows",
                       f"{len(rows)} rows sent, the limit is {settings.max_rows} per request", "body")
    try:
        return _ROWS.validate_python(rows, context={CELL_LIMIT: settings.max_cell_chars})
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if single:  # report "body.level3", not "body[0].level3", for a single object
            errors = [{**e, "loc": e["loc"][1:]} for e in errors]
        raise validation_failed(errors, prefix=("body",)) from None


def _load_json(body: bytes) -> Any:
    if not body.strip():
        raise ApiError(400, "malformed_json", "request body is empty; send JSON", "body")
    try:
        data = json.loads(body)
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # a lone surrogate ("\ud800") fails here
    except (UnicodeDecodeError, UnicodeEncodeError):
        raise ApiError(400, "malformed_json", "body is not valid UTF-8 JSON: it holds invalid Unicode "
                       "(a lone surrogate such as \\ud800)", "body") from None
    except ValueError as exc:  # JSONDecodeError, and integers over Python's 4,300-digit limit
        raise ApiError(400, "malformed_json", f"body is not valid JSON: {exc}", "body") from None
    except RecursionError:
        raise ApiError(400, "malformed_json", "JSON nesting is too deep", "body") from None
    return data
