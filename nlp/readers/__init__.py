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
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from nlp.readers import jsonl, tabular
from nlp.readers.base import OUTPUT_REASON, InputError, Skipped, TableInfo, number_text
from nlp.readers.tabular import FileRead
from nlp.records import ALL_COLUMNS, IndicatorRow

__all__ = [
    "FileRead", "InputError", "Inputs", "Skipped", "TableInfo", "KNOWN_SUFFIXES", "READERS", "Reader",
    "expand_inputs", "reader_for", "read_file", "rows_to_frame", "frame_to_rows",
]

_GLOB_CHARS = frozenset("*?[")


class Inputs(NamedTuple):
    """What a command's input specs name: the files to read, the specs that name nothing, and per
    folder the files of other types it holds (a reviewer's folder of WPS ``.et`` or OFD files was
    read as "no indicator files", or as fewer files, without a word)."""

    files: list[Path]
    missing: list[InputError]
    passed_over: list[Skipped]


#: File names listed in a folder's passed-over note before "…".
PASSED_OVER_NAMED = 5


def expand_inputs(specs: Sequence[str], output: Path | None = None) -> Inputs:
    """Files, folders (searched recursively for known suffixes) and globs -> files, in order.

    A spec that matches nothing becomes an :class:`InputError`, so a typo is reported rather
    than silently parsing fewer files; a folder's files of other types are named in one
    :class:`Skipped` per folder. A file named twice (``a.csv`` and ``/abs/a.csv``, or
    through a folder and a glob) is read once; ``output``, the run's own output, is never an
    input (a re-run writing into its input folder would otherwise read its last result). But a file
    named as an input *and* as the output, or an input table the output would replace (found in a
    folder or by a glob, and not an earlier output), is a slip that would overwrite the user's data:
    ``ValueError``, before anything is read or written. Hidden files and Excel's ``~$`` lock files
    are ignored inside folders and globs. A folder (or a folder in it) that cannot be listed is an
    :class:`InputError` too: its files were left out without a word.
    """
    files: dict[Path, Path] = {}
    errors: list[InputError] = []
    others: dict[Path, list[Path]] = {}
    excluded = output.resolve() if output else None
    for spec in specs:
        if excluded is not None and _is_file_entry(Path(spec)) and Path(spec).resolve() == excluded:
            raise ValueError(f"{spec} is both an input and the output: nothing was read or written (give another -o)")
        said = len(errors)
        found, other_types = _expand(spec, errors)
        if not found and len(errors) == said:
            errors.append(InputError(spec, _nothing_found(spec, other_types)))
        for path in found:
            files.setdefault(path.resolve(), path)
        for folder, passed in other_types.items():
            others.setdefault(folder, passed)
    previous = files.pop(excluded, None)  # type: ignore[arg-type]
    if previous is not None and not _is_previous_output(previous):
        raise ValueError(f"{previous} is in the inputs and is not an iqc output: writing the output there would "
                         "overwrite it; nothing was read or written (give another -o)")
    said = {*files, excluded}  # a file read, or already named under another folder, is not named again
    notes = []
    for folder, passed in others.items():
        if kept := [path for path in passed if path.resolve() not in said]:
            notes.append(_passed_over(folder, kept))
            said.update(path.resolve() for path in kept)
    return Inputs(list(files.values()), errors, notes)


def _passed_over(folder: Path, passed: list[Path]) -> Skipped:
    """One note for a folder named as input: its files of other types, the first few by their path in it."""
    names = ", ".join(str(path.relative_to(folder)) for path in passed[:PASSED_OVER_NAMED])
    more = f" and {len(passed) - PASSED_OVER_NAMED} more" if len(passed) > PASSED_OVER_NAMED else ""
    return Skipped(str(folder), "", f"{len(passed)} file(s) of types iqc does not search folders for: {names}{more} "
                                    "(a file named as input is read by its content)")


