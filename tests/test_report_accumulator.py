"""The accumulator behind both reports: counts add up and the top-K heap keeps the right rows."""
from __future__ import annotations

import pandas as pd
import pytest

from nlp.codes import catalogue, precedence
from nlp.report import ReportAccumulator
from nlp.report.synthetic import synthetic_scored_frame
from nlp.schema import FAMILIES


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_scored_frame(500, departments=5, seed=1)


def _fed(frame: pd.DataFrame, keep: int, chunk: int = 77) -> ReportAccumulator:
    acc = ReportAccumulator(keep)
    for start in range(0, len(frame), chunk):
        acc.add(frame.iloc[start : start + chunk])
    return acc


def test_top_rows_are_the_flagged_riskiest_in_input_order_on_ties(frame) -> None:
    flagged = frame[[f"flag_{f}" for f in FAMILIES]].any(axis=1)
    expected = (
        frame.assign(flagged=flagged, order=range(len(frame)))
        .sort_values(["flagged", "risk", "order"], ascending=[False, False, True])
        .head(25)["row_id"]
        .tolist()
    )
    assert [row.values["row_id"] for row in _fed(frame, 25).top_rows()] == expected


def test_totals_and_groups_add_up(frame) -> None:
    acc = _fed(frame, 10)
    assert acc.total.rows == len(frame)
    assert sum(d.rows for d in acc.departments()) == len(frame)
    projects = acc.projects_by_department()
    assert sum(p.rows for group in projects.values() for p in group) == len(frame)
    for family in FAMILIES:
        assert acc.total.families[family] == frame[f"flag_{family}"].sum()
    assert acc.total.codes["M5"] == frame["findings"].map(lambda f: any(x["code"] == "M5" for x in f)).sum()


def test_riskiest_projects_show_their_worst_row(frame) -> None:
    acc = _fed(frame, 50)
    ranked = acc.riskiest_projects(5, 3)
    assert [s.risk_max for s, _ in ranked] == sorted((s.risk_max for s, _ in ranked), reverse=True)
    for stats, rows in ranked:
        assert rows and rows[0].risk == stats.risk_max
        assert all(row.values["project_name"] == stats.project for row in rows)


def test_missing_department_grouped_under_placeholder(frame) -> None:
    acc = _fed(frame.assign(department=""), 5)
    assert [d.department for d in acc.departments()] == ["（未注明部门）"]


def test_a_projects_table_codes_are_those_of_all_its_tables(frame) -> None:
    """Two tables of one project (two files, two years) with T1;T2 and T1: the summary sheet and
    the HTML report said only the last one's codes, T2 gone though rows carry it."""
    tables = frame[(frame["department"] == frame["department"].iat[0])
                   & (frame["project_name"] == frame["project_name"].iat[0])].head(4).copy()
    tables["table_codes"] = ["T1;T2", "T1;T2", "T1", ""]
    key = (tables["department"].iat[0], tables["project_name"].iat[0])
    assert _fed(tables, 10, chunk=1).table_codes[key] == "T1;T2"


def test_code_rows_count_a_tables_codes_on_its_rows_in_catalogue_order(frame) -> None:
    """One list of (code, rows) for the workbook's legend and the HTML report's code table: the
    HTML report counted only the rows' own codes, so T1/T2 (in ``table_codes``) were missing."""
    tables = frame.head(20).assign(table_codes=["T1;T2"] * 12 + ["T1"] * 3 + [""] * 5)
    acc = _fed(tables, 5)
    rows = acc.code_rows()
    assert [code for code, _ in rows] == sorted(catalogue(), key=precedence().__getitem__)
    counts = dict(rows)
    assert (counts["T1"], counts["T2"]) == (15, 12)
    assert {code: n for code, n in counts.items() if code not in ("T1", "T2") and n} == dict(acc.total.codes)


def test_code_rows_keep_a_code_the_catalogue_does_not_know(frame) -> None:
    """A scored file read back may carry a code this version no longer has: it is counted last,
    not dropped."""
    acc = _fed(frame.head(3).drop(columns=["findings"]).assign(codes=["Z9", "Z9;M5", ""]), 5)
    assert acc.code_rows()[-1] == ("Z9", 2)
