"""What an endpoint needs from the running app: the scorer, the settings, the raw body.

They are ``async`` on purpose: they only look things up, and FastAPI would otherwise send each
of them through the thread pool that the CPU-bound endpoints need.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import pandas as pd
from fastapi import Request
from fastapi.routing import APIRoute

from nlp.api.errors import ApiError
from nlp.api.settings import ApiSettings
from nlp.json_keys import misspelt
from nlp.review.service import rejected_keys
from nlp.review.suppress import SuppressingScorer


class Scorer(Protocol):
    """The scorer interface the API relies on (``nlp.load()`` returns one)."""

    model_info: dict[str, Any]

    def score_frame(self, df: pd.DataFrame) -> pd.DataFrame: ...

    def score(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]: ...

    def score_requests(self, requests: Iterable[Iterable[dict[str, Any]]]) -> list[list[dict[str, Any]]]: ...


async def scorer_of(request: Request) -> Scorer:
    """The app's scorer; with findings reviewers rejected (``iqc serve --db``) left out. One
    suppressing scorer per set of rejections, so concurrent requests share it (and a micro-batch)."""
    state, rejected = request.app.state, rejected_keys(request.app)
    if not rejected:
        return state.scorer
    current = getattr(state, "suppressing", None)
    if current is None or current.scorer is not state.scorer or current.rejected is not rejected:
        current = state.suppressing = SuppressingScorer(state.scorer, rejected)
    return current


async def settings_of(request: Request) -> ApiSettings:
    return request.app.state.settings


async def body_of(request: Request) -> bytes:
    """The raw body, read on the event loop (size-limited by :class:`~nlp.api.limits.BodySizeLimit`).
    A compressed one is refused by name: read as text, gzip bytes were "invalid Unicode"."""
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise ApiError(415, "unsupported_encoding", f"Content-Encoding {encoding!r} is not supported: "
                       "send the body uncompressed", "header.Content-Encoding")
    return await request.body()


async def known_query(request: Request) -> None:
    """Refuse a query parameter the endpoint does not declare: ``?fromat=xlsx`` was ignored without a
    word, and the caller got JSON where it asked for a workbook. A name one edit from a declared one
    is said to be that one misspelt."""
    if not request.query_params:
        return  # the usual request: nothing to look up
    declared = _query_names(request.scope["route"])
    unknown = next((name for name in request.query_params if name not in declared), None)
    if unknown is None:
        return
    resembled = misspelt(unknown, declared)
    hint = f"; did you mean {resembled!r}?" if resembled else f" (it reads {', '.join(declared) or 'none'})"
    raise ApiError(422, "unknown_parameter", f"{unknown!r} is not a query parameter of this endpoint{hint}",
                   f"query.{unknown}")


def _query_names(route: APIRoute) -> tuple[str, ...]:
    """The query parameters ``route`` reads, its dependencies' included (walked here: FastAPI's own
    helper for it is internal, and renamed between versions)."""
    names, pending = [], [route.dependant]
    while pending:
        dependant = pending.pop()
        names += [param.alias for param in dependant.query_params]
        pending += dependant.dependencies
    return tuple(dict.fromkeys(names))
