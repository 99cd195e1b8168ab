"""``iqc score --engine dask``: a batch's chunks scored on a Dask cluster.

Only the scoring moves. This process still reads every input, builds the batch's copy index
(:class:`~nlp.copies.CopyIndex`: tables copied across documents and files are a batch-level fact,
so they are reduced here over the whole batch, as :func:`nlp.batch.score_batch` does locally),
and writes the output. Each chunk goes to a worker as the same :class:`~nlp.batch.Task` a local
worker gets — whole documents, with the twins of its tables — and comes back scored (for CSV,
TSV and JSONL already rendered as lines), in input order: the output is byte for byte the local
one.

A worker loads the model once per batch setup (model directory, configuration, baseline) and
keeps it for later batches with the same setup. One scoring runs at a time in a worker process
(the scorer's remembered rows and hidden-finding counts are not shared between threads, and
scoring holds the GIL anyway): give workers one thread each and as many processes as cores.
"""
from __future__ import annotations

import hashlib
import logging
import pickle
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nlp.batch import Checked, Setup, Task, in_order, loaded_scorer
from nlp.engines import EngineError

if TYPE_CHECKING:
    from distributed import Client

    from nlp.engines import Run
    from nlp.scorer import Scorer

#: How long to wait for a scheduler to answer, and then for its first worker.
CONNECT_SECONDS = 30

_scorers: dict[str, Scorer] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class DaskEngine:
    """A ``LocalCluster`` of ``jobs`` single-threaded worker processes, or the cluster whose
    scheduler is at ``scheduler`` (``tcp://host:8786``)."""

    jobs: int = 1
    scheduler: str | None = None

    @contextmanager
    def started(self, setup: Setup) -> Iterator[Run]:
        """Connect, send ``setup`` to every worker once and have each load its model while the
        inputs are read; yields the function that scores tasks there."""
        with _connected(self.jobs, self.scheduler) as client:
            key = hashlib.sha256(pickle.dumps(setup)).hexdigest()
            shared = client.scatter(setup, broadcast=True, hash=False)
            warming = [client.submit(_warm, key, shared, workers=[worker], allow_other_workers=False, pure=False)
                       for worker in client.scheduler_info()["workers"]]
            in_flight = 2 * sum(client.nthreads().values())

            def run(tasks: Iterator[Task]) -> Iterator[Checked]:
                client.gather(warming)  # a worker that cannot load the model fails the batch here, with its error
                submit = lambda task: client.submit(_run_task, key, shared, task, pure=False).result  # noqa: E731
                yield from in_order(tasks, submit, in_flight)

            yield run


@contextmanager
def _connected(jobs: int, scheduler: str | None) -> Iterator[Client]:
    from distributed import Client, LocalCluster

    if scheduler is None:
        with LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=":0",
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=CONNECT_SECONDS)
    except (OSError, ValueError) as error:
        raise EngineError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except TimeoutError:
            raise EngineError(f"no Dask worker joined the scheduler at {scheduler} within {CONNECT_SECONDS} s") from None
        yield client


def _scorer(key: str, setup: Setup) -> Scorer:
    """This worker's scorer for ``setup`` (``key`` is its digest); one setup is kept at a time."""
    if key not in _scorers:
        _scorers.clear()
        _scorers[key] = loaded_scorer(setup)
    return _scorers[key]


def _warm(key: str, setup: Setup) -> None:
    with _lock:
        _scorer(key, setup)


def _run_task(key: str, setup: Setup, task: Task) -> Checked:
    with _lock:
        return task.run(_scorer(key, setup))
