"""Reading one scored row the same way in every writer: its findings, codes and display text.

The scored frame carries findings as a list of dicts, but a frame read back from CSV/XLSX has only
the ``codes`` string; both become the same list of finding dicts here so highlighting, counting and
explanations never disagree between the XLSX and the HTML report.
"""
from __future__ import annotations

import math
from html import escape
from typing import Any, Iterable

import numpy as np
import pandas as pd

from nlp.codes import catalogue
from nlp.schema import FAMILIES

FLAG_COLUMNS: tuple[str, ...] = tuple(f"flag_{family}" for family in FAMILIES)
#: The control characters but tab and line ends, each to its picture (NUL ␀, ESC ␛, DEL ␡).
_CONTROL_PICTURES = {**{code: 0x2400 + code for code in range(0x20) if chr(code) not in "\t\n\r"}, 0x7F: 0x2421}


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict("records")``, built from each column's ``tolist()`` in about a quarter of the
    time: every row of a batch's report, JSONL output or suppressed findings passes through here.
    Values are what ``to_dict`` gives: Python scalars, and ``None`` for ``pd.NA``."""
    names = list(frame.columns)
    columns = [_native_values(frame.iloc[:, i]) for i in range(frame.shape[1])]
    return [dict(zip(names, values)) for values in zip(*columns)]


def _native_values(column: pd.Series) -> list[Any]:
    """The column's values as ``to_dict`` boxes them. ``tolist()`` already gives Python scalars
    for a NumPy column and for the default string dtype (a ``str`` or NaN); an object or other
    extension column may hold NumPy scalars or ``pd.NA``, which ``to_dict`` turns into Python
    scalars and ``None``."""
    values = column.tolist()
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype != object:
        return values
    if isinstance(dtype, pd.StringDtype) and dtype.na_value is not pd.NA:
        return values
    return [_native(value) for value in values]


def _native(value: Any) -> Any:
    if value is pd.NA:
        return None
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value)
    if isinstance(value, np.timedelta64):  # before np.integer, of which it is a subclass
        return pd.Timedelta(value)
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    return value


def display(value: Any) -> str:
    """Cell text for people: missing values (None/NaN/NA) become ""."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def html_text(text: str) -> str:
    """``text`` escaped for HTML, each control character shown as its picture: a browser dropped a
    NUL and hid the others, so a cell looked clean in the report that is not in the CSV or JSONL
    output (which keep the characters; the workbook keeps them as Excel's _xHHHH_ escapes)."""
    return escape(text.translate(_CONTROL_PICTURES))


def split_codes(codes: Any) -> list[str]:
    return [code for code in display(codes).replace(",", ";").split(";") if code.strip()]


def row_findings(findings: Any, codes: Any) -> list[dict[str, str]]:
    """The row's findings as dicts; synthesised from the catalogue when only codes are known."""
    if isinstance(findings, Iterable) and not isinstance(findings, (str, bytes)):
        listed = [_as_dict(item) for item in findings]
        if listed:
            return listed
    return [_from_catalogue(code.strip()) for code in split_codes(codes)]


def row_codes(findings: list[dict[str, str]], codes: Any) -> list[str]:
    """Codes of the row in report order (``codes`` first, then advisory-only findings)."""
    ordered = [code.strip() for code in split_codes(codes)]
    ordered += [finding["code"] for finding in findings]
    return list(dict.fromkeys(ordered))


def _as_dict(item: Any) -> dict[str, str]:
    return item.to_dict() if hasattr(item, "to_dict") else dict(item)


def _from_catalogue(code: str) -> dict[str, str]:
    entry = catalogue().get(code, {})
    return {
        "code": code,
        "family": entry.get("family", "advisory"),
        "severity": entry.get("severity", ""),
        "title": entry.get("title", code),
        "message": entry.get("description", ""),
        "evidence": "",
        "suggestion": entry.get("suggestion", ""),
        "field": entry.get("field", "level3"),
        "source": "catalogue",
    }
