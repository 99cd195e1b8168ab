"""Types shared by every reader: what was read, what was skipped and why, what failed.

Readers never print and never exit; they return these objects (or raise :class:`InputError`)
so that the CLI, the batch scorer and the API can each report problems their own way while a
batch goes on with its other files.
"""
from __future__ import annotations

from dataclasses import dataclass

RUBRIC_REASON = "绩效评价评分表(scoring rubric), not a target table"
BUDGET_REASON = "预算收支表(budget table), not an indicator table"
OUTPUT_REASON = "an iqc score output (it has the scored columns), not an input"
BASELINE_REASON = "an iqc baseline (--write-baseline: fingerprint and code), not an input"


class InputError(Exception):
    """A file (or a row of it) that cannot be read. Always names the file and, if known, the row."""

    def __init__(self, file: str, message: str, location: str = "") -> None:
        super().__init__(file, message, location)
        self.file = file
        self.message = message
        self.location = location

    def __str__(self) -> str:
        where = f"{self.file}:{self.location}" if self.location else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class TableInfo:
    """One indicator table found in a file (a project's 绩效目标表, a sheet, a CSV)."""

    file: str
    table_id: str
    title: str
    rows: int
    location: str = ""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A part of a file that was deliberately not read as indicators, with the reason."""

    file: str
    location: str
    reason: str


def number_text(value: float) -> str:
    """A number as a person reads it: ``95.0`` -> ``"95"``, ``0.1 + 0.2`` -> ``"0.3"``.

    Whole numbers lose the ``.0``; others keep 15 significant digits, the precision Excel shows.
    """
    return str(int(value)) if value.is_integer() else f"{value:.15g}"


#: Hidden rows named in the warning; the count says how many more.
NAMED_HIDDEN_ROWS = 5


def hidden_rows_warning(file: str, sheet: str, rows: list[int]) -> InputError:
    """Hidden rows of a sheet are read like the others (nothing is dropped), as hidden sheets are;
    a department hides rows it has replaced, so their flags need saying where from."""
    shown = ", ".join(f"{sheet}!{row}" for row in rows[:NAMED_HIDDEN_ROWS]) + ("…" if len(rows) > NAMED_HIDDEN_ROWS else "")
    return InputError(file, f"{len(rows)} hidden row(s) ({shown}) are read and scored, though the spreadsheet "
                            "does not show them", sheet)


def hidden_columns_warning(file: str, sheet: str, columns: list[str]) -> InputError:
    """Hidden columns with text are read like the others, as hidden rows are: a department hides a
    column it no longer uses, and a reviewer who opens the sheet does not see what was scored."""
    return InputError(file, f"{len(columns)} hidden column(s) ({', '.join(columns)}) are read and scored, though "
                            "the spreadsheet does not show them", sheet)


def hidden_sheet_warning(file: str, sheet: str) -> InputError:
    """A hidden sheet with an indicator table is read like any other (nothing is dropped), but a
    reviewer who opens the workbook does not see it, so flags on its rows need saying where from."""
    return InputError(file, f"sheet {sheet} is hidden in the workbook: its rows are read and scored, "
                            "though Excel does not show them", sheet)