def _is_previous_output(path: Path) -> bool:
    """An output of an earlier run, safe to replace: a scored output (its readers skip it as one),
    an ``iqc parse`` output (the interchange columns first, in order), or a file with no text (an
    output of no rows is a bare BOM)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
        if len(head) < 4096 and not head.lstrip(b"\xef\xbb\xbf").strip():
            return True
        first_line = head.decode("utf-8-sig", errors="replace").splitlines()[0]
        if tuple(first_line.split("\t" if path.suffix.lower() == ".tsv" else ",")[:len(ALL_COLUMNS)]) == ALL_COLUMNS:
            return True
        read = read_file(path)
    except (InputError, OSError):
        return False
    return any(part.reason == OUTPUT_REASON for part in read.skipped)


def _expand(spec: str, unlisted: list[InputError]) -> tuple[list[Path], dict[Path, list[Path]]]:
    """The files ``spec`` names, and each folder it names with that folder's files of other types;
    the folders that cannot be listed go to ``unlisted``."""
    path = Path(spec)
    if _is_file_entry(path):
        return [path], {}
    matches = [path] if path.is_dir() else []
    if not matches and _GLOB_CHARS & set(spec):
        matches = [Path(match) for match in sorted(glob.glob(spec, recursive=True)) if not _ignored(Path(match))]
    found: list[Path] = []
    others: dict[Path, list[Path]] = {}
    for match in matches:
        if _is_file_entry(match):
            found.append(match)
            continue
        known, other_types = _folder_files(match, unlisted)
        found += known
        if other_types:
            others[match] = other_types
    return found, others


def _folder_files(folder: Path, unlisted: list[InputError]) -> tuple[list[Path], list[Path]]:
    """The folder's files of known suffixes, and its other files (hidden and lock files are neither)."""
    entries = sorted(path for path in _tree(folder, unlisted) if _is_file_entry(path) and not _ignored(path))
    known = [path for path in entries if path.suffix.lower() in KNOWN_SUFFIXES]
    return known, [path for path in entries if path.suffix.lower() not in KNOWN_SUFFIXES]


def _tree(folder: Path, unlisted: list[InputError]) -> Iterator[Path]:
    """The entries of ``folder`` and of its subfolders, also those it links to (a county's folder
    linked in from a share: ``rglob`` passes over a link to a folder, so its tables were left out
    without a word, though a ``**`` glob read them), each folder once (a link up the tree would loop).
    A folder that cannot be listed (permission denied, a share gone) is put in ``unlisted``: ``rglob``
    passed over it in silence."""
    seen: set[str] = set()
    for root, folders, names in os.walk(folder, onerror=lambda error: unlisted.append(_unlisted(error, folder)),
                                        followlinks=True):
        if (real := os.path.realpath(root)) in seen:
            folders.clear()
            continue
        seen.add(real)
        yield from (Path(root, name) for name in names)


def _unlisted(error: OSError, folder: Path) -> InputError:
    return InputError(error.filename or str(folder), f"this folder cannot be listed ({error.strerror or error}): "
                                                     "the files in it were not read")


def _is_file_entry(path: Path) -> bool:
    """A file, or a link to a file that is gone: listed so that reading it fails *aloud* (a folder of
    links into an unmounted share would otherwise give fewer files and no word of it)."""
    return path.is_file() or (path.is_symlink() and not path.exists())


def _ignored(path: Path) -> bool:
    return path.name.startswith((".", "~$"))


def _nothing_found(spec: str, other_types: dict[Path, list[Path]]) -> str:
    if Path(spec).is_dir():
        count = sum(map(len, other_types.values()))
        held = f" (only {count} file(s) of other types)" if count else ""
        return f"no indicator files ({' '.join(sorted(KNOWN_SUFFIXES))}) in this folder{held}"
    if _GLOB_CHARS & set(spec):
        return "no files match this pattern"
    return "no such file or folder"


