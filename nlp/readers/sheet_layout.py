"""What a sheet says beyond its cells -- the cells merged down several rows, the rows it hides --
and the one pass over a table's rows that uses it.

Each format keeps these apart from the cell values, and each reader finds them its own way (the
.xlsx sheet XML, :mod:`nlp.readers.xlsx_parts`; the .ods content, :mod:`nlp.readers.ods_parts`;
calamine and xlrd for .xls, :mod:`nlp.readers.xls_parts`; ``vMerge`` in Word; pdfplumber's cell
boxes), then hands a :class:`SheetLayout` to :class:`LaidOutRows`: a merge's text is read on every row it spans
(:mod:`nlp.readers.merged_cells`), and the hidden rows read are named in one warning, as a hidden
sheet is (nothing is dropped, but a reviewer does not see those rows).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from nlp.readers.base import InputError, hidden_rows_warning
from nlp.readers.merged_cells import MergedFill, VerticalMerge


@dataclass
class SheetLayout:
    """A sheet's merges and hidden rows, rows numbered as its reader numbers them."""

    merges: list[VerticalMerge] = field(default_factory=list)
    hidden: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)  # 0-based; a header naming a field twice reads the shown one
    spans: list[tuple[int, int, int]] = field(default_factory=list)  # (row, first column, last column) merged across


@dataclass
class SheetExtras:
    """A workbook sheet's layout, and its cells calamine gives otherwise than the sheet shows them:
    number formats that show a number otherwise (``0%``, ``"≥"0"人"``), and the texts of cells
    calamine does not give (an error's ``#N/A``, an .ods cell's tabs and line breaks); each keyed
    by row, then column."""

    layout: SheetLayout = field(default_factory=SheetLayout)
    formats: dict[int, dict[int, str]] = field(default_factory=dict)
    texts: dict[int, dict[int, str]] = field(default_factory=dict)


class LaidOutRows:
    """A table's rows below its header, in order: :meth:`cells` fills merged text in, :meth:`read`
    notes a row read, :meth:`warnings` names the hidden ones among them; :attr:`hidden_columns_read`
    are the hidden columns with text in a row read."""

    def __init__(self, layout: SheetLayout, header_row: int) -> None:
        self._fill = MergedFill(layout.merges, header_row)
        self._hidden = layout.hidden
        self._hidden_read: list[int] = []
        self._hidden_columns = layout.hidden_columns
        self.hidden_columns_read: set[int] = set()

    def cells(self, number: int, cells: list[str]) -> list[str]:
        return self._fill(number, cells)

    def read(self, number: int, cells: list[str]) -> None:
        if number in self._hidden and any(cell.strip() for cell in cells):
            self._hidden_read.append(number)
        self.hidden_columns_read.update(column for column in self._hidden_columns
                                        if column < len(cells) and cells[column].strip())

    def warnings(self, file: str, sheet: str, shown_from: int = 0) -> list[InputError]:
        """The hidden-rows warning, if any were read; ``shown_from`` turns a row's number into the
        one the spreadsheet shows (1 for 0-based grid rows)."""
        if not self._hidden_read:
            return []
        return [hidden_rows_warning(file, sheet, [number + shown_from for number in self._hidden_read])]
