"""``iqc score --engine dask``: a batch's chunks scored on a Dask cluster.

Only the scoring moves. This process still reads every input, builds the batch's copy index
(:class:`~nlp.copies.CopyIndex`: tables copied across documents and files are a batch-level fact,
so they are reduced here over the whole batch, as :func:`nlp.batch.score_batch` does locally),
and writes the output. Each chunk goes to a worker as the same :class:`~nlp.tasks.Task` a local
worker gets — whole documents, with the twins of its tables — and comes back scored (for CSV,
TSV and JSONL already rendered as lines), in input order: the output is byte for byte the local
one.

A worker loads the model once per batch setup (model directory, configuration, baseline) and
keeps it for later batches with the same setup; before any chunk is sent, every worker's model
and scoring-code fingerprint must be this machine's (:func:`check_same_model`). One scoring runs
at a time in a worker process (the scorer's remembered rows and hidden-finding counts are not
shared between threads, and scoring holds the GIL anyway): give workers one thread each and as
many processes as cores.
"""
from __future__ import annotations

import hashlib
import itertools
import logging
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from nlp.artifacts import read_manifest
from nlp.tasks import Checked, Setup, Task, loaded_scorer
from nlp.worker_pool import WORKER_CHECK_SECONDS, EngineError, in_order
from nlp.resources import models_path

if TYPE_CHECKING:
    from distributed import Client, Future

    from nlp.tasks import Run
    from nlp.scorer import Scorer

#: How long to wait for a scheduler to answer, and then for its first worker.
CONNECT_SECONDS = 30

#: How long the scheduler may take to see a worker leave whose connection to this process closed.
LEAVING_SECONDS = 5

#: What to do about a worker that cannot score as this machine does.
SAME_EVERYWHERE = "install the same indicator-qc and models on every worker as on this machine"

_scorers: dict[str, Scorer] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class DaskEngine:
    """A ``LocalCluster`` of ``jobs`` single-threaded worker processes, or the cluster whose
    scheduler is at ``scheduler`` (``tcp://host:8786``)."""

    jobs: int = 1
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.scheduler is not None:
            check_address(self.scheduler)

    @contextmanager
    def started(self, setup: Setup) -> Iterator[Run]:
        """Connect, send ``setup`` to every worker once and have each load its model while the
        inputs are read; yields the function that scores tasks there."""
        identity = model_identity(setup.models_dir)
        with _connected(self.jobs, self.scheduler) as client:
            # which scorer a worker keeps: a new model (installed on every machine) is a new key
            key = hashlib.sha256(pickle.dumps((setup, identity))).hexdigest()
            shared = _broadcast(client, setup)
            warming = {worker: client.submit(_warm, key, shared, workers=[worker], allow_other_workers=False,
                                             pure=False)
                       for worker in client.scheduler_info()["workers"]}
            yield partial(_scored, client, key, shared, warming, identity)


def check_address(scheduler: str) -> None:
    """``ValueError`` (one line) unless ``scheduler`` can be a scheduler's address, before any input
    is read: Dask tried a port out of range (``tcp://host:99999``) for :data:`CONNECT_SECONDS`,
    then said only that it timed out."""
    from distributed.comm.addressing import get_address_host_port

    try:
        _, port = get_address_host_port(scheduler)
    except ValueError as error:
        reason = str(error)
    else:
        if 0 < port < 65536:
            return
        reason = f"port {port} is not one of 1-65535"
    raise ValueError(f"--scheduler {scheduler}: not a Dask scheduler address such as tcp://host:8786 ({reason})")


def _broadcast(client: Client, setup: Setup) -> Future:
    """``setup`` sent to every worker. A worker that cannot take it (no indicator-qc there, or
    another version) failed the scatter with a bare ``Exception`` holding its own error's text,
    and the batch with a traceback of Dask's; :class:`EngineError` says what to do instead."""
    try:
        return client.scatter(setup, broadcast=True, hash=False)
    except Exception as error:  # the worker's error, re-raised by Dask as a plain Exception
        raise EngineError(f"the Dask workers cannot take the batch ({error}): {SAME_EVERYWHERE}; "
                          "nothing was written") from None


