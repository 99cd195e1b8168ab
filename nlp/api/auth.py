"""Optional shared-secret authentication (``X-API-Key``).

A single key from ``IQC_API_KEY`` is enough for the intended deployment (one service behind an
internal gateway); it is off when the variable is unset. ``/v1/health``, ``/docs`` and
``/openapi.json`` stay open so that load balancers and client developers need no secret.
"""
from __future__ import annotations

import hmac

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from nlp.api.errors import ApiError

HEADER = "X-API-Key"
_scheme = APIKeyHeader(name=HEADER, auto_error=False,
                       description="Required only when the server was started with IQC_API_KEY set.")


async def require_api_key(request: Request, key: str | None = Security(_scheme)) -> None:
    expected: str | None = request.app.state.settings.api_key
    if expected is None:
        return
    if key is None or not hmac.compare_digest(key.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", f"missing or wrong {HEADER} header", f"header.{HEADER}")
