"""Writing frames to CSV / TSV / JSONL, chosen by the output suffix, atomically.

Every command that writes rows (``iqc parse``, scoring) goes through :func:`write_frames`, so
outputs look the same everywhere and an interrupted run never leaves a half-written file where a
previous good one was (temp file beside the target, then ``os.replace``: the report writers'
:class:`~nlp.report.atomic.AtomicTarget`).

Writing is two steps, :func:`render` (a frame to encoded lines) and :func:`write_rendered` (lines
to the file), because turning Chinese text into quoted CSV costs as much as reading it: batch
workers render their own chunks and the writing process only copies bytes.

CSV is written as UTF-8 *with* a BOM because its main reader is Excel, which shows Chinese as
mojibake without one; TSV and JSONL (for programs) are plain UTF-8. Lines end in ``\\n``.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from nlp import output_formats
from nlp.report.atomic import AtomicTarget
from nlp.report.rows import frame_records

_SEPARATORS = {".csv": ",", ".tsv": "\t"}
_BOMS = {".csv": codecs.BOM_UTF8}


def output_format(path: Path) -> str:
    """The row format of an output path (its canonical suffix); ``ValueError`` if not a row format."""
    return output_formats.output_format(path, rows_only=True).suffix


@dataclass(frozen=True)
class Rendered:
    """Encoded output lines of one frame (no header) and the columns they are laid out in."""

    data: bytes
    rows: int
    columns: tuple[str, ...]

    def __len__(self) -> int:
        return self.rows


class ColumnLayout:
    """The columns of one output file: the first frame's, then new ones appended, none dropped."""

    def __init__(self) -> None:
        self.columns: tuple[str, ...] = ()
        self._known: set[str] = set()  # membership in O(1): a layout may have thousands of columns

    def admit(self, names: Iterable[str]) -> tuple[str, ...]:
        """Widen the layout by the unseen ``names``; the layout to render the frame in."""
        new = tuple(name for name in dict.fromkeys(names) if name not in self._known)
        if new:
            self.columns += new
            self._known.update(new)
        return self.columns


def render(frame: pd.DataFrame, suffix: str, columns: tuple[str, ...]) -> Rendered:
    """``frame`` as encoded lines of format ``suffix``; delimited formats lay it out in ``columns``."""
    if suffix in _SEPARATORS:
        text = _delimited(frame.reindex(columns=list(columns)), _SEPARATORS[suffix], header=False)
    else:
        text = "".join(_json_line(record) for record in frame_records(frame))
    return Rendered(text.encode("utf-8"), len(frame), columns)


def _delimited(frame: pd.DataFrame, sep: str, header: bool) -> str:
    """``frame`` as CSV text the way ``DataFrame.to_csv`` writes it (minimal quoting, NaN as an
    empty cell), through the csv module directly: a third faster on scored chunks."""
    def rows() -> Iterator[Sequence]:
        if header:
            yield frame.columns
        yield from zip(*(_cells(frame.iloc[:, i]) for i in range(frame.shape[1])))
    return delimited_text(rows, sep)


def delimited_text(rows: Callable[[], Iterable[Sequence]], sep: str) -> str:
    """The rows ``rows()`` makes as delimited text, minimal quoting, lines ending in \\n, that reads
    back as the same rows: every CSV/TSV this tool writes (outputs, the review page's export) goes
    through here. ``rows`` is called a second time only when a cell holds a \\r (the rows are not
    kept: holding a chunk's rows as a list cost its writing a tenth more time)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\n").writerows(rows())
    text = buffer.getvalue()
    return text if "\r" not in text else _quoting_cr(rows(), sep)


def _quoting_cr(rows: Iterable[Sequence], sep: str) -> str:
    """``rows`` as :func:`delimited_text` writes them, but a cell holding a \\r in quotes: the writer
    quotes only for its line terminator's characters, so ``满意\\r度`` went out bare and read back
    as two rows. A writer ending lines in \\r\\n quotes both; its line ends are made \\n again."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    lines = []
    for row in rows:
        writer.writerow(row)
        lines.append(buffer.getvalue()[:-2] + "\n")
        buffer.seek(0)
        buffer.truncate()
    return "".join(lines)


def _cells(column: pd.Series) -> list:
    return column.astype(object).where(column.notna(), "").tolist() if column.hasnans else column.tolist()


def _json_line(record: dict) -> str:
    clean = {key: None if isinstance(value, float) and value != value else value for key, value in record.items()}
    return json.dumps(clean, ensure_ascii=False, default=str) + "\n"


def write_frames(frames: Iterable[pd.DataFrame], path: Path) -> int:
    """Write ``frames`` one after another to ``path``; returns the number of rows written.

    A frame may be a chunk of a larger result. Columns that first appear in a later frame (a later
    input file with an extra column) are appended to the header, never dropped (see
    :func:`write_rendered`). With no frames the file is empty.
    """
    suffix, layout = output_format(path), ColumnLayout()
    return write_rendered((render(frame, suffix, layout.admit(frame.columns)) for frame in frames), path)


def write_rendered(blocks: Iterable[Rendered], path: Path, columns: Sequence[str] = ()) -> int:
    """Write rendered ``blocks`` in order to ``path`` under the first block's header; returns rows.

    When later blocks were laid out in more columns (each layout extends the one before), the rows
    already written get empty cells there, which costs one rewrite of the delimited file before it
    is published. With no block (an empty batch) a delimited file still gets a header, of
    ``columns``: it held a BOM alone, which spreadsheets and CSV readers take for no table at all.
    """
    suffix = output_format(path)
    sep = _SEPARATORS.get(suffix)
    written, header, laid_out = 0, None, ()
    with AtomicTarget(path) as target:
        with target.tmp.open("wb") as handle:
            handle.write(_BOMS.get(suffix, b""))
            for block in blocks:
                if header is None and sep:
                    header = block.columns
                    handle.write(_header_line(header, sep))
                handle.write(block.data)
                written, laid_out = written + block.rows, block.columns  # each layout extends the last
            if header is None and sep and columns:
                handle.write(_header_line(columns, sep))
        if sep and header is not None and len(laid_out) > len(header):
            _rewrite_with_header(target.tmp, list(laid_out), sep, _BOMS.get(suffix, b""))
    return written


def _header_line(columns: Sequence[str], sep: str) -> bytes:
    return _delimited(pd.DataFrame(columns=list(columns)), sep, header=True).encode("utf-8")


_REWRITE_CHUNK_ROWS = 100_000


def _rewrite_with_header(path: Path, columns: list[str], sep: str, bom: bytes) -> None:
    """Rewrite a delimited file whose later rows have more fields than its header: new columns
    were appended, so reading with the full header pads the earlier rows with empty cells.

    The rewrite is itself an atomic target, so a full disk or an interruption midway removes it
    (a plain ``.wide`` file beside the output was left there, half written).
    """
    reader = pd.read_csv(path, sep=sep, encoding="utf-8-sig", dtype=str, keep_default_na=False, header=None,
                         skiprows=1, names=columns, chunksize=_REWRITE_CHUNK_ROWS)
    with AtomicTarget(path) as widened, widened.tmp.open("wb") as handle:
        handle.write(bom)
        for i, chunk in enumerate(reader):
            handle.write(_delimited(chunk.fillna(""), sep, header=i == 0).encode("utf-8"))
