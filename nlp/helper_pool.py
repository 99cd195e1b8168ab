"""Helper processes that score a large call's never-seen rows beside the calling process.

Why: an HTTP API worker is one Python process, so a request of 1,000 never-seen rows (or an
uploaded table) was scored on one core, ~230 µs a row. Once the scorer has found a call's tables,
copies and table facts, its rows are independent (:meth:`~nlp.scorer.Scorer.score_records`), so
they can be scored in parts: one in the calling process, one in each helper. Each helper holds
the same model, loaded from the same directory and checked against the caller's manifest before
it is used. Rows, facts and outputs cross as pickles (~20 µs a row), so a part's outputs are the
ones the calling process would have computed (``tests/test_helper_pool.py``).

A call hands its parts over before it scores its own: the executor's threads pickle a part and
write it to the helper, and each needs the GIL to do so, which a thread scoring rows gives up
only every switch interval (5 ms). Started at once, the caller's part kept a 500-row part from
reaching an idle helper for 15-27 ms of its ~120, and the call then waited for the helper. Now
a call whose helpers are idle waits until they have taken their parts (~3 ms; helpers busy with
another call's part are not waited for): the parts of a 1,000-row call are all in after 131
instead of 144 ms (p50, quiet machine; 128 with the pickles below). Parts are numbered as they are sent, and a helper marks
the number of each part it takes in a ring of shared slots; one writer per slot needs no lock,
so there is no named semaphore either, which a server ended by SIGTERM would leave behind.

Findings and table facts cross as their class and field values (:func:`_by_fields`): pickled
by default, a frozen dataclass goes through ``dataclasses.fields()`` and a ``setattr`` per
field, in Python: pickling and unpickling a 500-row part's rows and outputs (~750 findings, 500
table facts) took 7.9 ms, now 3.3 ms, most of it on the way of the call's answer.

Calls under :data:`MIN_SHARED_ROWS` never-seen rows stay in the process: there the round trip
costs more than it saves. The API's micro-batches of small requests reach the helpers another
way: each helper also serves a lane (:mod:`nlp.lanes`), a pipe pair that the server's event
loop writes and reads itself, without waiting for the scored rows.

Helpers are spawned, not forked: the API server has threads by the time it starts them, and a
forked copy of a threaded process can inherit a held lock; and ``forkserver`` is one server per
process, whose preloaded modules the Dask engine sets (:mod:`nlp.dask_engine`).

A helper that dies costs nothing but speed: its part is scored in the calling process, the pool
is closed with one warning, and every later call is scored in the process, as without helpers.
"""
from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.reduction import ForkingPickler
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nlp.lanes
from nlp.completeness import TableGaps
from nlp.context import TableFacts
from nlp.lanes import Lanes, LanePipes, ScoreRecords, serve_lane
from nlp.schema import Finding

if TYPE_CHECKING:
    from nlp.scorer import Scorer

#: Never-seen rows a call needs before it is shared with the helpers. A single-row request
#: micro-batched with its neighbours brings ~13; a part of 100 rows costs ~23 ms to score and
#: ~2 ms to send and receive.
MIN_SHARED_ROWS = 200
#: Longest a call waits for idle helpers to take its parts before scoring its own; they take
#: them in ~3 ms, so this only bounds the wait when a helper is slow to start one.
HANDOVER_SECONDS = 0.05
#: How often the waiting call looks.
HANDOVER_POLL_SECONDS = 0.0005
#: Slots of the ring where helpers mark the parts they take (part ``n`` in slot ``n % TAKEN_SLOTS``):
#: far more than can be in flight at once.
TAKEN_SLOTS = 1024
#: How often an idle helper checks that its parent still runs.
PARENT_CHECK_SECONDS = 1.0
#: How long a helper sent SIGTERM waits for its caller to stop it before it leaves by itself.
TERM_GRACE_SECONDS = 10.0
#: What identifies a model: a helper must report the caller's values for these.
IDENTITY_KEYS = ("version", "created", "training_data_sha256")

log = logging.getLogger(__name__)
_helper_scorer: Scorer | None = None
_helper_taken: Any = None
_leave_by = float("inf")  # when a helper sent SIGTERM leaves, if its caller has not stopped it


class HelperError(RuntimeError):
    """The helpers could not start, or hold another model than the caller's."""


