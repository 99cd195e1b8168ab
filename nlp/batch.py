"""Batch scoring for reviewers: many files in, chunks streamed, all cores used, one output.

Memory stays flat however large the batch: inputs are read in chunks, at most ``2 × jobs`` chunks
are in flight, and outputs are written chunk by chunk (the report writers keep only aggregates
and the top rows by risk). A file that cannot be read is recorded with its reason and the batch
goes on; the caller turns that into the exit code.

With ``jobs`` > 1 this process only reads and writes (several files are read by reading processes,
:mod:`nlp.first_pass`); the workers score and, for CSV, TSV and JSONL, also render the output
lines, because turning quoted Chinese text into CSV costs about as much as reading it and the
reading process would otherwise be the bottleneck. (Scoring in this process too would save one
process's memory, but its computing then starves the pool's feeder threads of the GIL and the
workers wait.)
"""
from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from tqdm import tqdm

from nlp import output_formats
from nlp.allocator import fix_mmap_threshold
from nlp.baseline import KnownFinding, scored_entries
from nlp.config import Config
from nlp.copies import CopyIndex, TableRef, Twin
from nlp.first_pass import BatchOutcome, Chunk, estimated_rows, joined, read_and_index, reading_processes, spilled
from nlp.fingerprint import check_model
from nlp.io_write import ColumnLayout, Rendered, output_format, render, write_rendered
from nlp.readers.base import InputError
from nlp.report.accumulator import ReadingNote
from nlp.report.atomic import sigterm_interrupts, terminated
from nlp.resources import models_path
from nlp.schema import FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN, scored_columns
from nlp.worker_pool import WorkerPool, in_order, worker_pool

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
        scored = scorer.score_frames(self.chunk.frames(), findings=findings, twins=self.twins)
        in_baseline, baseline_known = scorer.adjuster.drain()
        known = [*scored_entries(scored.to_dict("records")), *baseline_known] if record else []
        scored, rejected = suppress_frame(scored, self.rejected)
        if not self.findings:
            scored = scored.drop(columns=[FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN], errors="ignore")
        result = render(scored, self.render_as, self.columns) if self.render_as else scored
        return Checked(result, rejected, in_baseline, known)


def _init_worker(setup: Setup) -> None:
    """Load the model in each worker after the fork, so no process maps a copy it does not use."""
    global _worker_scorer
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


#: The line a batch ends with when a scoring worker dies.
SCORER_LOST = ("a scoring worker ended abruptly (killed, perhaps for lack of memory); nothing was written. "
               "Run again, with fewer --jobs or a smaller --chunk-rows if memory is short")


@contextmanager
def scoring_pool(jobs: int, setup: Setup) -> Iterator[WorkerPool | None]:
    """``jobs`` worker processes loading the model (``None`` for jobs=1: scoring stays here).

    :func:`score_batch` starts them before its first pass, so that they load the model while this
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
    batch with :class:`~nlp.engines.EngineError`."""
    if pool is None:
        scorer = loaded_scorer(setup)
        yield from (task.run(scorer) for task in tasks)
        return
    yield from in_order(tasks, partial(pool.submit, _run_in_worker), 2 * jobs)


@dataclass(frozen=True)
class LocalEngine:
    """Scores on this machine: in this process (``jobs`` = 1) or in a pool of ``jobs`` forked
    workers (:func:`worker_pool`)."""

    jobs: int = 1

    @contextmanager
    def started(self, setup: Setup) -> Iterator[Run]:
        """Starts the pool ahead of the first pass (see :func:`scoring_pool`)."""
        with scoring_pool(self.jobs, setup) as pool:
            yield partial(pooled, jobs=self.jobs, setup=setup, pool=pool)


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
    folder = output.parent if output.parent.is_dir() else None
    with sigterm_interrupts(), reading_processes(jobs, paths) as readers, tempfile.TemporaryFile(dir=folder) as spill, \
            engine.started(setup) as run:
        reading = tqdm(total=estimated_rows(paths), unit="rows", unit_scale=True, disable=not progress,
                       file=sys.stderr, desc="reading")
        with reading:
            copies = read_and_index(paths, chunk_rows, outcome, spill, reading, readers, folder)
        if readers is not None:
            readers.stop()  # before scoring: their memory back
        twins = copies.twins()
        bar = tqdm(total=outcome.rows, unit="rows", unit_scale=True, disable=not progress, file=sys.stderr,
                   desc="scoring")
        _score_chunks(joined(spilled(spill), chunk_rows), output, run, rejected, twins, copies, bar, outcome)
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
