"""Turning a ``POST /v1/score`` body into validated rows, with errors that point at the cell.

The body is parsed here rather than by FastAPI so that the row count is checked before thousands
of rows are validated, the cell-length limit (a runtime setting) reaches the validators, and a
single object and a list of objects are one code path.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from nlp.api.errors import ApiError, validation_failed
from nlp.api.models import CELL_LIMIT, IndicatorIn
from nlp.api.settings import ApiSettings
from nlp.json_keys import DoubledKey, misspelt, object_of
from nlp.readers.tabular import budget_factor, header_field

_ROWS = TypeAdapter(list[IndicatorIn])
#: The fields a row names by their own names.
_FIELDS = frozenset(IndicatorIn.model_fields)
#: The same, in the order a misspelt key is compared with them.
_FIELD_ORDER = tuple(IndicatorIn.model_fields)


#: What ``json.loads`` does with a body once it is text (bytes skip its check for a leading BOM),
#: with its objects made by :func:`~nlp.json_keys.object_of`.
_DECODER = json.JSONDecoder(object_pairs_hook=object_of)
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
    named = [_own_names(row, "body" if single else f"body[{i}]") if isinstance(row, dict) else row
             for i, row in enumerate(rows)]
    try:
        return _ROWS.validate_python(named, context={CELL_LIMIT: settings.max_cell_chars})
    except ValidationError as exc:
        errors = [_as_sent(error, rows) for error in exc.errors(include_url=False)]
        if single:  # report "body.level3", not "body[0].level3", for a single object
            errors = [{**e, "loc": e["loc"][1:]} for e in errors]
        raise validation_failed(errors, prefix=("body",)) from None


def _own_names(row: dict[str, Any], at: str) -> dict[str, Any]:
    """``row`` with its keys under the names of the fields they name, as an uploaded table's header
    names them (三级指标, Level3: ``data/headers.toml``); a field named twice, or a key one edit
    away from a field's name, is refused: either way a value would be silently left unread."""
    if isinstance(row, DoubledKey):
        raise ApiError(422, "duplicate_field", f"{row.key!r} appears twice: send it once", f"{at}.{row.key}")
    if row.keys() <= _FIELDS or all(map(_own_column, row.keys() - _FIELDS)):
        return row
    named: dict[str, Any] = {}
    keys: dict[str, str] = {}
    for key, value in row.items():
        name = _field_named(key)
        if name in keys:
            raise ApiError(422, "duplicate_field", f"{keys[name]!r} and {key!r} both name the field {name!r}: "
                           "send one", f"{at}.{key}")
        if name == "budget_wan" and budget_factor(key) != 1:
            raise ApiError(422, "invalid_value", f"{key!r} is not in 万元: send the budget as budget_wan, in 万元",
                           f"{at}.{key}")
        if resembled := misspelt(name, _FIELD_ORDER):
            raise ApiError(422, "unknown_field", f"{key!r} is not a field; did you mean {resembled!r}? "
                           "(a column of your own needs a name further from the fields')", f"{at}.{key}")
        named[name], keys[name] = value, key
    return named


def _as_sent(error: Any, rows: list[Any]) -> Any:
    """A validation error at the key the client sent (三级指标), not the field it was read as."""
    row, *rest = error["loc"]
    sent = rows[row] if isinstance(row, int) else None
    if not rest or not isinstance(sent, dict) or rest[0] in sent:
        return error
    key = next((key for key in sent if _field_named(key) == rest[0]), rest[0])
    return {**error, "loc": (row, key, *rest[1:])}


@lru_cache(maxsize=4096)
def _own_column(key: str) -> bool:
    """``key`` names no field, and is not a field's name misspelt: a client's own column."""
    return _field_named(key) == key and not misspelt(key, _FIELD_ORDER)


@lru_cache(maxsize=4096)
def _field_named(key: str) -> str:
    """The field ``key`` names, or ``key`` itself (a client's own column)."""
    return key if key in _FIELDS else header_field(key) or key


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
    except UnicodeDecodeError as exc:  # GBK, say: the byte, not a surrogate, is what the client must fix
        byte = exc.object[exc.start]
        raise ApiError(400, "malformed_json", f"body is not valid UTF-8 JSON: byte {byte:#04x} at offset {exc.start} "
                       f"is not {exc.encoding.upper()}: send the body in UTF-8 (a GBK body is not read)", "body") from None
    except UnicodeEncodeError:
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