class HelperPool:
    """``processes`` helper processes, each loading the model in ``models_dir`` as it starts.

    Loading begins at construction, so the caller can load its own model meanwhile;
    :meth:`attach` waits for the helpers, checks their model and hands the pool to a scorer.
    """

    def __init__(self, processes: int, models_dir: Path | None = None, min_rows: int = MIN_SHARED_ROWS) -> None:
        if processes < 1:
            raise ValueError(f"a helper pool needs at least one process, not {processes}")
        self.processes, self.min_rows = processes, min_rows
        context = multiprocessing.get_context("spawn")
        self._taken = context.RawArray("Q", TAKEN_SLOTS)  # a part's number, once a helper has taken it
        self._sent = 0  # parts numbered so far
        self._pending: list[Future[list[tuple]]] = []  # parts sent whose outputs have not come back
        self._sending = threading.Lock()
        self._pipes = LanePipes(processes)
        #: The helpers' lanes for the API's micro-batches, once :meth:`connect_lanes` has opened them.
        self.lanes: Lanes | None = None
        self._executor: ProcessPoolExecutor | None = ProcessPoolExecutor(
            processes, mp_context=context, initializer=_load_helper,
            initargs=(models_dir, self._taken, self._pipes.for_helpers))
        # each submit spawns a helper while none is idle: all of them are running after these
        self._loading = [self._executor.submit(_model_identity) for _ in range(processes)]
        self._pipes.spawned()

    def __enter__(self) -> HelperPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def attach(self, scorer: Scorer) -> Scorer:
        """Wait until every helper has loaded its model, check it is ``scorer``'s, and let
        ``scorer`` share its large calls with them. :class:`HelperError` (the pool closed) if not."""
        expected = _identity(scorer.model_info)
        try:
            found = [future.result() for future in self._loading]
        except (BrokenProcessPool, OSError) as exc:
            self.close()
            raise HelperError(f"helper processes did not start: {exc}") from None
        if any(identity != expected for identity in found):
            self.close()
            raise HelperError(f"a helper loaded model {found} instead of {expected}")
        scorer.helpers = self
        return scorer

    async def connect_lanes(self) -> None:
        """Open the helpers' lanes (:mod:`nlp.lanes`) on the running loop: the API server's, in
        its lifespan, once :meth:`attach` has succeeded."""
        self.lanes = await self._pipes.connect(self._lane_lost)

    def worth_sharing(self, rows: int) -> bool:
        return self._executor is not None and rows >= self.min_rows

    def share(self, score_here: ScoreRecords, records: list[dict[str, str]], facts: list[TableFacts]) -> list[tuple]:
        """``score_here(records, facts)``, computed in ``processes + 1`` parts at once: the first
        here, the others in the helpers (a part whose helper failed is scored here after all)."""
        executor, bounds = self._executor, _bounds(len(records), self.processes + 1)
        with self._sending:
            self._pending = [future for future in self._pending if not future.done()]
            idle = not self._pending  # no other call's part keeps a helper busy
            sent = [(part, self._submit(executor, records[part], facts[part])) for part in bounds[1:]]
            self._pending += [future for _, future in sent if future is not None]
            last = self._sent
        if idle:
            self._handed_over(last)
        outputs = score_here(records[bounds[0]], facts[bounds[0]])
        for part, future in sent:
            outputs.extend(self._received(future) or score_here(records[part], facts[part]))
        return outputs

    def close(self, wait: bool = True) -> None:
        """Stop the helpers (a pending part is cancelled, its caller scores it itself); with
        ``wait``, return once they have exited, so that none outlives a server that stops."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)
        self._pipes.close()
        if self.lanes is not None:
            self.lanes.close()

    def _submit(self, executor: ProcessPoolExecutor | None, records: list[dict[str, str]],
                facts: list[TableFacts]) -> Future[list[tuple]] | None:
        """The part sent under the next number (the caller holds ``_sending``), or ``None``."""
        if executor is None:
            return None
        try:
            self._sent += 1
            return executor.submit(_score_part, self._sent, records, facts)
        except (BrokenProcessPool, RuntimeError) as exc:  # RuntimeError: shut down meanwhile
            self._lost(exc)
            return None

    def _handed_over(self, last: int) -> None:
        """Wait, releasing the GIL, until the helpers have taken part number ``last`` (they take
        parts in order, so every one before it too), or :data:`HANDOVER_SECONDS` have passed."""
        deadline = time.monotonic() + HANDOVER_SECONDS
        while self._taken[last % TAKEN_SLOTS] < last and time.monotonic() < deadline:
            time.sleep(HANDOVER_POLL_SECONDS)

    def _received(self, future: Future[list[tuple]] | None) -> list[tuple] | None:
        if future is None:
            return None
        try:
            return future.result(timeout=nlp.lanes.STALL_SECONDS)
        except CancelledError:  # another request's thread closed the pool after this part was sent
            return None
        except TimeoutError:  # the helper hangs: stopped, swapped out or stuck
            self._lost(TimeoutError(f"a helper answered no part for {nlp.lanes.STALL_SECONDS:g} s"))
            return None
        except BrokenProcessPool as exc:
            self._lost(exc)
            return None

    def _lane_lost(self, reason: str) -> None:
        if self._executor is not None:  # not closed on purpose: the helper died or hangs
            self._lost(BrokenProcessPool(reason))

    def _lost(self, exc: BaseException) -> None:
        processes = _processes(self._executor)
        if self._executor is not None:
            log.warning("helper processes stopped (%s); scoring in this process from now on", exc)
        self.close(wait=False)  # a request is waiting
        for process in processes:  # a dead pool's processes end by themselves, a hung one's would not
            process.kill()


def _processes(executor: ProcessPoolExecutor | None) -> list[multiprocessing.Process]:
    """The pool's processes (``ProcessPoolExecutor`` has no public way to stop a hung one before
    Python 3.14's ``kill_workers``; ``shutdown`` forgets them)."""
    return list((getattr(executor, "_processes", None) or {}).values())


