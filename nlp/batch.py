"""Batch scoring for reviewers: many files in, chunks streamed, all cores used, one output.

Memory stays flat however large the batch: inputs are read in chunks, at most ``2 × jobs`` chunks
are in flight, and outputs are written chunk by chunk (the report writers keep only aggregates
and the top rows by risk). A file that cannot be read is recorded with its reason and the batch
goes on; the caller turns that into the exit code.

With ``jobs`` > 1 this process only reads and writes; the workers score and, for CSV, TSV and
JSONL, also render the output lines, because turning quoted Chinese text into CSV costs about as
much as reading it and the reading process would otherwise be the bottleneck. (Scoring in this
process too would save one process's memory, but its computing then starves the pool's feeder
threads of the GIL and the workers wait.)
"""
from __future__ import annotations

import multiprocessing
import pickle
import signal
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from multiprocessing.pool import TERMINATE, AsyncResult, Pool
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
import pandas as pd
from tqdm import tqdm

from nlp import output_formats
from nlp.allocator import fix_mmap_threshold
from nlp.baseline import KnownFinding, scored_entries
from nlp.config import Config
from nlp.context import Columns, frame_columns, index_tables, table_keys
from nlp.copies import CopyIndex, TableRef, Twin
from nlp.engines import EngineError
from nlp.fingerprint import check_model
from nlp.io_write import ColumnLayout, Rendered, output_format, render, write_rendered
from nlp.readers import read_file
from nlp.readers.base import InputError, Skipped
from nlp.report.accumulator import ReadingNote
from nlp.report.atomic import terminated
from nlp.resources import models_path
from nlp.schema import FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN, scored_columns

if TYPE_CHECKING:
    from nlp.engines import Engine, Run
    from nlp.scorer import Scorer

#: 5,000 rows keep a worker near 370 MiB at the speed of 20,000 (benchmarks/batch_bench.py, README).
DEFAULT_CHUNK_ROWS = 5_000

Result = pd.DataFrame | Rendered

_worker_scorer = None


@dataclass(frozen=True)
class Setup:
    """What every scorer of a batch is loaded with: the model, the configuration, the baseline
    (given to each worker once, at start-up, rather than pickled with every chunk)."""

    models_dir: Path | None = None
    config: Config = field(default_factory=Config)
    baseline: frozenset[str] = frozenset()
    record: bool = False  # collect every finding (reported or hidden by the baseline) for --write-baseline


@dataclass
class BatchOutcome:
    """What happened to the inputs: rows scored per file, failures and skipped parts."""

    rows_per_file: dict[str, int] = field(default_factory=dict)
    tables_per_file: dict[str, int] = field(default_factory=dict)
    failures: list[InputError] = field(default_factory=list)
    unread: list[InputError] = field(default_factory=list)  # inputs not found before the batch (said by the caller)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[InputError] = field(default_factory=list)
    hidden: int = 0  # findings hidden because reviewers rejected them (``rejected`` of score_batch)
    in_baseline: int = 0  # findings hidden because the baseline (``setup.baseline``) has them
    known: list[KnownFinding] = field(default_factory=list)  # every finding, with ``setup.record``

    @property
    def rows(self) -> int:
        return sum(self.rows_per_file.values())


@dataclass(frozen=True)
class Checked:
    """A scored chunk, how many findings reviewers' rejections and the baseline hid in it and,
    when a baseline is being written, every finding it has (reported, in the baseline or rejected:
    all still occur)."""

    result: Result
    rejected: int
    in_baseline: int
    known: list[KnownFinding]


@dataclass(frozen=True)
class Chunk:
    """A chunk as the first pass keeps it: its frame pickled, and what the second pass needs of it.

    The frame is loaded only where it is scored: the reading process then neither unpickles nor
    pickles it again for the worker (~6 µs a row of its CPU, taken from the workers on 2 cores).
    """

    pickled: bytes
    columns: tuple[str, ...]
    tables: tuple[str, ...]  # its table keys, once each

    @classmethod
    def of(cls, frame: pd.DataFrame, columns: Columns) -> Chunk:
        """``frame`` kept, with ``columns`` (its :func:`~nlp.context.frame_columns`) for its tables."""
        return cls(pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL), tuple(frame.columns),
                   tuple(dict.fromkeys(table_keys(columns))))

    def frame(self) -> pd.DataFrame:
        return pickle.loads(self.pickled)


