"""The ``/v1`` endpoints.

Scoring is CPU-bound (jieba holds the GIL), so large requests run in FastAPI's thread pool, keeping
the event loop free to accept connections and answer ``/v1/health``. A small ``/v1/score`` body
(a few rows, the common single-row call) is scored on the loop itself: a remembered row costs
microseconds, and the thread hop plus GIL hand-over under 32 concurrent clients cost more than the
work (p99 ~1 s vs ~tens of ms measured with wrk). Small bodies that arrive together are scored in
one model call (:mod:`nlp.api.batching`), their never-seen rows in a helper process when the
server has one. Throughput comes from processes (helpers, ``iqc serve --workers N``), not threads.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

import nlp
from nlp.api.auth import require_api_key
from nlp.api.deps import Scorer, body_of, known_query, scorer_of, settings_of
from nlp.api.models import (EXAMPLE_ROW, CodeEntry, CodesResponse, ErrorBody, FileScoreResponse,
                            Health, IndicatorIn, ModelInfo, ScoreResponse)
from nlp.api.results import output_response, scored_response
from nlp.api.rows import parse_rows
from nlp.api.settings import ApiSettings
from nlp.api.upload import only_file_part, read_upload
from nlp.api.xlsx import XLSX_MEDIA_TYPE, scored_workbook
from nlp.codes import catalogue, precedence
from nlp.scorer import Scorer as ModelScorer

#: Bodies up to this size are scored on the event loop (≈ 10 rows); larger ones in the thread pool.
INLINE_BODY_BYTES = 4096

ScorerDep = Annotated[Scorer, Depends(scorer_of)]
SettingsDep = Annotated[ApiSettings, Depends(settings_of)]

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in {
        400: "malformed JSON", 401: "missing or wrong X-API-Key (only when IQC_API_KEY is set)",
        413: "body or row count over the limit", 415: "compressed body (Content-Encoding)",
        422: "invalid field, missing field, field given twice, misspelt field, cell too long, "
        "unreadable upload, unknown query parameter"}.items()}

_ROW_SCHEMA = IndicatorIn.model_json_schema()
_SCORE_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"anyOf": [_ROW_SCHEMA, {"type": "array", "items": _ROW_SCHEMA}]},
    "examples": {
        "one row": {"value": EXAMPLE_ROW},
        "several rows": {"value": [EXAMPLE_ROW, {"row_id": "r2", "level2": "社会效益指标",
                                                "level3": "提升开发区形象", "target_value": "比上年提升"}]},
    }}}}}

public = APIRouter(prefix="/v1", dependencies=[Depends(known_query)])
protected = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key), Depends(known_query)], responses=_ERRORS)


@public.get("/health", response_model=Health, summary="Liveness; never touches the model")
async def health(request: Request) -> Health:
    return Health(version=nlp.__version__, model_loaded=hasattr(request.app.state, "scorer"))


@protected.get("/model", response_model=ModelInfo, summary="Model version, training-data hash, metrics")
async def model(scorer: ScorerDep) -> ModelInfo:
    return ModelInfo.model_validate(scorer.model_info)


@protected.get("/codes", response_model=CodesResponse, summary="The finding-code catalogue")
async def codes() -> CodesResponse:
    return _codes()


@protected.get("/schema", summary="JSON Schema of a scored record (JSONL line or API row), with its schema_version")
async def schema() -> dict[str, Any]:
    return _schema()


@protected.post("/score", response_model=ScoreResponse, openapi_extra=_SCORE_BODY,
                summary="Score one indicator object or a list of them")
async def score(request: Request, body: Annotated[bytes, Depends(body_of)], scorer: ScorerDep,
                settings: SettingsDep) -> Response:
    if len(body) <= INLINE_BODY_BYTES:  # a few rows: cheaper on the loop than a thread hop
        records = _records(body, settings)
        scored = await request.app.state.batcher.score(scorer, records) if records else []
        return _response(scorer, scored)
    return await run_in_threadpool(_score_body, body, scorer, settings)


def _score_body(body: bytes, scorer: Scorer, settings: ApiSettings) -> Response:
    records = _records(body, settings)
    if isinstance(scorer, ModelScorer):  # the model's own: answered from its outputs, no dict a row
        envelope = ScoreResponse(model_version=_version(scorer), rows=[])
        return output_response(envelope, records, scorer.score_outputs(records) if records else [])
    return _response(scorer, scorer.score(records) if records else [])


def _records(body: bytes, settings: ApiSettings) -> list[dict[str, Any]]:
    return [row.to_record(i) for i, row in enumerate(parse_rows(body, settings), start=1)]


def _response(scorer: Scorer, scored: list[dict[str, Any]]) -> Response:
    return scored_response(ScoreResponse(model_version=_version(scorer), rows=[]), scored)


@protected.post("/score/file", response_model=FileScoreResponse, dependencies=[Depends(only_file_part)],
                responses={200: {"content": {XLSX_MEDIA_TYPE: {}},
                                 "description": "JSON, or the annotated workbook when asked for XLSX"}},
                summary="Score an uploaded CSV/XLSX; JSON or annotated XLSX back")
def score_file(
    file: UploadFile,
    scorer: ScorerDep,
    settings: SettingsDep,
    format: Annotated[Literal["json", "xlsx"] | None, Query(description="overrides Accept")] = None,
    accept: Annotated[str, Header()] = "",
) -> Response:
    frame, warnings = read_upload(file, settings)
    scored = scorer.score_frame(frame)
    name = file.filename or "upload"
    if format == "xlsx" or (format is None and XLSX_MEDIA_TYPE in accept):
        return Response(scored_workbook(scored, warnings), media_type=XLSX_MEDIA_TYPE,
                        headers={"Content-Disposition": _attachment(name)})
    envelope = FileScoreResponse(model_version=_version(scorer), file=name, rows=[], warnings=warnings)
    return scored_response(envelope, scored.to_dict("records"))


def _version(scorer: Scorer) -> str:
    return str(scorer.model_info.get("version", ""))


def _attachment(upload_name: str) -> str:
    """``Content-Disposition`` for ``<stem>.scored.xlsx``; RFC 5987 keeps Chinese names intact."""
    stem = upload_name.rsplit(".", 1)[0] or "upload"
    return f"attachment; filename=\"scored.xlsx\"; filename*=UTF-8''{quote(stem + '.scored.xlsx')}"


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    from nlp.record_schema import record_schema

    return record_schema()


@lru_cache(maxsize=1)
def _codes() -> CodesResponse:
    ranks = precedence()
    return CodesResponse(codes=[
        CodeEntry(code=code, precedence=ranks.get(code, len(ranks)), ambiguous=entry.get("ambiguous"),
                  examples={"bad": entry.get("example_bad", ""), "good": entry.get("example_good", "")},
                  **{k: entry.get(k, "") for k in ("family", "severity", "field", "title", "description",
                                                   "message", "suggestion")})
        for code, entry in catalogue().items()])
