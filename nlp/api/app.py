"""The application factory.

``create_app`` does no model work: tests build apps with a fake scorer in milliseconds, and
``uvicorn --factory nlp.api.app:create_app`` (what ``iqc serve --workers N`` runs) builds one app
per worker process, each loading the model once in its lifespan, and starting the worker's helper
processes for large requests and micro-batches' never-seen rows (:mod:`nlp.helper_pool`,
``request_helpers``) while it does; they stop with the app.
"""
from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

from fastapi import FastAPI

import nlp
from nlp.artifacts import environment_note
from nlp.scorer import settle
from nlp.api import docs, routes
from nlp.api.batching import MicroBatcher
from nlp.api.deps import Scorer
from nlp.api.errors import install_error_handlers
from nlp.api.limits import BodySizeLimit
from nlp.api.settings import ApiSettings
from nlp.helper_pool import HelperError, HelperPool
from nlp.review.routes import install_review

log = logging.getLogger(__name__)


def create_app(scorer: Scorer | None = None, settings: ApiSettings | None = None) -> FastAPI:
    """A ready-to-serve app; with ``scorer=None`` the model is loaded by ``nlp.load()`` at startup,
    configured by ``settings.config`` (a given scorer is used as its caller configured it).

    ``settings`` defaults to ``ApiSettings.from_env()`` (``data/api.toml`` + ``IQC_*`` variables).
    """
    settings = settings or ApiSettings.from_env()
    app = FastAPI(title="indicator-qc", version=nlp.__version__, description=_description(settings),
                  lifespan=_lifespan(scorer, settings), docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.batcher = MicroBatcher()
    if scorer is not None:
        app.state.scorer = scorer
    app.add_middleware(BodySizeLimit, max_body_bytes=settings.max_body_bytes)
    install_error_handlers(app)
    app.include_router(docs.router)
    app.include_router(routes.public)
    app.include_router(routes.protected)
    install_review(app)
    return app


def _lifespan(scorer: Scorer | None, settings: ApiSettings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        count = helper_count(settings.request_helpers) if scorer is None else 0
        helpers = HelperPool(count) if count else None
        with helpers or nullcontext():
            if scorer is None:
                app.state.scorer = nlp.load(config=settings.config)  # while the helpers load theirs
                if note := environment_note(app.state.scorer.model_info):
                    log.warning(note)
            if helpers is not None and _attach(helpers, app.state.scorer):
                await helpers.connect_lanes()
            settle()
            yield

    return lifespan


def helper_count(asked: int) -> int:
    """The helper processes to start: as many as asked, but none on a single usable core (a small
    container), where a helper would only take the server's own core and a model's memory."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return asked if usable > 1 else 0


def _attach(helpers: HelperPool, scorer: Scorer) -> bool:
    """Let ``scorer`` share large requests with ``helpers``; if they could not start, say so once
    and serve from this process alone, as with ``request_helpers = 0``."""
    try:
        helpers.attach(scorer)
    except HelperError as exc:
        log.warning("serving without helper processes: %s", exc)
        return False
    return True


def _description(settings: ApiSettings) -> str:
    key = "required (header `X-API-Key`)" if settings.api_key else "not required"
    return (
        "Flags boilerplate, category-mismatched and unmeasurable indicators in 预算绩效目标表 rows.\n\n"
        f"Limits per request: {settings.max_rows} rows, {settings.max_body_bytes} bytes of body, "
        f"{settings.max_cell_chars} characters per cell. API key: {key}; `/v1/health` is always open.\n\n"
        'Errors are always `{"error": {"code", "message", "field", "details"}}`.'
    )
