"""Batch scoring for reviewers: many files in, chunks streamed, all cores used, one output.

Memory stays flat however large the batch: inputs are read in chunks, at most ``2 × jobs`` chunks
are in flight, and outputs are written chunk by chunk (the report writers keep only aggregates
and the top rows by risk). A file that cannot be read is recorded with its reason and the batch
goes on; the caller turns that into the exit code.
"""
from __future__ import annotations

import multiprocessing
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from tqdm import tqdm

from nlp.io_write import write_frames
from nlp.readers import read_file
from nlp.readers.base import InputError, Skipped

if TYPE_CHECKING:
    from nlp.scorer import Scorer

DEFAULT_CHUNK_ROWS = 20_000
REPORT_SUFFIXES = (".xlsx", ".html", ".htm")

_worker_scorer = None


@dataclass
class BatchOutcome:
    """What happened to the inputs: rows scored per file, failures and skipped parts."""

    rows_per_file: dict[str, int] = field(default_factory=dict)
    failures: list[InputError] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[InputError] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.rows_per_file.values())


def _init_worker(models_dir: str | None) -> None:
    """Load the model in each worker (not in the parent: it only reads and writes, and a model
    inherited by fork would be counted in every process's RSS)."""
    global _worker_scorer
    import nlp
    from nlp.scorer import settle

    _worker_scorer = nlp.load(Path(models_dir) if models_dir else None)
    settle()


def _score_in_worker(chunk: pd.DataFrame, keep_findings: bool) -> pd.DataFrame:
    return _scored(_worker_scorer, chunk, keep_findings)


def _scored(scorer: Scorer, chunk: pd.DataFrame, keep_findings: bool) -> pd.DataFrame:
    """A scored chunk; without the findings column when the output has no use for it (CSV/TSV),
    which keeps the lists of dicts out of the pipe between worker and writer."""
    return scorer.score_frame(chunk, findings=keep_findings)


def input_chunks(paths: list[Path], chunk_rows: int, outcome: BatchOutcome) -> Iterator[pd.DataFrame]:
    """Chunks of every readable file, in order; unreadable files land in ``outcome.failures``."""
    for path in paths:
        try:
            read = read_file(path, chunk_size=chunk_rows)
            outcome.skipped.extend(read.skipped)
            outcome.warnings.extend(read.warnings)
            outcome.rows_per_file.setdefault(str(path), 0)
            for frame in read.frames:
                outcome.rows_per_file[str(path)] += len(frame)
                yield frame
        except InputError as error:
            outcome.failures.append(error)
        except (OSError, ValueError, UnicodeError) as error:
            outcome.failures.append(InputError(str(path), f"cannot read: {error}"))


def scored_chunks(chunks: Iterator[pd.DataFrame], jobs: int, models_dir: Path | None,
                  keep_findings: bool = True) -> Iterator[pd.DataFrame]:
    """Score chunks in order, in this process (jobs=1) or a pool with bounded look-ahead."""
    if jobs <= 1:
        import nlp
        from nlp.scorer import settle

        scorer = nlp.load(models_dir)
        settle()
        yield from (_scored(scorer, chunk, keep_findings) for chunk in chunks)
        return
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with context.Pool(jobs, initializer=_init_worker, initargs=(str(models_dir) if models_dir else None,)) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(_score_in_worker, (chunk, keep_findings)))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def estimated_rows(paths: list[Path]) -> int | None:
    """Lines of the delimited inputs (a cheap upper bound for the progress bar's ETA)."""
    total = 0
    for path in paths:
        if path.suffix.lower() not in {".csv", ".tsv"}:
            return None
        with path.open("rb") as handle:
            total += sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    return total


def score_batch(paths: list[Path], output: Path, *, jobs: int = 1, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                models_dir: Path | None = None, progress: bool = False) -> BatchOutcome:
    """Score ``paths`` into ``output`` (format by suffix); returns what happened to each input."""
    outcome = BatchOutcome()
    bar = tqdm(total=estimated_rows(paths), unit="rows", unit_scale=True, disable=not progress,
               file=sys.stderr, desc="scoring")
    keep_findings = output.suffix.lower() in (*REPORT_SUFFIXES, ".jsonl")
    stream = _with_progress(scored_chunks(input_chunks(paths, chunk_rows, outcome), jobs, models_dir, keep_findings),
                            bar)
    try:
        if output.suffix.lower() in REPORT_SUFFIXES:
            _write_report(stream, output)
        else:
            write_frames(stream, output)
    finally:
        bar.close()
    return outcome


def _with_progress(chunks: Iterator[pd.DataFrame], bar: tqdm) -> Iterator[pd.DataFrame]:
    for chunk in chunks:
        bar.update(len(chunk))
        yield chunk


def _write_report(chunks: Iterator[pd.DataFrame], output: Path) -> None:
    from nlp.report import open_report_writer

    with open_report_writer(output) as writer:
        for chunk in chunks:
            writer.write_chunk(chunk)
