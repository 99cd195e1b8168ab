"""A batch's first pass: read every input once, sign its tables for the copy index, keep its chunks.

Nothing is scored before this pass ends, because a table's copies anywhere in the batch change its
rows' scores. Files are independent until then, so with several files and ``jobs`` > 1 each file
(or group of small files, :func:`file_groups`) is read in a reading process: cut into
document-aligned chunks, its tables signed (:class:`~nlp.copies.TableRows`), its chunks spilled
to a file of its own. This process only takes them in input order, so the outcome, the copy
index and the spilled chunks are those reading here gives, and every output is byte for byte the
same. Why: read here, a batch of documents was mostly reading (a PDF reads at a few hundred rows a
second, where two cores score ~6,000 never-seen rows) while the other cores waited.
"""
from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
from tqdm import tqdm

from nlp.baseline import KnownFinding
from nlp.context import Columns, frame_columns, table_keys, table_rows
from nlp.copies import CopyIndex, TableRows
from nlp.readers import read_file
from nlp.readers.base import InputError, Skipped
from nlp.readers.file_names import Renaming, told_apart
from nlp.schema import FINDINGS_COLUMN, OUTPUT_COLUMNS, TABLE_FINDINGS_COLUMN
from nlp.worker_pool import WorkerPool, in_order, worker_pool

#: The line a batch ends with when a reading process dies.
READER_LOST = ("a reading process ended abruptly (killed, perhaps for lack of memory); nothing was written. "
               "Run again, with fewer --jobs if memory is short")


#: Columns every scored row gets (:func:`nlp.schema.scored_columns`): an input column so named is replaced.
SCORED_NAMES = frozenset({*OUTPUT_COLUMNS, FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN})


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
    model_note: str = ""  # the model was built with other library versions (artifacts.environment_note)
    #: Each input's name as its rows' ``source_file`` gives it (told apart from inputs of the same
    #: name) -> its path as the batch was given it: where a tool that opens files finds it.
    input_paths: dict[str, str] = field(default_factory=dict)
    #: Each file's row ids, hashed (8 bytes a row), until :meth:`say_shared_row_ids` has looked at them.
    row_ids: dict[str, list[np.ndarray]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.rows_per_file.values())

    def absorb(self, read: BatchOutcome) -> None:
        """Add what reading the next files gave (``read``, from :func:`read_into`)."""
        for file, rows in read.rows_per_file.items():
            self.rows_per_file[file] = self.rows_per_file.get(file, 0) + rows
        self.tables_per_file.update(read.tables_per_file)
        self.failures += read.failures
        self.skipped += read.skipped
        self.warnings += read.warnings
        self.row_ids.update(read.row_ids)

    def say_shared_row_ids(self) -> None:
        """A warning on each file some of whose row ids another row of the batch has too, then the
        hashes are let go. Ids a source gives itself are kept as given (a caller's own keys), so
        two files of row_id 1, 2, … (or one that repeats an id) gave an output with two different
        rows of one row id, and nothing said so."""
        files = [file for file, parts in self.row_ids.items() if parts]
        hashes = [np.concatenate(self.row_ids[file]) for file in files]
        self.row_ids = {}
        if not hashes:
            return
        values, counts = np.unique(np.concatenate(hashes), return_counts=True)
        repeated = values[counts > 1]
        for file, ids in zip(files, hashes):
            if shared := int(np.isin(ids, repeated).sum()):
                self.warnings.append(InputError(file, f"{shared} row(s) have a row_id that another row of this batch "
                                                      "has too: ids a file gives itself are kept, so tell these rows "
                                                      "apart by source_file and source_line"))


@dataclass(frozen=True)
class Chunk:
    """A chunk as the first pass keeps it: its frames pickled, and what the second pass needs of it.

    The frames are loaded only where they are scored: the reading process then neither unpickles
    nor pickles them again for the worker (~6 µs a row of its CPU, taken from the workers on 2
    cores). A chunk read is one frame; :func:`joined` puts small ones with the same columns
    together, each still scored as a frame of its own.
    """

    pickled: tuple[bytes, ...]
    columns: tuple[str, ...]
    tables: tuple[str, ...]  # its table keys, once each
    rows: int

    @classmethod
    def of(cls, frame: pd.DataFrame, columns: Columns) -> Chunk:
        """``frame`` kept, with ``columns`` (its :func:`~nlp.context.frame_columns`) for its tables."""
        return cls((pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL),), tuple(frame.columns),
                   tuple(dict.fromkeys(table_keys(columns))), len(frame))

    def frames(self) -> list[pd.DataFrame]:
        return [pickle.loads(pickled) for pickled in self.pickled]

    def and_then(self, later: Chunk) -> Chunk:
        """This chunk's frames, then ``later``'s (the same columns)."""
        return Chunk(self.pickled + later.pickled, self.columns, tuple(dict.fromkeys(self.tables + later.tables)),
                     self.rows + later.rows)


