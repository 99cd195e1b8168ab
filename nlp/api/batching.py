"""Concurrent small ``/v1/score`` requests scored in one model call (micro-batching).

Why: featurising and scoring a call's never-seen rows has a fixed cost per call (building the
design matrix, the dot products, the scorer's bookkeeping) that a single-row request pays whole.
Scoring the requests that arrive together in one :meth:`~nlp.scorer.Scorer.score_requests` call
shares it (in-process, never-seen single-row requests: 0.77 ms of CPU each one by one, 0.48 ms
in calls of 16). Each request's rows stay a frame of their own there, so every result equals the
request scored alone.

When: the first request to wait schedules the flush with ``loop.call_soon``, so it runs once the
requests already being handled in this turn of the event loop have joined; a request that comes
alone waits for nothing, and under load the batch is whatever queued while the previous one was
scored. No timer, no size to tune.
"""
from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from nlp.api.deps import Scorer
from nlp.helper_pool import HelperPool
from nlp.scorer import Plan
from nlp.scorer import Scorer as ModelScorer

_Waiting = tuple[Scorer, list[Mapping[str, Any]], "asyncio.Future[list[dict[str, Any]]]"]


class MicroBatcher:
    """Collects the requests of one turn of the event loop and scores them together, per scorer."""

    def __init__(self) -> None:
        self._waiting: list[_Waiting] = []
        self._batches: set[asyncio.Task[None]] = set()  # the loop holds tasks weakly

    async def score(self, scorer: Scorer, records: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """``scorer.score(records)``, computed with the other requests waiting now."""
        loop = asyncio.get_running_loop()
        if not self._waiting:
            loop.call_soon(self._flush)
        future: asyncio.Future[list[dict[str, Any]]] = loop.create_future()
        self._waiting.append((scorer, records, future))
        return await future

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        by_scorer: dict[int, list[_Waiting]] = {}
        for item in waiting:
            by_scorer.setdefault(id(item[0]), []).append(item)
        for batch in by_scorer.values():
            task = asyncio.get_running_loop().create_task(_settle(batch))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)


async def _settle(batch: list[_Waiting]) -> None:
    try:
        results = await _scored(batch[0][0], [records for _, records, _ in batch])
    except Exception:  # noqa: BLE001 - score alone, so only the failing request fails
        for item in batch:
            _settle_alone(item)
        return
    for (_, _, future), result in zip(batch, results):
        if not future.done():  # a client that went away cancelled its wait
            future.set_result(result)


async def _scored(scorer: Scorer, requests: list[list[Mapping[str, Any]]]) -> list[list[dict[str, Any]]]:
    """``scorer.score_requests(requests)``; with the model's scorer and an idle helper process,
    the never-seen rows are scored there while the loop reads and answers other requests (the
    next batch, if no helper is idle then, is scored here: both cores score)."""
    helpers = scorer.helpers if isinstance(scorer, ModelScorer) else None
    if helpers is None:
        return scorer.score_requests(requests)
    plan = scorer.plan_requests(requests)
    fresh = await _helped(helpers, plan)
    return scorer.finish_requests(plan, scorer.score_fresh(plan) if fresh is None else fresh)


async def _helped(helpers: HelperPool, plan: Plan) -> list[tuple] | None:
    """The outputs of the plan's never-seen rows from an idle helper, or ``None``: none to score,
    no helper idle, or it failed (then the caller scores them)."""
    part = helpers.offer(plan.records, plan.facts) if plan.records else None
    if part is None:
        return None
    done = asyncio.wrap_future(part)
    await asyncio.wait([done])
    if not done.cancelled():
        done.exception()  # read here, or asyncio logs it as never retrieved: received() handles it
    return helpers.received(part)


def _settle_alone(item: _Waiting) -> None:
    scorer, records, future = item
    if future.done():
        return
    try:
        future.set_result(scorer.score_requests([records])[0])
    except Exception as exc:  # noqa: BLE001 - re-raised in the request's own handler
        future.set_exception(exc)