def _by_fields(cls: type) -> Callable[[Any], tuple]:
    """How multiprocessing pickles a frozen dataclass ``cls``: its class and field values, so
    that unpickling calls ``cls(*values)`` (every field is an ``__init__`` argument, in order)."""
    values = attrgetter(*(field.name for field in dataclasses.fields(cls)))
    return lambda instance: (cls, values(instance))


for _crossing in (Finding, TableFacts, TableGaps):  # both sides import this module: helpers for _score_part
    ForkingPickler.register(_crossing, _by_fields(_crossing))


def _bounds(total: int, parts: int) -> list[slice]:
    """``parts`` contiguous slices of ``range(total)``, sizes differing by at most one."""
    edges = [total * k // parts for k in range(parts + 1)]
    return [slice(start, end) for start, end in zip(edges, edges[1:])]


def _identity(model_info: Mapping[str, Any]) -> tuple:
    return tuple(model_info.get(key) for key in IDENTITY_KEYS)


def _load_helper(models_dir: Path | None, taken: Any, lanes: Any) -> None:
    """Each helper's start: the model loaded and verified (no memory of rows: the caller keeps
    that), the pool's ring of parts taken kept, and a lane claimed and served. Ctrl-C reaches the
    whole process group, and so does the SIGTERM of ``timeout`` or a service manager stopping the
    server: the helper leaves stopping to its caller, whose pool then closes without a warning
    (a helper that left at once closed its lane first, which the server reported as a helper lost)."""
    global _helper_scorer, _helper_taken
    _helper_taken = taken
    import nlp
    from nlp.scorer import settle

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _leave_soon)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True, name="parent-watch").start()
    _helper_scorer = nlp.load(models_dir, memo_bytes=0)
    settle()
    serve_lane(lanes, _helper_scorer.score_records)


def _leave_soon(signum: int, frame: object) -> None:
    """SIGTERM in a helper: leave after :data:`TERM_GRACE_SECONDS` unless the caller stops it
    first, so that a helper sent SIGTERM alone still ends (and its server reports it)."""
    global _leave_by
    _leave_by = min(_leave_by, time.monotonic() + TERM_GRACE_SECONDS)


def _exit_with_parent(parent: int) -> None:
    """End this helper once its parent is gone, or once SIGTERM's grace has passed. A server
    killed outright (``kill -9``, the out-of-memory killer) never closes its pool, and an idle
    helper waits on a queue whose write end it holds itself, so it would wait for ever, holding
    a model's memory."""
    while os.getppid() == parent and time.monotonic() < _leave_by:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _model_identity() -> tuple:
    return _identity(_helper_scorer.model_info)


def _score_part(number: int, records: list[dict[str, str]], facts: list[TableFacts]) -> list[tuple]:
    _helper_taken[number % TAKEN_SLOTS] = number
    return _helper_scorer.score_records(records, facts)
