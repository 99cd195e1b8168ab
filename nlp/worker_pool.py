"""Forked worker processes that a batch hands work to, and the loop that takes results in order.

One pool for both kinds of a batch's work: reading its files (:mod:`nlp.first_pass`) and scoring
its chunks (:mod:`nlp.batch`). What both need and ``multiprocessing.Pool`` does not give: a dead
worker ends the batch with one line instead of leaving it waiting for ever, and results come back
in input order with a bounded number in flight.
"""
from __future__ import annotations

import gc
import multiprocessing
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from multiprocessing.pool import TERMINATE, AsyncResult, Pool
from typing import Any, TypeVar

#: How often a batch waiting for a result checks that its workers are alive.
WORKER_CHECK_SECONDS = 0.5

Work = TypeVar("Work")
Done = TypeVar("Done")


class EngineError(RuntimeError):
    """The workers cannot go on (one died; a Dask scheduler is out of reach or has no workers):
    one line for the user. Raised by this pool and by every engine (:mod:`nlp.engines`)."""


@dataclass(frozen=True)
class WorkerPool:
    """A ``multiprocessing.Pool``, the worker processes it started with, and what to say if one dies.

    When a worker dies (the kernel's out-of-memory killer, ``kill -9``) the pool starts another
    and waits for the dead one's work forever; so a result is awaited a little at a time, and a
    worker of the first ones gone ends the batch (see :func:`_abandon` for how the pool is then
    stopped). (``concurrent.futures``' pool fails its pending results by itself, but in one of 25
    runs of ``tests/test_batch_edges.py``'s killed-worker test a surviving worker stayed blocked on
    the result queue's lock, which the killed one had held.)
    """

    pool: Pool
    workers: tuple[multiprocessing.process.BaseProcess, ...]
    lost: str  # the one line a dead worker ends the batch with

    def submit(self, function: Callable[[Work], Done], work: Work) -> Callable[[], Done]:
        """Start ``function(work)`` in a worker; returns what waits for its result."""
        return partial(self._result, self.pool.apply_async(function, (work,)))

    def stop(self) -> None:
        """End the workers now, their work done (leaving :func:`worker_pool`'s context would too)."""
        self.pool.terminate()

    def _result(self, pending: AsyncResult) -> Any:
        while True:
            try:
                return pending.get(timeout=WORKER_CHECK_SECONDS)
            except multiprocessing.TimeoutError:
                if any(worker.exitcode is not None for worker in self.workers):
                    raise EngineError(self.lost) from None


@contextmanager
def worker_pool(jobs: int, lost: str, initializer: Callable[..., None] | None = None,
                initargs: tuple = ()) -> Iterator[WorkerPool]:
    """``jobs`` forked worker processes, each set up by ``initializer(*initargs)``.

    Leaving the context, also on an error or an interrupt, terminates them; ``lost`` is the line
    the batch ends with if one of them dies.
    """
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    others = set(multiprocessing.active_children())
    gc.freeze()  # the workers' collector leaves this process's objects alone: their pages stay shared
    try:
        pool = context.Pool(jobs, initializer=_start_worker, initargs=(initializer, initargs))
    finally:
        gc.unfreeze()
    with pool:
        try:
            yield WorkerPool(pool, tuple(p for p in multiprocessing.active_children() if p not in others), lost)
        except EngineError:  # a worker died, perhaps holding one of the pool's locks
            _abandon(pool)
            raise


def _start_worker(initializer: Callable[..., None] | None, initargs: tuple) -> None:
    """Signals are the batch's: SIGTERM ends a worker (the batch's handler, :mod:`nlp.report.atomic`,
    is for the process that owns the output) and Ctrl-C, which a terminal sends to every process of
    the batch, is left to the batch, which stops its workers (each printed "Process
    ForkPoolWorker-N:" and its interrupted traceback under "iqc: interrupted")."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)


def _abandon(pool: Pool) -> None:
    """Stop a pool one of whose workers died, without ``Pool.terminate``, which can wait forever.

    A worker killed while it held a queue lock never releases it: an idle one holds the task
    queue's while it waits for work (1 of 3 runs killing idle workers hung), a busy one the
    result queue's while it sends a result, and ``terminate`` takes both; killed mid-result, it
    also leaves the pool's result thread waiting for the rest of a message that never comes (a CI
    run and 1 of ~80 local runs of the killed-worker test hung so). So the pool stops replacing
    workers, the others are killed, and its finaliser is cancelled: leaving the ``with`` returns at
    once, and the pool's daemon threads end with the process. CPython keeps these as
    ``Pool._worker_handler``, ``Pool._pool`` and ``Pool._terminate``: private attributes, looked
    up defensively.
    """
    handler = getattr(pool, "_worker_handler", None)
    if handler is not None:
        handler._state = TERMINATE  # no more replacement workers
    for process in list(getattr(pool, "_pool", ())):
        if process.exitcode is None:
            process.kill()
            process.join(timeout=5)
    finaliser = getattr(pool, "_terminate", None)
    if finaliser is not None:
        finaliser.cancel()


def in_order(works: Iterable[Work], submit: Callable[[Work], Callable[[], Done]], in_flight: int) -> Iterator[Done]:
    """Results of ``works`` in input order, with at most ``in_flight`` of them submitted (so memory
    stays bounded while the caller waits). ``submit`` starts one and returns what waits for its
    result; every engine that scores elsewhere, and the first pass's readers, share this loop."""
    pending: deque[Callable[[], Done]] = deque()
    for work in works:
        pending.append(submit(work))
        if len(pending) >= in_flight:
            yield pending.popleft()()
    while pending:
        yield pending.popleft()()
