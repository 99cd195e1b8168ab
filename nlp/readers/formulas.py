"""Formula cells whose saved value no spreadsheet program ever computed.

A workbook written by a program (openpyxl, pandas' Excel writers, xlsxwriter, Apache POI) keeps a
formula with no result, or with a placeholder 0, and asks the spreadsheet program to compute
every formula when it opens the file (``fullCalcOnLoad`` in ``xl/workbook.xml``). Read as saved,
a 指标值 such as ``="≥"&B9&"人"`` is empty or 0: a row flagged for a value the department did
enter, and nothing said. The readers cannot compute formulas, so for such a workbook they say
which cells hold formulas; a workbook saved by Excel or WPS carries computed values and is not
searched.
"""
from __future__ import annotations

import re
import zipfile

from nlp.readers.base import InputError
from nlp.readers.xlsx_parts import element_prefix, part_matches

_RECALCULATE_ON_OPEN = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?calcPr\b[^>]*\bfullCalcOnLoad="(?:1|true)"')
NAMED_CELLS = 3


def recalculated_on_open(archive: zipfile.ZipFile) -> bool:
    """Does the workbook ask to have its formulas computed when it is opened (so its saved
    results are not to be trusted)?"""
    return bool(_RECALCULATE_ON_OPEN.search(archive.read("xl/workbook.xml")))


def formula_cells(archive: zipfile.ZipFile, part: str) -> tuple[int, list[str]]:
    """How many formula cells the sheet ``part`` holds, and the first :data:`NAMED_CELLS` of them."""
    count, first = 0, []
    prefix = re.escape(element_prefix(archive, part))
    # a cell element whose first child is a formula (the schema puts <f> before <v>)
    formula_cell = re.compile(b"<" + prefix + rb'c\b[^>]*?\br="([A-Z]{1,3}[0-9]+)"[^>]*><' + prefix + rb"f\b")
    for match in part_matches(archive, part, formula_cell):
        count += 1
        if len(first) < NAMED_CELLS:
            first.append(match.group(1).decode())
    return count, first


def stale_formula_warning(file: str, sheet: str, count: int, first: list[str]) -> InputError:
    cells = ", ".join(first) + ("…" if count > len(first) else "")
    return InputError(file, f"{count} formula cell(s) ({cells}) hold no computed value: the workbook was written "
                            "by a program that leaves its formulas for Excel to compute on opening, so they are "
                            "read as empty or 0. Open and save it in Excel or WPS first", sheet)
