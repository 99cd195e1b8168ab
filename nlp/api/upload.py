"""Reading an uploaded indicator file (any format of `nlp.readers`) into one frame of rows, within the request limits.

The readers work on paths and pick the format by extension, so the upload is copied to a
temporary file that keeps its extension. Anything the readers cannot make sense of is the
client's problem (422 ``unreadable_file``), never a 500: uploads are untrusted bytes and the
parsing libraries underneath raise many exception types.
"""
from __future__ import annotations

import logging
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd
from fastapi import UploadFile

from nlp.api.errors import ApiError
from nlp.api.settings import ApiSettings

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^\w.\-]+")


def read_upload(upload: UploadFile, settings: ApiSettings) -> pd.DataFrame:
    """All indicator rows of ``upload``; ``row_id`` defaults to the 1-based row position."""
    name = upload.filename or "upload"
    with tempfile.TemporaryDirectory(prefix="iqc-upload-") as tmp:
        path = Path(tmp) / _safe_name(name)
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out)
        frame = _read_rows(path, name, settings.max_rows)
    _check_cells(frame, settings.max_cell_chars)
    return _with_row_ids(frame)


def _safe_name(name: str) -> str:
    """The upload's own base name, made filesystem-safe: readers derive row ids and
    ``source_file`` from it, and pick the format by its extension."""
    stem, suffix = Path(name).stem, Path(name).suffix
    return (_UNSAFE.sub("_", stem)[:80].lstrip(".") or "upload") + _UNSAFE.sub("", suffix)[:10]


def _read_rows(path: Path, name: str, max_rows: int) -> pd.DataFrame:
    from nlp.readers import read_file
    from nlp.readers.base import InputError

    frames: list[pd.DataFrame] = []
    total = 0
    try:
        read = read_file(path, chunk_size=max_rows)
        for frame in read.frames:
            frames.append(frame)
            total += len(frame)
            if total > max_rows:
                raise ApiError(413, "too_many_rows",
                               f"{name} has more than {max_rows} rows; use `iqc score` for big files", "file")
        if read.errors:  # a request is all or nothing: no row is dropped without the client knowing
            first, more = read.errors[0], len(read.errors) - 1
            raise InputError(first.file, first.message + (f" (and {more} more)" if more else ""), first.location)
    except InputError as exc:
        where = f" (line {exc.location})" if exc.location.isdigit() else (f" ({exc.location})" if exc.location else "")
        raise ApiError(422, "unreadable_file", f"{name}{where}: {exc.message}", "file") from None
    except ApiError:
        raise
    except Exception as exc:  # untrusted bytes: any parser failure is the upload's fault
        log.info("upload %s unreadable: %r", name, exc)
        message = f"{name}: cannot read the file ({type(exc).__name__})"
        raise ApiError(422, "unreadable_file", message, "file") from None
    if total == 0:
        why = f" (skipped: {read.skipped[0].reason})" if read.skipped else ""
        raise ApiError(422, "unreadable_file", f"{name}: no indicator rows found{why}", "file")
    return pd.concat(frames, ignore_index=True)


def _check_cells(frame: pd.DataFrame, limit: int) -> None:
    for column in frame.columns:
        too_long = frame[column].map(lambda v: isinstance(v, str) and len(v) > limit)
        if too_long.any():
            row = int(too_long.to_numpy().argmax())
            raise ApiError(422, "cell_too_long", f"cell is longer than the limit of {limit} characters",
                           f"file[{row}].{column}")


def _with_row_ids(frame: pd.DataFrame) -> pd.DataFrame:
    positions = pd.Series([str(i) for i in range(1, len(frame) + 1)], index=frame.index)
    current = frame.get("row_id", pd.Series("", index=frame.index)).fillna("").astype(str)
    return frame.assign(row_id=current.where(current != "", positions))
