"""``/review``: the review page and its JSON endpoints.

The page is rendered here with the batches listed; ``review.js`` (package data, no CDN) fetches a
batch's items, filters them and sends each decision as it is made. Uploads are scored by the
app's own scorer (without hiding rejected findings: the reviewer sees them with their 驳回), and
an ``iqc score`` JSONL output is opened as it is. Behind the same optional API key as ``/v1``.
"""
from __future__ import annotations

from dataclasses import asdict
from importlib.resources import files
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from nlp.api.auth import require_api_key
from nlp.api.errors import ApiError, error_body
from nlp.api.upload import read_upload
from nlp.api.xlsx import XLSX_MEDIA_TYPE
from nlp.review.exchange import export_csv, export_xlsx
from nlp.review.items import ScoredFileError, review_items, scored_jsonl_rows
from nlp.review.page import render_page
from nlp.review.service import configure, store_of
from nlp.review.store import DecisionChanged, ReviewStore, Shown

StoreDep = Annotated[ReviewStore, Depends(store_of)]
STATIC = {"review.js": "text/javascript; charset=utf-8", "review.css": "text/css; charset=utf-8"}

router = APIRouter(prefix="/review", dependencies=[Depends(require_api_key)], include_in_schema=False)


def install_review(app: FastAPI) -> None:
    """Serve ``/review`` on ``app``, with the store named by ``IQC_REVIEW_DB``."""
    configure(app)
    app.include_router(router)


class ShownIn(BaseModel):
    """The review a page showed when its reviewer changed it (all empty: none)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is refused, as in DecisionIn
    decision: Literal["accept", "reject"] | None = None
    comment: str = ""
    decided_at: str = ""


class DecisionIn(BaseModel):
    """A reviewer's decision on one finding; ``decision`` null records the comment and leaves the
    stored decision as it is. ``base`` is what the page showed: a save over a review changed since
    is refused (409); without it (an older page) the save is made as before. A key that is none of
    these is refused (422 ``unknown_field``): ``{"decison": "reject"}`` was saved as a review with
    no decision, 200, and a ``comments`` was dropped."""

    model_config = ConfigDict(extra="forbid")
    decision: Literal["accept", "reject"] | None = None
    comment: str = Field("", max_length=2000)
    reviewer: str = Field("", max_length=100)
    base: ShownIn | None = None


@router.get("", response_class=HTMLResponse)
def page(store: StoreDep) -> HTMLResponse:
    return HTMLResponse(render_page(store.batches()))


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        raise ApiError(404, "not_found", f"no static file {name!r}", "path.name")
    return Response(files("nlp.review").joinpath("static", name).read_bytes(), media_type=STATIC[name])


@router.get("/api/batches")
def batches(store: StoreDep) -> list[dict[str, str]]:
    return store.batches()


@router.post("/api/batches")
def open_batch(file: UploadFile, request: Request, store: StoreDep) -> dict[str, Any]:
    """Score an uploaded table (or take a scored JSONL as it is) and keep it as a batch."""
    try:
        rows = scored_jsonl_rows(file.file.read())
    except ScoredFileError as error:
        raise ApiError(422, "unreadable_file", f"{file.filename or 'upload'}:{error}", "file") from None
    if rows is None:
        file.file.seek(0)
        frame, _ = read_upload(file, request.app.state.settings)  # the page shows findings, not reading notes
        rows = request.app.state.scorer.score_frame(frame).to_dict("records")
    items = review_items(rows)
    batch_id = store.add_batch(file.filename or "upload", items)
    return {"id": batch_id, "name": file.filename or "upload", "rows": len(rows), "findings": len(items)}


@router.get("/api/batches/{batch_id}")
def batch(batch_id: str, store: StoreDep) -> dict[str, Any]:
    """The batch's items, each with its current decision (from any batch: keys follow the row)."""
    items = _items(store, batch_id)
    decided = store.by_key()
    for item in items:
        item.update(asdict(Shown.of(decided.get(item["key"]))))  # the base the page's next save is made over
    return {"id": batch_id, "items": items}


@router.put("/api/batches/{batch_id}/decisions/{key}", response_model=None)
def decide(batch_id: str, key: str, body: DecisionIn, store: StoreDep) -> dict[str, Any] | JSONResponse:
    """Save a decision; a 409 naming who changed the review when, with the stored one, when the
    page's ``base`` is no longer it."""
    item = next((i for i in _items(store, batch_id) if i["key"] == key), None)
    if item is None:
        raise ApiError(404, "not_found", f"batch {batch_id} has no finding {key}", "path.key")
    base = None if body.base is None else Shown(**body.base.model_dump())
    try:
        made = store.decide(key, item["code"], body.decision, body.comment, reviewer=body.reviewer,
                            batch=batch_id, cells=item["cells"], base=base)
    except DecisionChanged as changed:
        current = changed.current.to_dict() if changed.current else None
        return JSONResponse({**error_body("decision_changed", str(changed), "body.base"), "current": current},
                            status_code=409)
    return made.to_dict()


@router.get("/export.csv")
def export_as_csv(store: StoreDep) -> Response:
    return Response(export_csv(store.decisions()), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="review-decisions.csv"'})


@router.get("/export.xlsx")
def export_as_xlsx(store: StoreDep) -> Response:
    return Response(export_xlsx(store.decisions()), media_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": 'attachment; filename="review-decisions.xlsx"'})


def _items(store: ReviewStore, batch_id: str) -> list[dict[str, Any]]:
    items = store.batch_items(batch_id)
    if items is None:
        raise ApiError(404, "not_found", f"no batch {batch_id}", "path.batch_id")
    return items
