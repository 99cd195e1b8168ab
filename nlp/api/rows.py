"""Turning a ``POST /v1/score`` body into validated rows, with errors that point at the cell.

The body is parsed here rather than by FastAPI so that the row count is checked before thousands
of rows are validated, the cell-length limit (a runtime setting) reaches the validators, and a
single object and a list of objects are one code path.
"""
from __future__ import annotations

import json
import re
from typing import Any

from pydantic import TypeAdapter, ValidationError

from nlp.api.errors import ApiError, validation_failed
from nlp.api.models import CELL_LIMIT, IndicatorIn
from nlp.api.settings import ApiSettings

_ROWS = TypeAdapter(list[IndicatorIn])
#: What ``json.loads`` does with a body once it is text (bytes skip its check for a leading BOM).
_DECODER = json.JSONDecoder()
#: A ``\uD800``-``\uDFFF`` escape: half of an escaped surrogate pair, or a lone surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def parse_rows(body: bytes, settings: ApiSettings) -> list[IndicatorIn]:
    """Validated rows of a JSON body holding one indicator object or a list of them."""
    data = _load_json(body)
    single = isinstance(data, dict)
    if not single and not isinstance(data, list):
        raise ApiError(422, "invalid_body", "body must be an indicator object or a list of them", "body")
    if single and (envelope := _envelope_key(data)) is not None:
        raise ApiError(422, "invalid_body", f"the indicators under {envelope!r} must be the body itself: "
                       "send a JSON list of indicator objects, or one object", f"body.{envelope}")
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


def _envelope_key(data: dict[str, Any]) -> str | None:
    """The key of a list of objects inside one object (``{"rows": [{…}, …]}``): an envelope other
    APIs use and this one does not. Its value is no cell either, so the body is refused anyway;
    this names the reason instead of "body.rows: Input should be a valid string"."""
    return next((key for key, value in data.items()
                 if isinstance(value, list) and value and all(isinstance(item, dict) for item in value)), None)


def _load_json(body: bytes) -> Any:
    if not body.strip():
        raise ApiError(400, "malformed_json", "request body is empty; send JSON", "body")
    try:
        text = body.decode(json.detect_encoding(body), "surrogatepass")  # as json.loads decodes bytes
        data = _DECODER.decode(text)
        _check_surrogates(text, data)
    except (UnicodeDecodeError, UnicodeEncodeError):
        raise ApiError(400, "malformed_json", "body is not valid UTF-8 JSON: it holds invalid Unicode "
                       "(a lone surrogate such as \\ud800)", "body") from None
    except ValueError as exc:  # JSONDecodeError, and integers over Python's 4,300-digit limit
        raise ApiError(400, "malformed_json", f"body is not valid JSON: {exc}", "body") from None
    except RecursionError:
        raise ApiError(400, "malformed_json", "JSON nesting is too deep", "body") from None
    return data


def _check_surrogates(text: str, data: Any) -> None:
    """UnicodeEncodeError if a string of ``data`` (parsed from ``text``) holds a lone surrogate.

    Why not always the whole check (``data`` written back to JSON and encoded, 2.4 ms for a
    1,000-row body, in the server alone): a surrogate in ``data`` is either one of ``text``
    (bytes that decode only with ``surrogatepass``), which encoding ``text`` finds (0.5 ms), or
    comes from a ``\\uD800``-``\\uDFFF`` escape, and only a body holding one of those needs it.
    """
    if _SURROGATE_ESCAPE.search(text):
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # a lone "\ud800" fails, a pair passes
    else:
        text.encode("utf-8")
