"""The ``local`` engine: chunks scored on this machine, in this process or in forked workers."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from nlp.tasks import Checked, Run, Setup, Task, loaded_scorer
from nlp.worker_pool import WorkerPool, in_order, worker_pool

_worker_scorer = None


def _init_worker(setup: Setup) -> None:
    """Load the model in each worker after the fork, so no process maps a copy it does not use."""
    global _worker_scorer
    _worker_scorer = loaded_scorer(setup)


def _run_in_worker(task: Task) -> Checked:
    return task.run(_worker_scorer)


#: The line a batch ends with when a scoring worker dies.
SCORER_LOST = ("a scoring worker ended abruptly (killed, perhaps for lack of memory); nothing was written. "
               "Run again, with fewer --jobs or a smaller --chunk-rows if memory is short")


@contextmanager
def scoring_pool(jobs: int, setup: Setup) -> Iterator[WorkerPool | None]:
    """``jobs`` worker processes loading the model (``None`` for jobs=1: scoring stays here).

    :func:`~nlp.batch.score_batch` starts them before its first pass, so that they load the model while this
    process reads, and so that they do not begin life as copies of this process's read state: a
    worker forked after the first pass of 1M rows counted the parent's ~380 MiB in its own RSS.
    Leaving the context, also on an error or an interrupt, terminates them.
    """
    if jobs <= 1:
        yield None
        return
    with worker_pool(jobs, SCORER_LOST, _init_worker, (setup,)) as pool:
        yield pool


def pooled(tasks: Iterator[Task], jobs: int, setup: Setup, pool: WorkerPool | None) -> Iterator[Checked]:
    """Results of ``tasks`` in order, from ``pool`` of ``jobs`` workers (at most two tasks a worker
    in flight) or, with no pool, from a scorer loaded in this process. A worker that died ends the
    batch with :class:`~nlp.worker_pool.EngineError`."""
    if pool is None:
        scorer = loaded_scorer(setup)
        yield from (task.run(scorer) for task in tasks)
        return
    yield from in_order(tasks, partial(pool.submit, _run_in_worker), 2 * jobs)


@dataclass(frozen=True)
class LocalEngine:
    """Scores on this machine: in this process (``jobs`` = 1) or in a pool of ``jobs`` forked
    workers (:func:`~nlp.worker_pool.worker_pool`)."""

    jobs: int = 1

    @contextmanager
    def started(self, setup: Setup) -> Iterator[Run]:
        """Starts the pool ahead of the first pass (see :func:`scoring_pool`)."""
        with scoring_pool(self.jobs, setup) as pool:
            yield partial(pooled, jobs=self.jobs, setup=setup, pool=pool)