def joined(chunks: Iterable[Chunk], rows: int) -> Iterator[Chunk]:
    """Consecutive chunks with the same columns, joined while they hold at most ``rows`` rows.

    Why: a department that sends one file per project makes chunks of a few rows, and each chunk
    was a task whose fixed cost (featurising, the model's calls, a result sent back) outweighed
    its rows: 2,000 files of 10 rows took five times as long as the same rows in one file. Joined,
    they go to a worker as one task and meet the model in one call, each frame still analysed as
    a frame of its own (:meth:`~nlp.scorer.Scorer.score_frames`), so no output changes.
    """
    held: Chunk | None = None
    for chunk in chunks:
        if held is not None and held.columns == chunk.columns and held.rows + chunk.rows <= rows:
            held = held.and_then(chunk)
            continue
        if held is not None:
            yield held
        held = chunk
    if held is not None:
        yield held


def input_chunks(paths: list[Path], chunk_rows: int, outcome: BatchOutcome,
                 renamings: Mapping[Path, Renaming]) -> Iterator[pd.DataFrame]:
    """Chunks of every readable file, in order. ``iqc parse`` and ``iqc score`` both read through
    here, so they keep and report the same rows: unreadable files and unreadable rows land in
    ``outcome.failures`` (one line each, naming the file and line), the other rows are kept. A file
    in ``renamings`` (:func:`batch_renamings`) has its rows' names and ids told apart from another's."""
    for path in paths:
        read, columns = None, dict[str, None]()  # the file's columns, in order, once each
        renaming = renamings.get(path)
        try:
            read = read_file(path, chunk_size=chunk_rows)
            outcome.skipped.extend(replace(part, file=str(path)) for part in read.skipped)
            outcome.rows_per_file.setdefault(str(path), 0)
            for frame in whole_documents(read.frames):
                frame = renaming.applied(frame) if renaming else frame
                outcome.rows_per_file[str(path)] += len(frame)
                outcome.row_ids.setdefault(str(path), []).append(_row_id_hashes(frame))
                columns.update(dict.fromkeys(frame.columns))
                yield frame
        except InputError as error:
            outcome.failures.append(error)
        except (OSError, ValueError, UnicodeError) as error:
            outcome.failures.append(InputError(str(path), f"cannot read: {error}"))
        except Exception as error:  # noqa: BLE001 - untrusted bytes: a parser's failure on one file is that file's
            # (a damaged part a library raises its own error for, as the HTTP upload says): it was a
            # traceback that ended the batch, the other files' rows unwritten
            outcome.failures.append(InputError(str(path), f"cannot read ({type(error).__name__}: {error})"))
        if read is not None:
            outcome.tables_per_file[str(path)] = len(read.tables)
            outcome.failures.extend(read.errors)
            outcome.warnings.extend(read.warnings)
        if clash := _scored_names(path, columns):
            outcome.warnings.append(clash)


def _row_id_hashes(frame: pd.DataFrame) -> np.ndarray:
    """The frame's row ids, hashed to 64 bits (not factorised first: ids are mostly distinct, and
    that took four times as long)."""
    return pd.util.hash_array(frame["row_id"].to_numpy(object), categorize=False)


def batch_renamings(paths: list[Path], outcome: BatchOutcome) -> dict[Path, Renaming]:
    """How the rows of inputs with the same stem are told apart (:mod:`nlp.readers.file_names`),
    said in ``outcome.warnings``: a reader sees one file, only the batch sees them all. Each
    input's name so told goes into ``outcome.input_paths``."""
    renamings, warnings = told_apart(paths)
    outcome.warnings += warnings
    outcome.input_paths = {renamings[path].new_name if path in renamings else path.name: str(path) for path in paths}
    return renamings


