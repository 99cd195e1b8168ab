"""One JSON error shape for every failure the API reports.

Clients of a scoring service are other programs; they need a stable, machine-readable body to
branch on, not FastAPI's default ``{"detail": ...}`` in some cases and plain text in others. Every
error is ``{"error": {"code", "message", "field", "details"}}``: ``code`` is a stable snake_case
id, ``field`` names the offending location (``body[3].level3``, ``query.format``, ``file``) or is
"" when the whole request is at fault, ``details`` lists further problems of a validation error.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

log = logging.getLogger(__name__)

#: A validation error lists at most this many problems, so 5,000 bad rows do not echo 5,000 lines.
MAX_DETAILS = 20

#: Pydantic error types that get their own error code; any other type is ``invalid_value``.
_VALIDATION_CODES = {"missing": "missing_field", "missing_field": "missing_field",
                     "cell_too_long": "cell_too_long", "extra_forbidden": "unknown_field"}


class ApiError(HTTPException):
    """An error the API reports on purpose, with its stable code and the field at fault.

    It is an ``HTTPException`` so that FastAPI re-raises it unchanged even when it surfaces while
    the request body is being read (the body-size limit does that).
    """

    def __init__(self, status_code: int, code: str, message: str, field: str = "",
                 details: Sequence[dict[str, str]] = ()) -> None:
        super().__init__(status_code=status_code, detail=message)
        self.code = code
        self.field = field
        self.details = list(details)


def error_body(code: str, message: str, field: str = "",
               details: Sequence[dict[str, str]] = ()) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field, "details": list(details)}}


def field_path(loc: Iterable[str | int]) -> str:
    """``("body", 3, "level3")`` -> ``body[3].level3``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def validation_failed(errors: Sequence[dict[str, Any]], prefix: Sequence[str | int] = ()) -> ApiError:
    """A 422 ApiError from pydantic errors; the first error gives the code, message and field."""
    details = [{"field": field_path([*prefix, *e["loc"]]), "message": e["msg"]}
               for e in errors[:MAX_DETAILS]]
    first = errors[0]
    code = _VALIDATION_CODES.get(first["type"], "invalid_value")
    return ApiError(422, code, first["msg"], details[0]["field"], details)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(Exception, _internal_error)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if isinstance(exc, ApiError):
        body = error_body(exc.code, exc.detail, exc.field, exc.details)
    else:
        phrase = HTTPStatus(exc.status_code).phrase
        body = error_body(phrase.lower().replace(" ", "_").replace("-", "_"), str(exc.detail or phrase))
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return await _http_error(request, validation_failed(exc.errors()))


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal_error", "internal server error"), status_code=500)