# --- which reader reads a file -----------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """One input format: how its content is recognised, its usual suffixes, how it is read.

    ``sniff`` looks at the first :data:`SNIFF_BYTES` of a file; ``read(path, chunk_size)`` returns a
    :class:`FileRead` or raises :class:`InputError`.
    """

    name: str
    sniff: Callable[[bytes], bool]
    suffixes: frozenset[str]
    read: Callable[[Path, int | None], FileRead]


SNIFF_BYTES = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _text_or_document(path: Path, chunk_size: int | None) -> FileRead:
    """A delimited table when the text has an indicator header in its first rows, else (a ``.txt``
    only) a budget document. Rubrics and budget tables are skipped by both readers.

    A header of one cell alone on its line (``\t三级指标``) is what a short document exported one
    cell per line shows in its first rows: read as a table, every cell of the document became a row
    of its own. Such a file is a document when the document reader finds a table in it.
    """
    table = tabular.locate_text_table(path)
    document = _document(path) if table is None or table.header.named_columns == 1 else None
    if table is not None and (document is None or not document.tables):
        return tabular.read_text_table(path, table, chunk_size)
    if document is not None:
        return _document_read(path, document)
    raise tabular.no_indicator_columns(path)


def _document(path: Path) -> Any:
    """The file read as a budget document's text export, or ``None`` when it cannot be one."""
    if path.suffix.lower() in {".csv", ".tsv"}:
        return None
    documents = importlib.import_module("nlp.readers.documents")
    return documents.read_document(path) if documents.looks_like_document(path) else None


#: Suffixes of Word files: an encrypted one is an Office 97-2003 container whatever it held.
_WORD_SUFFIXES = frozenset({".doc", ".docx"})


def _read_ole(path: Path, chunk_size: int | None) -> FileRead:
    """Office 97-2003 containers: a ``.doc`` by its name, else an ``.xls`` (whatever the suffix
    says); an ``.xlsx`` or ``.docx`` saved with a password is one too and is refused with that reason."""
    if _contains(path, "EncryptedPackage".encode("utf-16-le")):
        kind, suffix = ("Word document", ".docx") if path.suffix.lower() in _WORD_SUFFIXES else ("workbook", ".xlsx")
        raise InputError(str(path), f"password-protected (encrypted) {kind}: remove the password, "
                                    f"save it as {suffix} and retry")
    reader = "nlp.readers.word_legacy:read_doc" if path.suffix.lower() == ".doc" else "nlp.readers.spreadsheet:read_spreadsheet"
    return _lazy(reader)(path, chunk_size)


def _lazy(target: str) -> Callable[[Path, int | None], FileRead]:
    """``"module:function"`` as a reader imported on first use (keeps PDF/Word libraries out of
    ``iqc --help`` and of runs that never meet such a file)."""
    module, function = target.split(":")
    return lambda path, chunk_size: getattr(importlib.import_module(module), function)(path, chunk_size)


def _contains(path: Path, needle: bytes) -> bool:
    tail = b""
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            if needle in tail + block:
                return True
            tail = block[-len(needle):]
    return False


def _json_array(head: bytes) -> bool:
    """A JSON document holding a list of objects (``[{…}, …]``), as other tools export rows."""
    return re.match(rb"\[\s*[{\]]", head.lstrip(b"\xef\xbb\xbf \t\r\n")) is not None


def _refuse_json_array(path: Path, chunk_size: int | None) -> FileRead:
    """A JSON array is refused by what it is: read as text it was "no indicator columns", which
    its objects' keys contradict."""
    raise InputError(str(path), "a JSON array is not read as a file: save it as JSON Lines (one object a line, "
                                ".jsonl), or send the array as the body of POST /v1/score")


