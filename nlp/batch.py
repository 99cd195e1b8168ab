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
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from tqdm import tqdm

from nlp import output_formats
from nlp.allocator import fix_mmap_threshold
from nlp.artifacts import environment_note, read_manifest
from nlp.copies import CopyIndex, TableRef, Twin
from nlp.first_pass import BatchOutcome, Chunk, estimated_rows, joined, read_and_index, reading_processes, spilled
from nlp.fingerprint import check_model
from nlp.io_write import ColumnLayout, output_format, write_rendered
from nlp.readers.base import InputError, Skipped
from nlp.records import ALL_COLUMNS
from nlp.report.accumulator import ReadingNote
from nlp.report.atomic import sigterm_interrupts, terminated
from nlp.resources import models_path
from nlp.local_engine import LocalEngine
from nlp.schema import scored_columns
from nlp.tasks import Checked, Result, Setup, Task

if TYPE_CHECKING:
    from nlp.tasks import Engine, Run

#: 5,000 rows keep a worker near 370 MiB at the speed of 20,000 (benchmarks/batch_bench.py, README).
DEFAULT_CHUNK_ROWS = 5_000

def score_batch(paths: list[Path], output: Path, *, jobs: int = 1, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                setup: Setup = Setup(), progress: bool = False,
                rejected: frozenset[str] = frozenset(), engine: Engine | None = None,
                unread: Iterable[InputError] = (), passed_over: Iterable[Skipped] = ()) -> BatchOutcome:
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
    ``unread``: inputs the caller could not find (it says so itself); ``passed_over``: files of
    other types in the input folders (:func:`~nlp.readers.expand_inputs`), said with the parts
    reading skips; the reports list both with what reading noticed (:func:`reading_notes`).
    """
    fix_mmap_threshold()
    models = setup.models_dir or models_path()
    check_model(models)
    outcome = BatchOutcome(unread=list(unread), skipped=list(passed_over),
                           model_note=environment_note(read_manifest(models)))
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
            _write_report(_counted(run(tasks), bar, outcome), output, copies.clusters(), outcome, bar)
        else:
            tasks = _render_tasks(chunks, output, twins, rejected)
            write_rendered(_counted(run(tasks), bar, outcome), output, scored_columns(ALL_COLUMNS, findings=False))
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
    """What the report must say besides its rows (the command line prints the same lines): files
    and rows not read, parts skipped, warnings, and findings left out because reviewers rejected
    them or the baseline holds them — a report passed on without that count reads as complete."""
    notes = ([ReadingNote("failed", error.file, error.location, error.message)
              for error in [*outcome.unread, *outcome.failures]]
             + [ReadingNote("skipped", part.file, part.location, part.reason) for part in outcome.skipped]
             + [ReadingNote("warning", note.file, note.location, note.message) for note in outcome.warnings])
    if outcome.model_note:
        notes.append(ReadingNote("warning", "", "", outcome.model_note))
    if outcome.hidden:
        notes.append(ReadingNote("hidden", "", "", f"复核中已驳回的 {outcome.hidden:,} 条问题未列出（--db）"))
    if outcome.in_baseline:
        notes.append(ReadingNote("hidden", "", "", f"基线中已有的 {outcome.in_baseline:,} 条问题未列出（--baseline）"))
    return notes


def _write_report(chunks: Iterator[pd.DataFrame], output: Path, clusters: list[list[TableRef]],
                  outcome: BatchOutcome, bar: tqdm) -> None:
    """The report of ``chunks``; its notes are taken once they are all scored, when the counts of
    hidden findings are known. ``bar`` then says the report is being finished: a workbook's
    triage and summary sheets and its zipping come after the last row (~1 minute for 1M rows),
    and a bar standing at 100 % all that time looks hung."""
    from nlp.report import open_report_writer

    with open_report_writer(output) as writer:
        writer.accumulator.copy_clusters = clusters
        writer.accumulator.input_paths = outcome.input_paths
        for chunk in chunks:
            writer.write_chunk(chunk)
        writer.accumulator.reading_notes = reading_notes(outcome)
        bar.set_description_str(f"writing {output.name}")