def _scored_names(path: Path, columns: Iterable[str]) -> InputError | None:
    """A warning when input columns have the names of scored ones (``risk``, ``review``, ``codes``
    …): a scored output holds the scores there, so those cells are not in it. It said nothing."""
    names = [name for name in columns if name in SCORED_NAMES]
    if not names:
        return None
    return InputError(str(path), f"column{'s' if len(names) > 1 else ''} {', '.join(names)} "
                                 f"{'have' if len(names) > 1 else 'has'} the names of scored columns: "
                                 "in a scored output they hold the scores, not these cells")


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


def read_into(paths: list[Path], chunk_rows: int, spill: IO[bytes], renamings: Mapping[Path, Renaming],
              on_rows: Callable[[int], object] = lambda rows: None,
              signed_for_copies: bool = True) -> tuple[BatchOutcome, list[TableRows]]:
    """Read ``paths`` in order into ``spill`` (:class:`Chunk` after chunk, pickled: loading them
    back costs a fraction of parsing the inputs again); returns what reading them gave and, when
    ``signed_for_copies`` (``iqc parse`` builds no copy index: a quarter of a ten-row file's reading
    CPU), each chunk's tables for the copy index. ``on_rows`` is told each chunk's rows (a
    progress bar); ``renamings`` as for :func:`input_chunks`."""
    outcome, signed = BatchOutcome(), []
    for frame in input_chunks(paths, chunk_rows, outcome, renamings):
        columns = frame_columns(frame)
        if signed_for_copies:
            signed.append(table_rows(columns))
        pickle.dump(Chunk.of(frame, columns), spill, protocol=pickle.HIGHEST_PROTOCOL)
        on_rows(len(frame))
    return outcome, signed


@contextmanager
def reading_processes(jobs: int, paths: list[Path]) -> Iterator[WorkerPool | None]:
    """Processes that read the files for :func:`read_and_index` when there are several and
    ``jobs`` > 1 (else ``None``: they are read here).

    :func:`~nlp.batch.score_batch` starts them first, while this process runs no other thread:
    a process forked while another thread holds a lock (a progress bar writing to stderr) starts
    with it held for ever. It stops them once the first pass is done (:meth:`WorkerPool.stop`).
    """
    if jobs <= 1 or len(paths) < 2:
        yield None
        return
    with worker_pool(min(jobs, len(paths)), READER_LOST) as readers:
        yield readers


def read_and_index(paths: list[Path], chunk_rows: int, outcome: BatchOutcome, spill: IO[bytes], bar: tqdm,
                   readers: WorkerPool | None = None, folder: Path | None = None) -> CopyIndex:
    """The first pass: read every input once into ``spill``, add what it gave to ``outcome``, and
    return the batch's copy index. With ``readers`` (:func:`reading_processes`) each file (or
    group of small files) is read by one of them, which spills its chunks to a file of its own in
    ``folder`` (the output's folder, as ``spill`` is)."""
    index = CopyIndex()
    renamings = batch_renamings(paths, outcome)
    for read, signed in _files_read(paths, chunk_rows, spill, bar, readers, folder, renamings):
        outcome.absorb(read)
        for rows in signed:
            index.add_rows(rows)
    outcome.say_shared_row_ids()
    spill.seek(0)
    bar.total = bar.n  # the line count was an upper bound (headers, titles, blank lines): end at 100 %
    bar.refresh()
    return index


def _files_read(paths: list[Path], chunk_rows: int, spill: IO[bytes], bar: tqdm, readers: WorkerPool | None,
                folder: Path | None,
                renamings: Mapping[Path, Renaming]) -> Iterator[tuple[BatchOutcome, list[TableRows]]]:
    """What :func:`read_into` gives, for all ``paths`` at once here, or group by group of files in
    input order from ``readers`` (each group's chunks then copied into ``spill`` as it comes)."""
    if readers is None:
        yield read_into(paths, chunk_rows, spill, renamings, bar.update)
        return
    for outcome, signed, chunks in _read_by(readers, paths, chunk_rows, folder, renamings):
        shutil.copyfileobj(chunks, spill, 1 << 20)
        bar.update(outcome.rows)
        yield outcome, signed