def _scored(client: Client, key: str, setup: Future, warming: dict[str, Future], identity: tuple,
            tasks: Iterator[Task]) -> Iterator[Checked]:
    """Results of ``tasks`` in order. Each chunk is sent straight to a worker (round robin over the
    workers whose model was checked), not through the scheduler, which only gets the small task
    that refers to it: a chunk is megabytes, and a scheduler is one process for the whole cluster.
    A worker lost meanwhile (its chunks with it) or a connection dropped ends the batch with
    :class:`EngineError`."""
    from distributed import KilledWorker

    # a worker that cannot load the model fails the batch here, with its error
    check_same_model(_identities(client, warming), identity)
    workers = itertools.cycle(warming)

    def submit(task: Task) -> Callable[[], Checked]:
        worker = [next(workers)]
        # interrupted inside, scatter cancels its send without waiting for it: the send then failed
        # as the cluster closed, with tracebacks asyncio printed under "iqc: interrupted"
        with _signals_held():
            data = client.scatter(task, direct=True, hash=False, workers=worker)
        # run where the chunk is: the scheduler moved some to an idle worker, one not checked too
        return client.submit(_run_task, key, setup, data, workers=worker, allow_other_workers=False, pure=False).result

    try:
        yield from in_order(tasks, submit, 2 * sum(client.nthreads().values()))
    except (OSError, KilledWorker, CancelledError) as error:  # the cluster's failures, not the scoring's
        raise _lost(client, warming, error) from None


def _lost(client: Client, workers: Iterable[str], error: BaseException) -> EngineError:
    """The cluster's failure during the batch in words a user can act on: the worker(s) that left
    it, by address, or the scheduler out of reach. Dask's own words (a closed connection between
    two addresses, neither said to be a worker that died) are kept only when neither is known."""
    gone = _gone(client, workers)
    if gone is None:  # Dask's words for it took two lines
        return EngineError("the connection to the Dask scheduler was lost during the batch; nothing was written: "
                           "run it again once the scheduler is back")
    if not gone:
        return EngineError(f"the Dask cluster failed during the batch, nothing was written "
                           f"({type(error).__name__}: {' '.join(str(error).split())})")
    return EngineError(f"the Dask worker(s) {', '.join(gone)} left the cluster during the batch (stopped, or "
                       "killed: out of memory?); nothing was written: see their logs, then run the batch again")


def _gone(client: Client, workers: Iterable[str]) -> list[str] | None:
    """Which of ``workers`` left the cluster; None when the scheduler is out of reach (the client
    gave up reconnecting). A killed worker's connection to this process can close before the
    scheduler has seen it leave, so the scheduler is asked again for up to :data:`LEAVING_SECONDS`."""
    deadline = time.monotonic() + LEAVING_SECONDS
    while client.status == "running":
        try:
            present = client.scheduler_info()["workers"]
        except OSError:
            return None
        gone = [worker for worker in workers if worker not in present]
        if gone or time.monotonic() >= deadline:
            return gone
        time.sleep(WORKER_CHECK_SECONDS)
    return None


def _identities(client: Client, warming: dict[str, Future]) -> dict[str, tuple]:
    """What each worker's model load (:func:`_warm`) returned. A load is pinned to its worker: one
    that left the cluster meanwhile (killed while the inputs were read; a LocalCluster's nanny
    starts another, at a new address) left the batch waiting for it forever, so that ends the batch."""
    identities: dict[str, tuple] = {}
    for worker, future in warming.items():
        while worker not in identities:
            try:
                identities[worker] = future.result(timeout=WORKER_CHECK_SECONDS)
            except TimeoutError:
                if worker not in client.scheduler_info()["workers"]:
                    raise EngineError(f"the Dask worker {worker} left the cluster before the batch was scored; "
                                      "nothing was written") from None
            except (OSError, CancelledError) as error:  # the cluster's failures, not the worker's load
                raise _lost(client, warming, error) from None
            except Exception as error:  # the load's own (a models dir it lacks, a damaged model, …)
                if future.cancelled():  # …unless the client lost the scheduler: distributed then raised an
                    raise _lost(client, warming, error) from None  # UnboundLocalError of its own here
                raise EngineError(f"the Dask worker {worker} cannot load the model ({error}): {SAME_EVERYWHERE}; "
                                  "nothing was written") from None
    return identities


@contextmanager
def _connected(jobs: int, scheduler: str | None) -> Iterator[Client]:
    from distributed import Client, LocalCluster

    if scheduler is None:
        # the scheduler and the workers' nannies run in this process: their error logs (a lost
        # worker's chunks, a worker that failed to start) said with tracebacks what the batch says
        # in one line
        with ExitStack() as started:
            with _signals_held():
                started.enter_context(_forked_workers())
                cluster = started.enter_context(LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                                             dashboard_address=":0", silence_logs=logging.CRITICAL))
                client = started.enter_context(Client(cluster))
            yield client
        return
    from distributed.utils import silence_logging_cmgr

    try:
        client = Client(scheduler, timeout=CONNECT_SECONDS)
    except OSError as error:
        raise EngineError(f"cannot reach the Dask scheduler at {scheduler}: {error}{_last_try(error)}") from None
    except Exception as error:  # noqa: BLE001 - Dask read another server's answer as its own frames
        raise EngineError(f"what answers at {scheduler} is not a Dask scheduler (Dask could not read its answer: "
                          f"{type(error).__name__}): check the address and port") from None
    # a scheduler lost mid-batch was logged ("Failed to reconnect to scheduler …") above the batch's line
    with silence_logging_cmgr(logging.CRITICAL), client:
        try:
            client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except TimeoutError:
            raise EngineError(f"no Dask worker joined the scheduler at {scheduler} within {CONNECT_SECONDS} s") from None
        yield client


