"""Writing frames to CSV / TSV / JSONL, chosen by the output suffix, atomically.

Every command that writes rows (``iqc parse``, scoring) goes through :func:`write_frames`, so
outputs look the same everywhere and an interrupted run never leaves a half-written file where a
previous good one was (temp file beside the target, then ``os.replace``: the report writers'
:class:`~nlp.report.atomic.AtomicTarget`).

CSV is written as UTF-8 *with* a BOM because its main reader is Excel, which shows Chinese as
mojibake without one; TSV and JSONL (for programs) are plain UTF-8. Lines end in ``\\n``.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
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


def _write_delimited(frame: pd.DataFrame, handle: TextIO, header: bool, sep: str) -> None:
    frame.to_csv(handle, sep=sep, index=False, header=header, lineterminator="\n")


def _write_jsonl(frame: pd.DataFrame, handle: TextIO, header: bool) -> None:
    del header  # JSONL repeats its keys on every line
    for record in frame.to_dict("records"):
        clean = {key: None if isinstance(value, float) and value != value else value for key, value in record.items()}
        handle.write(json.dumps(clean, ensure_ascii=False, default=str) + "\n")


_SEPARATORS = {".csv": ",", ".tsv": "\t"}
_WRITERS: dict[str, Callable[[pd.DataFrame, TextIO, bool], None]] = {
    **{suffix: partial(_write_delimited, sep=sep) for suffix, sep in _SEPARATORS.items()},
    ".jsonl": _write_jsonl,
}
_ENCODINGS = {".csv": "utf-8-sig"}


def write_frames(frames: Iterable[pd.DataFrame], path: Path) -> int:
    """Write ``frames`` one after another to ``path``; returns the number of rows written.

    A frame may be a chunk of a larger result. Columns that first appear in a later frame (a later
    input file with an extra column) are appended to the header, never dropped: the rows already
    written get empty cells there, which costs one rewrite of the delimited file before it is
    published. With no frames the file is empty.
    """
    suffix = output_format(path)
    encoding = _ENCODINGS.get(suffix, "utf-8")
    written, columns, widened = 0, [], False
    with AtomicTarget(path) as target:
        with target.tmp.open("w", encoding=encoding, newline="") as handle:
            for frame in frames:
                header = written == 0 and not columns
                new = [column for column in frame.columns if column not in columns]
                widened = widened or (bool(new) and not header)
                columns += new
                _WRITERS[suffix](frame.reindex(columns=columns), handle, header)
                written += len(frame)
        if widened and suffix in _SEPARATORS:
            _rewrite_with_header(target.tmp, columns, _SEPARATORS[suffix], encoding)
    return written


_REWRITE_CHUNK_ROWS = 100_000


def _rewrite_with_header(path: Path, columns: list[str], sep: str, encoding: str) -> None:
    """Rewrite a delimited file whose later rows have more fields than its header: new columns
    were appended, so reading with the full header pads the earlier rows with empty cells."""
    widened = path.with_name(path.name + ".wide")
    reader = pd.read_csv(path, sep=sep, encoding=encoding, dtype=str, keep_default_na=False, header=None, skiprows=1,
                         names=columns, chunksize=_REWRITE_CHUNK_ROWS)
    with widened.open("w", encoding=encoding, newline="") as handle:
        for i, chunk in enumerate(reader):
            _write_delimited(chunk.fillna(""), handle, header=i == 0, sep=sep)
    widened.replace(path)