@dataclass(frozen=True)
class Task:
    """One chunk to score; with ``render_as`` set, the result is that format's lines in ``columns``.
    ``twins``: the batch's copied tables among the chunk's tables (found in the first pass).
    Findings whose key is in ``rejected`` (reviewers rejected them) are hidden in the worker,
    before rendering; ``run`` also returns how many were.
    """

    chunk: Chunk
    findings: bool
    render_as: str | None = None
    columns: tuple[str, ...] = ()
    twins: dict = field(default_factory=dict)
    rejected: frozenset[str] = frozenset()

    def run(self, scorer: Scorer) -> Checked:
        from nlp.review.suppress import suppress_frame

        record = scorer.adjuster.record
        findings = self.findings or record or bool(self.rejected)
        scored = scorer.score_frame(self.chunk.frame(), findings=findings, twins=self.twins)
        in_baseline, baseline_known = scorer.adjuster.drain()
        known = [*scored_entries(scored.to_dict("records")), *baseline_known] if record else []
        scored, rejected = suppress_frame(scored, self.rejected)
        if not self.findings:
            scored = scored.drop(columns=[FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN], errors="ignore")
        result = render(scored, self.render_as, self.columns) if self.render_as else scored
        return Checked(result, rejected, in_baseline, known)


def _init_worker(setup: Setup) -> None:
    """Load the model in each worker after the fork, so no process maps a copy it does not use.

    SIGTERM gets its default action back: the parent's handler (see ``nlp.report.atomic``) is for
    the process that owns the output; a worker is simply ended when the pool terminates.
    """
    global _worker_scorer
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _worker_scorer = loaded_scorer(setup)


def _run_in_worker(task: Task) -> Checked:
    return task.run(_worker_scorer)


def loaded_scorer(setup: Setup) -> Scorer:
    """A scorer for a batch process: configured as ``setup`` says, its model frozen out of the
    garbage collector (:func:`~nlp.scorer.settle`), freed memory returned (:mod:`nlp.allocator`)."""
    import nlp
    from nlp.scorer import GC_GEN0_THRESHOLD, settle

    fix_mmap_threshold()
    scorer = nlp.load(setup.models_dir).configure(setup.config, setup.baseline, setup.record)
    settle(GC_GEN0_THRESHOLD)
    return scorer


def input_chunks(paths: list[Path], chunk_rows: int, outcome: BatchOutcome) -> Iterator[pd.DataFrame]:
    """Chunks of every readable file, in order. ``iqc parse`` and ``iqc score`` both read through
    here, so they keep and report the same rows: unreadable files and unreadable rows land in
    ``outcome.failures`` (one line each, naming the file and line), the other rows are kept."""
    for path in paths:
        read = None
        try:
            read = read_file(path, chunk_size=chunk_rows)
            outcome.skipped.extend(replace(part, file=str(path)) for part in read.skipped)
            outcome.rows_per_file.setdefault(str(path), 0)
            for frame in whole_documents(read.frames):
                outcome.rows_per_file[str(path)] += len(frame)
                yield frame
        except InputError as error:
            outcome.failures.append(error)
        except (OSError, ValueError, UnicodeError) as error:
            outcome.failures.append(InputError(str(path), f"cannot read: {error}"))
        if read is not None:
            outcome.tables_per_file[str(path)] = len(read.tables)
            outcome.failures.extend(read.errors)
            outcome.warnings.extend(read.warnings)


