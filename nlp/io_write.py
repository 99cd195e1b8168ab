"""Writing frames to CSV / TSV / JSONL, chosen by the output suffix, atomically.

Every command that writes rows (``iqc parse``, scoring) goes through :func:`write_frames`, so
outputs look the same everywhere and an interrupted run never leaves a half-written file where a
previous good one was (see :func:`atomic_write`).

CSV is written as UTF-8 *with* a BOM because its main reader is Excel, which shows Chinese as
mojibake without one; TSV and JSONL (for programs) are plain UTF-8. Lines end in ``\\n``.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TextIO

import pandas as pd

from nlp.report.atomic import AtomicTarget

FORMATS: tuple[str, ...] = (".csv", ".tsv", ".jsonl")


def output_format(path: Path) -> str:
    """The format of an output path (its lower-cased suffix); ``ValueError`` if unsupported."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"unknown output format {suffix or '(no suffix)'!r} for {path}: use {', '.join(FORMATS)}")
    return suffix


@contextmanager
def atomic_write(path: Path, encoding: str = "utf-8") -> Iterator[TextIO]:
    """A text handle whose content replaces ``path`` only if the block completes.

    Built on the report writers' :class:`~nlp.report.atomic.AtomicTarget` (temp file beside the
    target, ``os.replace``, missing folders created), so every output is published the same way.
    """
    with AtomicTarget(path) as target, target.tmp.open("w", encoding=encoding, newline="") as handle:
        yield handle


def _write_delimited(frame: pd.DataFrame, handle: TextIO, header: bool, sep: str) -> None:
    frame.to_csv(handle, sep=sep, index=False, header=header, lineterminator="\n")


def _write_jsonl(frame: pd.DataFrame, handle: TextIO, header: bool) -> None:
    del header  # JSONL repeats its keys on every line
    for record in frame.to_dict("records"):
        clean = {key: None if isinstance(value, float) and value != value else value for key, value in record.items()}
        handle.write(json.dumps(clean, ensure_ascii=False, default=str) + "\n")


_WRITERS: dict[str, Callable[[pd.DataFrame, TextIO, bool], None]] = {
    ".csv": partial(_write_delimited, sep=","),
    ".tsv": partial(_write_delimited, sep="\t"),
    ".jsonl": _write_jsonl,
}
_ENCODINGS = {".csv": "utf-8-sig"}


def write_frames(frames: Iterable[pd.DataFrame], path: Path) -> int:
    """Write ``frames`` one after another to ``path``; returns the number of rows written.

    The first frame fixes the columns (later frames are aligned to them, so a frame may be a
    chunk of a larger result); with no frames the file is empty.
    """
    suffix = output_format(path)
    written = 0
    columns: list[str] | None = None
    with atomic_write(path, _ENCODINGS.get(suffix, "utf-8")) as handle:
        for frame in frames:
            header = columns is None
            if header:
                columns = list(frame.columns)
            _WRITERS[suffix](frame.reindex(columns=columns), handle, header)
            written += len(frame)
    return written