def _json_lines(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _web_page(head: bytes) -> bool:
    """HTML with a table, as an exported "Excel" web page starts (after a BOM or blanks)."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head")) and b"<table" in head.lower()


def _xml_spreadsheet(head: bytes) -> bool:
    """Excel 2003's XML Spreadsheet (its namespace on the root, after the XML declaration)."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head


def _zip_with(marker: bytes) -> Callable[[bytes], bool]:
    """A zip whose first entries (local headers near the start) include ``marker``."""
    return lambda head: head.startswith(_ZIP_MAGIC) and marker in head


#: Every format, most specific sniff first. A file goes to the first reader whose ``sniff``
#: accepts its content, else to the reader of its suffix, else to :data:`DEFAULT_READER`. Text has
#: no signature: a text file named ``.xlsx`` is reported as a damaged workbook, which is what it
#: looks like to whoever named it. A new format is one line here.
READERS: tuple[Reader, ...] = (
    Reader("pdf", lambda head: head.startswith(b"%PDF"), frozenset({".pdf"}), _lazy("nlp.readers.pdf:read_pdf")),
    Reader("docx", _zip_with(b"word/"), frozenset({".docx"}), _lazy("nlp.readers.word:read_docx")),
    Reader("ods", _zip_with(b"opendocument.spreadsheet"), frozenset({".ods"}),
           _lazy("nlp.readers.spreadsheet:read_spreadsheet")),
    Reader("xlsx", _zip_with(b"xl/"), frozenset({".xlsx", ".xlsm"}), _lazy("nlp.readers.spreadsheet:read_workbook")),
    Reader("ole", lambda head: head.startswith(_OLE_MAGIC), frozenset({".xls", ".doc"}), _read_ole),
    # web systems' "Excel" downloads, usually named .xls: found by content only (a folder's other
    # .html or .xml files are not searched for)
    Reader("web page", _web_page, frozenset(),
           _lazy("nlp.readers.web_tables:read_web_page")),
    Reader("xml spreadsheet", _xml_spreadsheet, frozenset(),
           _lazy("nlp.readers.web_tables:read_xml_spreadsheet")),
    Reader("json array", _json_array, frozenset(), _refuse_json_array),
    Reader("jsonl", _json_lines, frozenset({".jsonl", ".ndjson"}), jsonl.read_jsonl),
    Reader("text", lambda head: False, frozenset({".csv", ".tsv", ".txt"}), _text_or_document),
)
DEFAULT_READER = READERS[-1]
#: What a folder is searched for.
KNOWN_SUFFIXES = frozenset().union(*(reader.suffixes for reader in READERS))
#: Spreadsheet workbooks (read by calamine), for what reads a sheet as a plain table — a reviewed
#: workbook, a labels-only file: the spreadsheet readers' suffixes, and .xls of the OLE reader's.
WORKBOOK_SUFFIXES = frozenset({".xls"}).union(*(reader.suffixes for reader in READERS if reader.name in {"xlsx", "ods"}))


def reader_for(path: Path) -> Reader:
    """The reader of ``path``: by content first, then by suffix (see :data:`READERS`)."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    suffix = path.suffix.lower()
    return (next((reader for reader in READERS if reader.sniff(head)), None)
            or next((reader for reader in READERS if suffix in reader.suffixes), DEFAULT_READER))


def read_file(path: Path, chunk_size: int | None = None) -> FileRead:
    """Open one input file with the reader :func:`reader_for` picks.

    ``chunk_size`` bounds the rows per frame (``None``: one frame per table region). Raises
    :class:`InputError` naming the file; rows that cannot be read are in ``FileRead.errors``.
    """
    path = Path(path)
    try:
        if not path.is_file():
            gone = path.is_symlink() and not path.exists()
            raise InputError(str(path), f"a link to {os.readlink(path)}, which does not exist" if gone else "no such file")
        return reader_for(path).read(path, chunk_size)
    except OSError as error:
        raise InputError(str(path), error.strerror or str(error)) from error


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
        record["budget_wan"] = "" if budget is None else number_text(float(budget))  # type: ignore[arg-type]
    extras = list(dict.fromkeys(key for record in records for key in record if key not in ALL_COLUMNS))
    return pd.DataFrame(records, columns=[*ALL_COLUMNS, *extras], dtype=str).fillna("")


def frame_to_rows(frame: pd.DataFrame) -> list[IndicatorRow]:
    """A reader's frame -> rows; non-interchange columns go to ``extra``."""
    return [IndicatorRow.from_mapping(record) for record in frame.to_dict("records")]