def read_frames(paths: list[Path], chunk_rows: int, outcome: BatchOutcome, readers: WorkerPool | None = None,
                folder: Path | None = None) -> Iterator[pd.DataFrame]:
    """What :func:`input_chunks` gives (``iqc parse``), each file read by one of ``readers`` if
    there are any (:func:`reading_processes`), its chunks spilled in ``folder`` until they are
    taken, in input order."""
    renamings = batch_renamings(paths, outcome)
    if readers is None:
        yield from input_chunks(paths, chunk_rows, outcome, renamings)
    else:
        for read, _, chunks in _read_by(readers, paths, chunk_rows, folder, renamings, signed_for_copies=False):
            outcome.absorb(read)
            for chunk in spilled(chunks):
                yield from chunk.frames()
    outcome.say_shared_row_ids()


def _read_by(readers: WorkerPool, paths: list[Path], chunk_rows: int, folder: Path | None,
             renamings: Mapping[Path, Renaming],
             signed_for_copies: bool = True) -> Iterator[tuple[BatchOutcome, list[TableRows], IO[bytes]]]:
    """Each group of files (:func:`file_groups`) read by one of ``readers``, in input order: what
    reading it gave, its tables and its spilled chunks (open at the start; removed once the caller
    moves on). A group goes with the renamings of its own files only."""
    with tempfile.TemporaryDirectory(prefix="iqc-reading-", dir=folder) as parts:
        read = partial(_read_to_file, chunk_rows=chunk_rows, folder=parts, signed_for_copies=signed_for_copies)
        in_flight = 4 * len(readers.workers)  # results are small (the chunks are on disk): keep every reader busy
        groups = ((group, {path: renamings[path] for path in group if path in renamings})
                  for group in file_groups(paths, len(readers.workers)))
        for outcome, signed, spilled_to in in_order(groups, partial(readers.submit, read), in_flight):
            with open(spilled_to, "rb") as chunks:
                yield outcome, signed, chunks
            os.unlink(spilled_to)


#: Tables in these formats read in a few milliseconds when small: such files go to a reading
#: process together. (A PDF or Word file takes far longer to read, however small: a task of its own.)
GROUPED_SUFFIXES = frozenset({".csv", ".tsv", ".jsonl", ".xlsx", ".xlsm", ".xls", ".ods"})
SMALL_FILE_BYTES, GROUP_FILES = 64 << 10, 64


def file_groups(paths: list[Path], readers: int) -> Iterator[list[Path]]:
    """Consecutive ``paths`` in groups, each read by one of ``readers`` reading processes as one task.

    Why: a task has a fixed cost (sent, taken, its result sent back, its spill file opened and
    removed), and a ten-row CSV now reads in ~2 ms: a folder of one-table files read a task a file
    took longer at ``--jobs 2`` than in one process. Only small tables are grouped (see
    :data:`GROUPED_SUFFIXES`), at most :data:`GROUP_FILES` to a group and few enough to give every
    reader several groups; any other file is a group of its own.
    """
    size = max(1, min(GROUP_FILES, len(paths) // (4 * readers)))
    group: list[Path] = []
    for path in paths:
        if not _small_table(path):
            if group:
                yield group
                group = []
            yield [path]
            continue
        group.append(path)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


def _small_table(path: Path) -> bool:
    try:
        return path.suffix.lower() in GROUPED_SUFFIXES and path.stat().st_size < SMALL_FILE_BYTES
    except OSError:
        return False  # reading it fails too, and is reported there


def _read_to_file(group: tuple[list[Path], dict[Path, Renaming]], chunk_rows: int, folder: str,
                  signed_for_copies: bool) -> tuple[BatchOutcome, list[TableRows], str]:
    """:func:`read_into` in a reading process (``group``: its files and their renamings): the
    chunks go to a new file in ``folder``, whose name comes back with the rest."""
    paths, renamings = group
    with tempfile.NamedTemporaryFile(dir=folder, delete=False) as spill:
        outcome, signed = read_into(paths, chunk_rows, spill, renamings, signed_for_copies=signed_for_copies)
    return outcome, signed, spill.name


def spilled(spill: IO[bytes]) -> Iterator[Chunk]:
    """The chunks :func:`read_and_index` kept, in order."""
    while True:
        try:
            yield pickle.load(spill)
        except EOFError:
            return


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