def whole_documents(frames: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The same rows of one file, re-cut so that a chunk ends between documents, else between
    tables.

    Table facts (rows in the table, a value that dominates it, repeated indicators) are computed
    per chunk, so a table cut by a chunk boundary would score differently depending on
    ``--chunk-rows`` (copied tables are found over the whole batch, whatever the chunks). The
    trailing document of each chunk is held back and joined to the next one; a document longer
    than a chunk is cut between its tables, and only a table longer than a chunk is cut inside
    (its table facts are then judged piece by piece). Memory stays bounded.
    """
    held: list[pd.DataFrame] = []
    try:
        for frame in frames:
            frame = pd.concat([*held, frame], ignore_index=True) if held else frame
            start = _last_unit_start(frame)
            held = [frame.iloc[start:].reset_index(drop=True)] if start else []
            yield frame.iloc[:start] if start else frame
    except Exception:  # noqa: BLE001 - re-raised: the file broke part-way, the rows read before it still count
        yield from held
        raise
    yield from held


def _last_unit_start(frame: pd.DataFrame) -> int:
    """Where the frame's last document starts, else its last table; 0 when it is one table."""
    for column in ("doc_id", "table_id"):
        if column in frame and len(frame):
            ids = frame[column].to_numpy()
            changes = np.flatnonzero(ids[1:] != ids[:-1])
            if len(changes):
                return int(changes[-1]) + 1
    return 0


#: How often a batch waiting for a chunk checks that its workers are alive.
WORKER_CHECK_SECONDS = 0.5


@dataclass(frozen=True)
class WorkerPool:
    """A ``multiprocessing.Pool`` and the worker processes it started with.

    When a worker dies (the kernel's out-of-memory killer, ``kill -9``) the pool starts another
    and waits for the dead one's chunk forever; so a result is awaited a little at a time, and a
    worker of the first ones gone ends the batch (see :func:`_abandon` for how the pool is then
    stopped). (``concurrent.futures``' pool fails its pending results by itself, but in one of 25
    runs of ``tests/test_batch_edges.py``'s killed-worker test a surviving worker stayed blocked on
    the result queue's lock, which the killed one had held.)
    """

    pool: Pool
    workers: tuple[multiprocessing.process.BaseProcess, ...]

    def submit(self, task: Task) -> Callable[[], Checked]:
        return partial(self._result, self.pool.apply_async(_run_in_worker, (task,)))

    def _result(self, pending: AsyncResult) -> Checked:
        while True:
            try:
                return pending.get(timeout=WORKER_CHECK_SECONDS)
            except multiprocessing.TimeoutError:
                if any(worker.exitcode is not None for worker in self.workers):
                    raise EngineError("a scoring worker ended abruptly (killed, perhaps for lack of memory); nothing "
                                      "was written. Run again, with fewer --jobs or a smaller --chunk-rows if "
                                      "memory is short") from None


@contextmanager
def worker_pool(jobs: int, setup: Setup) -> Iterator[WorkerPool | None]:
    """``jobs`` worker processes loading the model (``None`` for jobs=1: scoring stays here).

    :func:`score_batch` starts them before its first pass, so that they load the model while this
    process reads, and so that they do not begin life as copies of this process's read state: a
    worker forked after the first pass of 1M rows counted the parent's ~380 MiB in its own RSS.
    Leaving the context, also on an error or an interrupt, terminates them.
    """
    if jobs <= 1:
        yield None
        return
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    others = set(multiprocessing.active_children())
    with context.Pool(jobs, initializer=_init_worker, initargs=(setup,)) as pool:
        try:
            yield WorkerPool(pool, tuple(p for p in multiprocessing.active_children() if p not in others))
        except EngineError:  # a worker died, perhaps holding one of the pool's locks
            _abandon(pool)
            raise


def _abandon(pool: Pool) -> None:
    """Stop a pool one of whose workers died, without ``Pool.terminate``, which can wait forever.

    A worker killed while it held a queue lock never releases it: an idle one holds the task
    queue's while it waits for a chunk (1 of 3 runs killing idle workers hung), a busy one the
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


def pooled(tasks: Iterator[Task], jobs: int, setup: Setup, pool: WorkerPool | None) -> Iterator[Checked]:
    """Results of ``tasks`` in order, from ``pool`` of ``jobs`` workers (at most two tasks a worker
    in flight) or, with no pool, from a scorer loaded in this process. A worker that died ends the
    batch with :class:`~nlp.engines.EngineError`."""
    if pool is None:
        scorer = loaded_scorer(setup)
        yield from (task.run(scorer) for task in tasks)
        return
    yield from in_order(tasks, pool.submit, 2 * jobs)


def in_order(tasks: Iterable[Task], submit: Callable[[Task], Callable[[], Checked]], in_flight: int) -> Iterator[Checked]:
    """Results of ``tasks`` in input order, with at most ``in_flight`` of them submitted (so memory
    stays bounded while the writer waits). ``submit`` starts a task and returns what waits for its
    result; every engine that scores elsewhere shares this loop."""
    pending: deque[Callable[[], Checked]] = deque()
    for task in tasks:
        pending.append(submit(task))
        if len(pending) >= in_flight:
            yield pending.popleft()()
    while pending:
        yield pending.popleft()()


@dataclass(frozen=True)
class LocalEngine:
    """Scores on this machine: in this process (``jobs`` = 1) or in a pool of ``jobs`` forked
    workers (:func:`worker_pool`)."""

    jobs: int = 1

    @contextmanager
    def started(self, setup: Setup) -> Iterator[Run]:
        """Starts the pool ahead of the first pass (see :func:`worker_pool`)."""
        with worker_pool(self.jobs, setup) as pool:
            yield partial(pooled, jobs=self.jobs, setup=setup, pool=pool)


def estimated_rows(paths: list[Path]) -> int | None:
    """Lines of the delimited inputs (a cheap upper bound for the progress bar's ETA)."""
    total = 0
    for path in paths:
        if path.suffix.lower() not in {".csv", ".tsv"}:
            return None
        try:
            with path.open("rb") as handle:
                total += sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
        except OSError:
            continue  # reading it will fail too, and be reported there, once
    return total


def score_batch(paths: list[Path], output: Path, *, jobs: int = 1, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                setup: Setup = Setup(), progress: bool = False,
                rejected: frozenset[str] = frozenset(), engine: Engine | None = None,
                unread: Iterable[InputError] = ()) -> BatchOutcome:
    """Score ``paths`` into ``output`` (format by suffix); returns what happened to each input.

    Two passes: the first reads the inputs, finds tables copied between projects anywhere in the
    batch (:mod:`nlp.copies`) and keeps the chunks in a temporary file beside the output; the
    second scores those chunks, each with the copies of its tables.
    ``setup`` configures the scorers (:mod:`nlp.adjust`: configuration and baseline; with
    ``setup.record`` every finding lands in ``outcome.known``, for a new baseline). Findings whose
    :func:`~nlp.fingerprints.finding_key` is in ``rejected`` are left out (counted in
    ``outcome.hidden``). ``engine`` says where chunks are scored (default: :class:`LocalEngine` with
    ``jobs``); it is started before the first pass, so a cluster warms up while the inputs are read.
    Reading, the copy index and writing stay in this process whatever the engine. A model that
    does not match its manifest or today's rules raises ``ArtifactError`` before anything starts.
    ``unread``: inputs the caller could not find (it says so itself); the HTML and XLSX reports
    list them with what reading noticed (:func:`reading_notes`).
    """
    fix_mmap_threshold()
    check_model(setup.models_dir or models_path())
    outcome = BatchOutcome(unread=list(unread))
    engine = engine or LocalEngine(jobs)
    with tempfile.TemporaryFile(dir=output.parent if output.parent.is_dir() else None) as spill, \
            engine.started(setup) as run:
        reading = tqdm(total=estimated_rows(paths), unit="rows", unit_scale=True, disable=not progress,
                       file=sys.stderr, desc="reading")
        with reading:
            copies = read_and_index(paths, chunk_rows, outcome, spill, reading)
        twins = copies.twins()
        bar = tqdm(total=outcome.rows, unit="rows", unit_scale=True, disable=not progress, file=sys.stderr,
                   desc="scoring")
        _score_chunks(spilled(spill), output, run, rejected, twins, copies, bar, outcome)
    return outcome


def _score_chunks(chunks: Iterator[Chunk], output: Path, run: Run, rejected: frozenset[str],
                  twins: dict[str, Twin], copies: CopyIndex, bar: tqdm, outcome: BatchOutcome) -> None:
    try:
        if not output_formats.output_format(output).rows:
            tasks = (Task(chunk, findings=True, twins=_chunk_twins(chunk, twins), rejected=rejected)
                     for chunk in chunks)
            _write_report(_counted(run(tasks), bar, outcome), output, copies.clusters(), reading_notes(outcome))
        else:
            tasks = _render_tasks(chunks, output, twins, rejected)
            write_rendered(_counted(run(tasks), bar, outcome), output)
    finally:
        bar.close()


def read_and_index(paths: list[Path], chunk_rows: int, outcome: BatchOutcome, spill: IO[bytes],
                   bar: tqdm) -> CopyIndex:
    """The first pass: read every input once, put its tables in one copy index and keep the chunks
    in ``spill`` (:class:`Chunk`, pickled: loading them back costs a fraction of parsing the inputs
    again)."""
    index = CopyIndex()
    for frame in input_chunks(paths, chunk_rows, outcome):
        columns = frame_columns(frame)
        index_tables(index, columns)
        pickle.dump(Chunk.of(frame, columns), spill, protocol=pickle.HIGHEST_PROTOCOL)
        bar.update(len(frame))
    spill.seek(0)
    bar.total = bar.n  # the line count was an upper bound (headers, titles, blank lines): end at 100 %
    bar.refresh()
    return index


def spilled(spill: IO[bytes]) -> Iterator[Chunk]:
    """The chunks :func:`read_and_index` kept, in order."""
    while True:
        try:
            yield pickle.load(spill)
        except EOFError:
            return


def _chunk_twins(chunk: Chunk, twins: dict[str, Twin]) -> dict[str, Twin]:
    """The twins of the chunk's tables only: a task carries little to its worker."""
    return {key: twins[key] for key in chunk.tables if key in twins}


def _render_tasks(chunks: Iterator[Chunk], output: Path, twins: dict[str, Twin],
                  rejected: frozenset[str]) -> Iterator[Task]:
    """Tasks that come back as ``output``'s lines, laid out before scoring so that workers can
    render (JSONL keeps the findings; CSV/TSV have no use for them)."""
    suffix, layout = output_format(output), ColumnLayout()
    findings = suffix == ".jsonl"
    for chunk in chunks:
        yield Task(chunk, findings, suffix, layout.admit(scored_columns(chunk.columns, findings)),
                   _chunk_twins(chunk, twins), rejected)


def _counted(results: Iterator[Checked], bar: tqdm, outcome: BatchOutcome) -> Iterator[Result]:
    """The results, with the progress bar moved and hidden/known findings added to ``outcome``.

    A SIGTERM whose exception Python swallowed (:mod:`nlp.report.atomic`) stops the batch here, at
    the next chunk, rather than after the whole batch at the output's commit.
    """
    for checked in results:
        if terminated():
            raise KeyboardInterrupt("SIGTERM")
        bar.update(len(checked.result))
        outcome.hidden += checked.rejected
        outcome.in_baseline += checked.in_baseline
        outcome.known.extend(checked.known)
        yield checked.result


def reading_notes(outcome: BatchOutcome) -> list[ReadingNote]:
    """What the first pass noticed, for the report: files and rows not read, parts skipped,
    warnings (the command line prints the same lines)."""
    return ([ReadingNote("failed", error.file, error.location, error.message)
             for error in [*outcome.unread, *outcome.failures]]
            + [ReadingNote("skipped", part.file, part.location, part.reason) for part in outcome.skipped]
            + [ReadingNote("warning", note.file, note.location, note.message) for note in outcome.warnings])


def _write_report(chunks: Iterator[pd.DataFrame], output: Path, clusters: list[list[TableRef]],
                  notes: list[ReadingNote]) -> None:
    from nlp.report import open_report_writer

    with open_report_writer(output) as writer:
        writer.accumulator.copy_clusters = clusters
        writer.accumulator.reading_notes = notes
        for chunk in chunks:
            writer.write_chunk(chunk)
