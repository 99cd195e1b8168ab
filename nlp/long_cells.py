"""Cells too long to analyse: analysed by their first characters, reported with finding I1.

A whole document pasted into one cell (a million characters) would otherwise stop the text
pipeline (spaCy refuses texts over 10^6 characters) and with it the batch. The scorer analyses
such a cell cut to ``analysed_cell_chars`` (``data/input.toml``), keeps the cell unchanged in its
output and adds the advisory finding :data:`CODE` naming the column and its length.
"""
from __future__ import annotations

from nlp.codes import catalogue
from nlp.context import Columns
from nlp.limits import ANALYSED_CELL_CHARS
from nlp.schema import Finding

CODE = "I1"

#: Row position -> the (column, length) of each cell that was cut.
Cuts = dict[int, list[tuple[str, int]]]


def cut_for_analysis(columns: Columns) -> tuple[Columns, Cuts]:
    """``columns`` with every cell over :data:`ANALYSED_CELL_CHARS` cut to it (same object when none is)."""
    cuts: Cuts = {}
    cut_columns = dict(columns)
    for name, values in columns.items():
        if max(map(len, values), default=0) <= ANALYSED_CELL_CHARS:
            continue  # the usual case: one pass, nothing copied
        cut_columns[name] = [value[:ANALYSED_CELL_CHARS] for value in values]
        for row, value in enumerate(values):
            if len(value) > ANALYSED_CELL_CHARS:
                cuts.setdefault(row, []).append((name, len(value)))
    return (cut_columns if cuts else columns), cuts


def with_cut_findings(outputs: list[tuple], cuts: Cuts) -> list[tuple]:
    """Scorer outputs (values..., findings) with a :data:`CODE` finding added to each cut row."""
    for row, cells in cuts.items():
        *values, findings = outputs[row]
        outputs[row] = (*values, (*findings, *(_finding(name, length) for name, length in cells)))
    return outputs


def _finding(name: str, length: int) -> Finding:
    entry = catalogue()[CODE]
    evidence = f"{name}: {length} 字，分析前 {ANALYSED_CELL_CHARS} 字"
    return Finding(code=CODE, family=entry["family"], severity=entry["severity"], title=entry["title"],
                   message=entry["message"].format(evidence=evidence), evidence=evidence,
                   suggestion=entry["suggestion"], field=name)
