"""Where the running app keeps its review store, and the rejected keys the API hides.

``iqc serve --db PATH`` passes the path in ``IQC_REVIEW_DB`` because each uvicorn worker builds
its own app; without it the store is ``iqc-review.sqlite3`` in the working directory. The file is
created by the first review action, never by a scoring request.
"""
from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from nlp.api.errors import ApiError, error_body
from nlp.review.store import ReviewStore, StoreError, change_counter

DB_ENV = "IQC_REVIEW_DB"
DEFAULT_DB = "iqc-review.sqlite3"

_rejected_cache: dict[Path, tuple[tuple[int | None, ...], frozenset[str]]] = {}


def configure(app: FastAPI) -> None:
    """Record the store path on ``app``; a store that cannot take a change (a full disk) answers
    503 naming the file, not a bare 500."""
    app.state.review_db = store_path()
    app.add_exception_handler(StoreError, _store_failed)


def store_path() -> Path:
    """The store's path: ``IQC_REVIEW_DB``, else ``iqc-review.sqlite3`` in the working directory."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


def check_store(path: Path) -> None:
    """:class:`StoreError` naming ``path`` unless it is a review store or can become one (no file
    yet, in a folder that exists). ``iqc serve`` checks at start-up: another program's database,
    a folder or a text file was found out only by the first request, or never."""
    if path.exists():
        ReviewStore(path)
    elif not path.parent.is_dir():
        raise StoreError(f"{path}: no such folder {path.parent}")


async def _store_failed(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(error_body("review_store_unavailable", str(exc)), status_code=503)


async def store_of(request: Request) -> ReviewStore:
    """The app's store, opened (and created) on first use; a 503 naming the file if it cannot be."""
    state = request.app.state
    if getattr(state, "review_store", None) is None:
        try:
            state.review_store = ReviewStore(state.review_db)
        except StoreError as exc:
            raise ApiError(503, "review_store_unavailable", str(exc)) from None
    return state.review_store


def rejected_keys(app: FastAPI) -> frozenset[str]:
    """Keys reviewers rejected; re-read only when the database changed (a scoring request must not
    pay a query), empty while there is no database. A change is told by SQLite's change counter,
    not only by the file's time stamp and size: a decision turned from 驳回 to 采纳 within the file
    system's time stamp resolution kept both, and the API hid the finding on."""
    path: Path | None = getattr(app.state, "review_db", None)
    try:
        stat = path.stat() if path is not None else None
    except OSError:
        stat = None
    if stat is None or stat.st_size == 0:  # none yet; or SQLite's new file, its tables not yet committed
        return frozenset()
    version = (stat.st_ino, stat.st_mtime_ns, stat.st_size, change_counter(path))
    cached = _rejected_cache.get(path)
    if cached is None or cached[0] != version:
        cached = (version, ReviewStore(path, read_only=True).rejected_keys())  # a scoring request writes nothing
        _rejected_cache[path] = cached
    return cached[1]
