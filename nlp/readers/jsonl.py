"""Indicator rows from JSON Lines: one object per line, as ``iqc parse -o rows.jsonl`` writes them.

Keys are matched like a table header (English interchange names or the Chinese ones of
``data/headers.toml``), so a parsed file reads back into exactly the rows it was written from. The
file is read twice: once for the keys (a later line may add one), once for the rows, so memory
stays constant. A line that is not a JSON object, or names a key twice, is an error naming that
line; the others are read. A key one edit from a field's name (``levle3``) is read as a column of
its own, with a warning naming the field it resembles (:mod:`nlp.json_keys`, as the API checks).
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

from nlp.json_keys import DoubledKey, misspelt, object_of
from nlp.readers.base import InputError, Skipped
from nlp.readers.encoding import NOT_UTF8, text_encoding, undecodable
from nlp.readers.tabular import (FileRead, Framer, HeaderMap, TableLog, cell_text, chunked_frames, fit_row,
                                 match_header, no_indicator_columns, own_location_warning, skip_reason,
                                 too_wide)
from nlp.records import ALL_COLUMNS

#: A surrogate code point, which only a ``\\uXXXX`` escape can put in decoded text.
_SURROGATE = re.compile("[\ud800-\udfff]")


def read_jsonl(path: Path, chunk_size: int | None = None) -> FileRead:
    """Every object line of ``path`` as a row; bad lines go to ``errors``."""
    encoding = text_encoding(path)
    read = FileRead(path, iter(()))
    first_lines: dict[str, int] = {}  # each key, and the line it first appears on
    for line, record in _objects(path, encoding, read.errors):
        for key in record:
            first_lines.setdefault(key, line)
    keys = list(first_lines)
    header = match_header(keys)
    if header is None:
        raise no_indicator_columns(path)
    if error := too_wide(path, header):
        raise error
    if reason := skip_reason(keys):
        read.skipped.append(Skipped(str(path), "line 1", reason))
        read.errors.clear()
        return read
    read.warnings.extend(_misspelt_keys(path, header, first_lines))
    own_line = str(first_lines[keys[header.own_location[0][1]]]) if header.own_location else ""  # as a misspelt key
    if own := own_location_warning(path, header, own_line):
        read.warnings.append(own)
    framer = Framer(path, header, path.stem, TableLog(path, read.tables), read.warnings)
    rows = _rows(path, encoding, keys, header, read)
    read.frames = chunked_frames(framer, rows, chunk_size)
    return read


def _misspelt_keys(path: Path, header: HeaderMap, first_lines: dict[str, int]) -> list[InputError]:
    """A warning for each key that names no field but is one edit from one (``levle3``): it is kept
    as a column of its own, as the file says, and its rows read without that field, so the user is
    told which field it resembles (the API refuses such a key; a file's other lines are still read)."""
    return [InputError(str(path), f"the key “{key}” is not a field, but one edit from “{field}”: kept as a column "
                                  f"of its own (rename it if it is {field})", str(line))
            for (key, line), name in zip(first_lines.items(), header.names)
            if name not in ALL_COLUMNS and (field := misspelt(key, ALL_COLUMNS))]


def _rows(path: Path, encoding: tuple[str, str], keys: list[str], header: HeaderMap,
          read: FileRead) -> Iterator[tuple[list[str], str]]:
    """(cells, line) of every object line. Keys right of the header's width have no name (``""``):
    a value under one refuses its line, as text beyond a CSV's header does (it was dropped silently)."""
    width = len(header.names)
    pairs = [(keys[kept], kept, keys[other], other) for _, kept, other in header.doubled]
    said = False
    for line, record in _objects(path, encoding, []):
        cells = [_text(record.get(key)) for key in keys]
        if pairs and (both := _own_keys(record, cells, pairs)) and not said:
            said = True
            read.warnings.append(InputError(str(path), f"keys “{both[0]}” and “{both[1]}” both name one field: "
                                                       f"“{both[0]}” read, “{both[1]}” kept as an extra column "
                                                       "(said once)", str(line)))
        if len(cells) > width:
            cells = fit_row(cells, width, path, str(line), read.errors)
        if cells is not None:
            yield cells, str(line)


def _own_keys(record: dict, cells: list[str], pairs: list[tuple[str, int, str, int]]) -> tuple[str, str] | None:
    """Each object names its own fields: a line from another tool (``三级指标`` where the header
    reads ``level3``) is read by its key into ``cells``, not left blank with its text in an extra
    column. A line with both keys reads the header's and keeps the other: those two keys are returned."""
    both, read_by = None, {}  # column -> the key it was read by, when not its header's
    for key, kept, other_key, other in pairs:
        if other_key not in record:
            continue
        if key not in record and kept not in read_by:
            cells[kept], cells[other] = cells[other], ""
            read_by[kept] = other_key
        else:
            both = both or (read_by.get(kept, key), other_key)
    return both


def _objects(path: Path, encoding: tuple[str, str], errors: list[InputError]) -> Iterator[tuple[int, dict]]:
    """(line, object) of every line that is a JSON object; the others go to ``errors``.
    ``encoding``: :func:`~nlp.readers.encoding.text_encoding`'s. Lines end at \n only, as JSON Lines
    says: a \r alone is JSON whitespace (``\r\n`` ends a line as its \n, its \r is whitespace too),
    and read with universal newlines it split an object in two, both halves refused."""
    name, decode_errors = encoding
    with path.open(encoding=name, errors=decode_errors, newline="\n") as handle:
        for line, text in enumerate(handle, 1):
            if not text.strip():
                continue
            if decode_errors != "strict" and undecodable(text):
                errors.append(InputError(str(path), NOT_UTF8, str(line)))
                continue
            try:  # a BOM opening a line is where a file joined on (``type a.jsonl b.jsonl``), not text
                record = _DECODER.decode(text.removeprefix("\ufeff"))
            except (ValueError, RecursionError) as error:
                errors.append(InputError(str(path), f"not valid JSON ({error}); row not read", str(line)))
                continue
            if not isinstance(record, dict):
                errors.append(InputError(str(path), "not a JSON object; row not read", str(line)))
            elif isinstance(record, DoubledKey):
                errors.append(InputError(str(path), f"the key “{record.key}” appears twice in this object "
                                                    "(which value is meant?); row not read", str(line)))
            elif "\\u" in text and (surrogate := _lone_surrogate(record)):
                errors.append(InputError(str(path), f"not valid Unicode (a lone surrogate {surrogate}); row not read",
                                         str(line)))
            else:
                yield line, record


def _lone_surrogate(record: dict) -> str:
    """The first lone surrogate escaped in ``record``'s keys or strings (``\\ud800``), else ``""``:
    JSON lets one through, but no output can encode it, so the whole batch failed when writing."""
    found = _SURROGATE.search(json.dumps(record, ensure_ascii=False))
    return f"\\u{ord(found.group()):04x}" if found else ""


def _float(literal: str) -> float | str:
    """A JSON fraction as a float, unless a float cannot hold it (``1e400`` read as ``inf``):
    then its text as written, as ``NaN`` and ``Infinity`` are kept (``parse_constant``)."""
    value = float(literal)
    return value if math.isfinite(value) else literal


#: A line's decoder: fractions by :func:`_float`, ``NaN``/``Infinity`` as written, objects by
#: :func:`~nlp.json_keys.object_of` (a key given twice is seen: ``json`` kept its last value silently).
_DECODER = json.JSONDecoder(object_pairs_hook=object_of, parse_float=_float, parse_constant=str)


def _text(value: object) -> str:
    """A JSON value as cell text: strings as they are, fractions as written in a sheet, whole
    numbers in all their digits (a 21-digit project code lost its last five through a float),
    nested values as JSON."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return cell_text(value)

