"""Reading inputs: which files a command was given, and each file as interchange frames.

``iqc parse``, the batch scorer and the API all go through :func:`expand_inputs` and
:func:`read_file`, so every entry point accepts the same files and reports the same problems.
Every frame has the columns of :data:`nlp.records.ALL_COLUMNS` first, then the source's extra
columns in their order. All cells are strings, ``budget_wan`` included (``""`` when absent, as
written in the source otherwise): the frame is the source, faithfully; :class:`IndicatorRow`
(via :func:`frame_to_rows`) is where ``budget_wan`` becomes a float.
"""
from __future__ import annotations

import glob
import importlib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from nlp.readers import tabular
from nlp.readers.base import InputError, Skipped, TableInfo
from nlp.readers.tabular import FileRead
from nlp.records import ALL_COLUMNS, IndicatorRow

__all__ = [
    "FileRead", "InputError", "Skipped", "TableInfo", "KNOWN_SUFFIXES",
    "expand_inputs", "read_file", "rows_to_frame", "frame_to_rows",
]

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
DELIMITED_SUFFIXES = frozenset({".csv", ".tsv"})
# --- issue #12: readers of documents and legacy workbooks (one module each) ---
#: suffix -> "module:function" reading it; ``.pdf`` content is recognised by its magic too.
GRID_READERS = {
    ".docx": "nlp.readers.word:read_docx",
    ".doc": "nlp.readers.word_legacy:read_doc",
    ".pdf": "nlp.readers.pdf:read_pdf",
    ".xls": "nlp.readers.spreadsheet:read_spreadsheet",
    ".ods": "nlp.readers.spreadsheet:read_spreadsheet",
}
_PDF_MAGIC = b"%PDF"
# --- end issue #12 ---
#: What a folder is searched for.
KNOWN_SUFFIXES = EXCEL_SUFFIXES | DELIMITED_SUFFIXES | {".txt"} | GRID_READERS.keys()
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_GLOB_CHARS = frozenset("*?[")


def expand_inputs(specs: Sequence[str]) -> tuple[list[Path], list[InputError]]:
    """Files, folders (searched recursively for known suffixes) and globs -> files, in order.

    A spec that matches nothing becomes an :class:`InputError`, so a typo is reported rather
    than silently parsing fewer files. Duplicates are dropped; hidden files and Excel's
    ``~$`` lock files are ignored inside folders and globs.
    """
    files: dict[Path, None] = {}
    errors: list[InputError] = []
    for spec in specs:
        found = _expand(spec)
        if found:
            files.update(dict.fromkeys(found))
        else:
            errors.append(InputError(spec, _nothing_found(spec)))
    return list(files), errors


def _expand(spec: str) -> list[Path]:
    path = Path(spec)
    if path.is_file():
        return [path]
    if path.is_dir():
        return _folder_files(path)
    if _GLOB_CHARS & set(spec):
        matches = [Path(match) for match in sorted(glob.glob(spec, recursive=True))]
        return [file for match in matches if not _ignored(match)
                for file in ([match] if match.is_file() else _folder_files(match))]
    return []


def _folder_files(folder: Path) -> list[Path]:
    return sorted(
        path for path in folder.rglob("*")
        if path.is_file() and path.suffix.lower() in KNOWN_SUFFIXES and not _ignored(path)
    )


def _ignored(path: Path) -> bool:
    return path.name.startswith((".", "~$"))


def _nothing_found(spec: str) -> str:
    if Path(spec).is_dir():
        return f"no indicator files ({' '.join(sorted(KNOWN_SUFFIXES))}) in this folder"
    if _GLOB_CHARS & set(spec):
        return "no files match this pattern"
    return "no such file or folder"


def read_file(path: Path, chunk_size: int | None = None) -> FileRead:
    """Open one input file, choosing the reader by content first, then by suffix.

    PDF content or a suffix of :data:`GRID_READERS` (.docx .doc .pdf .xls .ods; OLE content
    not named .doc is .xls) -> that reader (issue #12);
    zip content or an ``.xlsx``/``.xlsm`` suffix -> workbook; ``.csv``/``.tsv`` -> delimited
    text; anything else (``.txt``) is a delimited table if it has an indicator header, else a
    budget document for :mod:`nlp.readers.documents`. ``chunk_size`` bounds the rows per frame
    (``None``: one frame per table region). Raises :class:`InputError` naming the file.
    """
    try:
        return _dispatch(Path(path), chunk_size)
    except OSError as error:
        raise InputError(str(path), error.strerror or str(error)) from error


def _dispatch(path: Path, chunk_size: int | None) -> FileRead:
    if not path.is_file():
        raise InputError(str(path), "no such file")
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == _PDF_MAGIC:  # issue #12
        suffix = ".pdf"
    elif magic == _OLE_MAGIC and suffix not in GRID_READERS:  # issue #12: an OLE file is .xls unless named .doc
        suffix = ".xls"
    if suffix in GRID_READERS:  # issue #12
        module, function = GRID_READERS[suffix].split(":")
        return getattr(importlib.import_module(module), function)(path, chunk_size)
    if suffix in EXCEL_SUFFIXES or magic == _ZIP_MAGIC:
        return tabular.read_workbook(path, chunk_size)
    table = tabular.locate_text_table(path)
    if table is not None:
        return tabular.read_text_table(path, table, chunk_size)
    if suffix not in DELIMITED_SUFFIXES:
        documents = importlib.import_module("nlp.readers.documents")
        if documents.looks_like_document(path):
            return _document_read(path, documents.read_document(path))
    raise tabular.no_indicator_columns(path)


def _document_read(path: Path, document: object) -> FileRead:
    """Wrap a ``DocumentRead`` (rows, tables, skipped) as a one-frame :class:`FileRead`."""
    frame = rows_to_frame(document.rows)  # type: ignore[attr-defined]
    frame["source_file"] = frame["source_file"].mask(frame["source_file"] == "", path.name)
    return FileRead(path, iter([frame]), list(document.tables), list(document.skipped))  # type: ignore[attr-defined]


def rows_to_frame(rows: Sequence[IndicatorRow]) -> pd.DataFrame:
    """Rows -> a frame of strings shaped like a reader's (``budget_wan`` as text, "" if None)."""
    records = [row.to_dict() for row in rows]
    for record in records:
        budget = record["budget_wan"]
        record["budget_wan"] = "" if budget is None else tabular.number_text(float(budget))  # type: ignore[arg-type]
    extras = list(dict.fromkeys(key for record in records for key in record if key not in ALL_COLUMNS))
    return pd.DataFrame(records, columns=[*ALL_COLUMNS, *extras], dtype=str).fillna("")


def frame_to_rows(frame: pd.DataFrame) -> list[IndicatorRow]:
    """A reader's frame -> rows; non-interchange columns go to ``extra``."""
    return [IndicatorRow.from_mapping(record) for record in frame.to_dict("records")]
