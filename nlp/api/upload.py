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
from typing import TYPE_CHECKING

import pandas as pd
from fastapi import Request, UploadFile

from nlp.api.errors import ApiError
from nlp.api.settings import ApiSettings

if TYPE_CHECKING:
    from nlp.readers.base import InputError

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^\w.\-]+")


async def only_file_part(request: Request) -> None:
    """Refuse a multipart body with parts the endpoint would not read: FastAPI keeps the last of
    two ``file`` parts, and ignores a part of another name (``format`` sent as a form field), both
    without a word; a ``file`` with no filename is text to Starlette, which FastAPI refused as
    "Expected UploadFile, received: <class 'str'>". The form is the one FastAPI has already parsed
    (Starlette keeps it)."""
    form = await request.form()
    files = form.getlist("file")
    if len(files) > 1:
        names = ", ".join(getattr(part, "filename", None) or "(unnamed)" for part in files)
        raise ApiError(422, "invalid_body", f"one file per request, {len(files)} sent ({names})", "body.file")
    if files and isinstance(files[0], str):  # a part with no filename is a form field to Starlette
        raise ApiError(422, "invalid_body", "the part `file` has no filename: send it as a file "
                       "(Content-Disposition: form-data; name=\"file\"; filename=\"表.xlsx\")", "body.file")
    if other := next((key for key in form if key != "file"), None):
        raise ApiError(422, "invalid_body", f"the part {other!r} is not read: send one part, `file` "
                       "(and `format` in the query)", f"body.{other}")


def read_upload(upload: UploadFile, settings: ApiSettings) -> tuple[pd.DataFrame, list[str]]:
    """All indicator rows of ``upload`` (``row_id`` defaults to the 1-based row position), and what
    the readers warned about (a repeated header row left out, a header with other columns
    followed…): the client is told whatever the command line would have said."""
    name = upload.filename or "upload"
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="iqc-upload-") as tmp:
        path = Path(tmp) / _safe_name(name)
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out)
        frame = _read_rows(path, name, settings.max_rows, warnings)
    _check_cells(frame, settings.max_cell_chars, name)
    return _with_row_ids(frame), warnings


def _safe_name(name: str) -> str:
    """The upload's own base name, made filesystem-safe: readers derive row ids and
    ``source_file`` from it, and pick the format by its extension."""
    stem, suffix = Path(name).stem, Path(name).suffix
    return (_UNSAFE.sub("_", stem)[:80].lstrip(".") or "upload") + _UNSAFE.sub("", suffix)[:10]


def _read_rows(path: Path, name: str, max_rows: int, warnings: list[str]) -> pd.DataFrame:
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
        warnings.extend(_described(name, warning) for warning in read.warnings)
    except InputError as exc:
        raise ApiError(422, "unreadable_file", _described(name, exc), "file") from None
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


def _described(name: str, problem: InputError) -> str:
    """A reader's message about the upload, naming it as the client did (not its temp copy)."""
    return f"{_place(name, problem.location)}: {problem.message}"


def _place(name: str, location: str) -> str:
    """``name (line 4)``, ``name (Sheet1!4)``, or ``name`` where the location is unknown."""
    return f"{name} (line {location})" if location.isdigit() else (f"{name} ({location})" if location else name)


def _check_cells(frame: pd.DataFrame, limit: int, name: str) -> None:
    """A 422 naming the first cell over ``limit``: its row among those read (``file[1]``) and, in the
    message, its place in the file, since a title row or a header above the rows shifts the count."""
    for column in frame.columns:
        too_long = frame[column].map(lambda v: isinstance(v, str) and len(v) > limit)
        if too_long.any():
            row = int(too_long.to_numpy().argmax())
            place = _place(name, str(frame["source_line"].iat[row]) if "source_line" in frame else "")
            message = f"{place}: the {column} cell has {len(frame[column].iat[row])} characters, the limit is {limit}"
            raise ApiError(422, "cell_too_long", message, f"file[{row}].{column}")


def _with_row_ids(frame: pd.DataFrame) -> pd.DataFrame:
    positions = pd.Series([str(i) for i in range(1, len(frame) + 1)], index=frame.index)
    current = frame.get("row_id", pd.Series("", index=frame.index)).fillna("").astype(str)
    return frame.assign(row_id=current.where(current != "", positions))
