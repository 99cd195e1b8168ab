"""Concurrent small ``/v1/score`` requests scored in one model call (micro-batching), their
never-seen rows in a helper process while the event loop serves other requests.

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

Where: scoring the never-seen rows is most of a small request's CPU (~0.45 of ~0.9 ms), and the
loop, which also reads, parses and answers every request, is the server's bottleneck. With the
model's scorer and its helper processes (``request_helpers``), a batch is planned here
(:meth:`~nlp.scorer.Scorer.plan_requests`: tables, memory), its never-seen rows go down a helper's
lane (:mod:`nlp.lanes`) and the loop goes on with other requests until the outputs are back, then
finishes the batch here (:meth:`~nlp.scorer.Scorer.finish_requests`: memory, configuration), so
both cores work and the results are the ones scored here. A part whose helper failed is scored
here.

While every lane is full, the requests wait and join the next batch (a request that memory
answers too, for at most the part being scored, a few ms) rather than being scored here: a loop
freed of scoring flushes batches of one to three requests, and scoring those here, each at a
model call's fixed cost, made the loop's CPU a request go up. Measured in turn against the tree
without lanes (32 connections, never-seen single rows): 1,210-1,290 requests/s scoring them here,
1,310-1,770 holding them, 1,070-1,230 without lanes.
"""
from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from nlp.api.deps import Scorer
from nlp.lanes import Lanes
from nlp.scorer import Scorer as ModelScorer

_Waiting = tuple[Scorer, list[Mapping[str, Any]], "asyncio.Future[list[dict[str, Any]]]"]


class MicroBatcher:
    """Collects the requests of one turn of the event loop and scores them together, per scorer."""

    def __init__(self) -> None:
        self._waiting: list[_Waiting] = []
        self._holding = False  # the waiting requests wait for a lane
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
        scorers = {id(scorer): scorer for scorer, _, _ in self._waiting}.values()
        self._holding = any(lanes is not None and lanes.full for lanes in map(_lanes, scorers))
        if self._holding:  # a part coming back flushes them
            return
        waiting, self._waiting = [item for item in self._waiting if not item[2].done()], []  # done: client gone
        by_scorer: dict[int, list[_Waiting]] = {}
        for item in waiting:
            by_scorer.setdefault(id(item[0]), []).append(item)
        for batch in by_scorer.values():
            task = asyncio.get_running_loop().create_task(self._settle(batch))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)

    async def _settle(self, batch: list[_Waiting]) -> None:
        try:
            results = await _scored(batch[0][0], [records for _, records, _ in batch])
        except Exception:  # noqa: BLE001 - score alone, so only the failing request fails
            for item in batch:
                _settle_alone(item)
        else:
            for (_, _, future), result in zip(batch, results):
                if not future.done():  # a client that went away cancelled its wait
                    future.set_result(result)
        if self._holding:
            self._flush()


async def _scored(scorer: Scorer, requests: list[list[Mapping[str, Any]]]) -> list[list[dict[str, Any]]]:
    """``scorer.score_requests(requests)``, its never-seen rows scored down a helper's lane when
    one has room (here if none has, or the helper failed)."""
    lanes = _lanes(scorer)
    if lanes is None:
        return scorer.score_requests(requests)
    plan = scorer.plan_requests(requests)
    part = lanes.send(plan.records, plan.facts) if plan.records else None
    fresh = None if part is None else await part
    return scorer.finish_requests(plan, scorer.score_fresh(plan) if fresh is None else fresh)


def _lanes(scorer: Scorer) -> Lanes | None:
    """The lanes of the model scorer's helpers, if it has helpers and they are open."""
    helpers = scorer.helpers if isinstance(scorer, ModelScorer) else None
    return None if helpers is None else helpers.lanes


def _settle_alone(item: _Waiting) -> None:
    scorer, records, future = item
    if future.done():
        return
    try:
        future.set_result(scorer.score_requests([records])[0])
    except Exception as exc:  # noqa: BLE001 - re-raised in the request's own handler
        future.set_exception(exc)
