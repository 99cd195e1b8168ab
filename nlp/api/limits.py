"""Reject oversize request bodies before they cost memory or a worker.

Two checks, because a client can lie or stream: a declared ``Content-Length`` over the limit is
answered at once without calling the app (so no auth, routing or parsing runs and nothing is
read); otherwise the bytes are counted as the app reads them and reading stops at the limit.
FastAPI has a built-in limit too, but it answers in plain text on some paths; this keeps the one
JSON error shape.
"""
from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nlp.api.errors import ApiError, error_body


def too_large(limit: int) -> ApiError:
    return ApiError(413, "body_too_large", f"request body exceeds the limit of {limit} bytes")


class BodySizeLimit:
    """ASGI middleware enforcing ``max_body_bytes`` on every HTTP request."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > self.max_body_bytes:
            error = too_large(self.max_body_bytes)
            response = JSONResponse(error_body(error.code, error.detail), status_code=413,
                                    headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise too_large(self.max_body_bytes)
            return message

        return counted


def _declared_length(scope: Scope) -> int:
    try:
        return int(Headers(scope=scope).get("content-length", "0"))
    except ValueError:
        return 0