def _last_try(error: BaseException) -> str:
    """What failed the last try to connect, in words for after Dask's "Timed out trying to connect
    … after 30 s", which alone hid a host name that does not resolve or a refused connection."""
    cause = error
    while (inner := cause.__cause__ or cause.__context__) is not None:
        cause = inner
    return "" if cause is error else f" (last try: {' '.join(str(cause).split())})"


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM held while the block runs and sent again once it ends.

    Why: interrupted while ``LocalCluster`` started its workers, the batch never got the cluster
    to close; Dask's own clean-up at exit then failed (``AssertionError: Status.init``), and so did
    workers still being started, each with a traceback under "iqc: interrupted". Held, the
    interruption comes once the cluster is in the batch's hands, which close it. (The same for a
    chunk being sent: see :func:`_scored`.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {signum: signal.signal(signum, lambda signum, _: held.append(signum))
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if held:
            signal.raise_signal(held[0])


#: What a local worker imports before it can score: imported once, in the fork server.
WORKER_PRELOAD = ["distributed", "nlp.batch", "nlp.scorer"]


@contextmanager
def _forked_workers() -> Iterator[None]:
    """Local workers forked from a server that has imported the scoring code once, instead of
    spawned interpreters that each import it (about 2 CPU-seconds a worker, while this process
    reads the inputs on the same cores). Dask sets its own preload list on its first use of the
    fork server's context and not again, so ours, set after it, is the one used. Windows has no
    fork server: there the workers are spawned as before."""
    if sys.platform == "win32":
        yield
        return
    import dask
    from distributed.utils import get_mp_context

    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        get_mp_context().set_forkserver_preload(WORKER_PRELOAD)
        _start_deaf_to_ctrl_c()
        yield


def _start_deaf_to_ctrl_c() -> None:
    """Start the fork server with Ctrl-C blocked, which it keeps, and the workers it forks with it.

    Why: a terminal's Ctrl-C reaches every process of the batch, and the batch closes its cluster
    itself; a worker that took it printed "Process Dask Worker process (from Nanny):" and two
    tracebacks under "iqc: interrupted" (the local engine's workers ignore it too:
    :func:`nlp.worker_pool._start_worker`). A handler set in a worker would come too late for a
    Ctrl-C while it starts; a blocked signal stays blocked across ``fork`` and ``exec``. Blocked,
    not ignored: ignoring is process-wide, and the batch lost a Ctrl-C sent while the server
    started (it ran to the end and exited 0); a blocked one waits for this thread, or is taken by
    another. The resource tracker is started first: starting it unblocks Ctrl-C on its way out. A
    fork server already running (an earlier batch of this process) is kept as it is.
    """
    from multiprocessing import forkserver, resource_tracker

    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _scorer(key: str, setup: Setup) -> Scorer:
    """This worker's scorer for ``setup`` (``key`` is its digest); one setup is kept at a time."""
    if key not in _scorers:
        _scorers.clear()
        _scorers[key] = loaded_scorer(setup)
    return _scorers[key]


def _warm(key: str, setup: Setup) -> tuple:
    """Load the model before the first chunk arrives; say which model it is."""
    with _lock:
        _scorer(key, setup)
    return model_identity(setup.models_dir)


def model_identity(models_dir: Path | None) -> tuple:
    """The trained model's artifact hashes and the scoring-code fingerprint it was trained with.
    ``nlp.load`` checks a process's own code against the latter, so two processes with the same
    identity score alike; the client compares every worker's with its own."""
    manifest = read_manifest(models_dir or models_path())
    return manifest.get("fingerprint", {}).get("sha256"), tuple(sorted(manifest.get("artifacts", {}).items()))


def check_same_model(identities: dict[str, tuple], own: tuple) -> None:
    """:class:`EngineError` naming the workers whose model or scoring code is not this machine's:
    their rows would not score as a local run does."""
    others = [worker for worker, identity in identities.items() if identity != own]
    if others:
        raise EngineError(f"Dask worker(s) {', '.join(others)} have another model or scoring code than this "
                          f"machine: {SAME_EVERYWHERE}")


def _run_task(key: str, setup: Setup, task: Task) -> Checked:
    """Score one chunk on this worker; ``setup`` arrives once per worker (scattered), not per chunk."""
    with _lock:
        return task.run(_scorer(key, setup))
