"""Checks across tables: copies between departments' files (B4 naming the twin) and tables missing
a required dimension (T1). The CLI, ``score_frame`` and the HTTP API must agree on all of them.

The tables are built from a real labelled table chosen by its shape (a complete table of the
older framework with at least eight indicators), not by its id.
"""
from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient

import nlp
from nlp.api import create_app
from nlp.categories import canonical_level2
from nlp.corpus import load_corpus
from nlp.records import ALL_COLUMNS
from nlp.schema import Finding, finding_cells

BENEFITS = {"经济效益", "社会效益", "生态效益", "可持续影响"}
REQUIRED = {"数量", "质量", "时效", "服务对象满意度"}


@pytest.fixture(scope="module")
def complete_table() -> pd.DataFrame:
    corpus = load_corpus()
    for _, table in corpus.groupby("table_id", sort=True):
        level2 = {canonical_level2(v).name for v in table["level2"]}
        if REQUIRED <= level2 and level2 & BENEFITS and len(table) >= 8 and table["level3"].is_unique:
            columns = [c for c in ALL_COLUMNS if c in table.columns and c not in {"table_id", "doc_id", "row_id"}]
            return table[columns].reset_index(drop=True).astype(str)
    pytest.skip("no complete table in the corpus")


def _as(table: pd.DataFrame, department: str, project: str) -> pd.DataFrame:
    return table.assign(department=department, project_name=project)


def _nudge(value: str) -> str:
    """The same value with its first number changed (a trivially edited copy)."""
    return re.sub(r"\d+", lambda m: str(int(m.group()) + 1), value, count=1)


@pytest.fixture(scope="module")
def tables(complete_table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    level2 = complete_table["level2"].map(lambda v: canonical_level2(v).name)
    near = _as(complete_table, "丙局", "丙项目").copy()
    numeric = [i for i, v in enumerate(near["target_value"]) if re.search(r"\d", v)][:2]
    near.loc[numeric, "target_value"] = near.loc[numeric, "target_value"].map(_nudge)
    return {
        "a.csv": _as(complete_table, "甲局", "甲项目"),
        "b.csv": _as(complete_table, "乙局", "乙项目"),
        "c.csv": near,
        "no_satisfaction.csv": _as(complete_table[level2 != "服务对象满意度"], "丁局", "丁项目（无满意度）"),
        "no_benefit.csv": _as(complete_table[~level2.isin(BENEFITS)], "戊局", "戊项目（无效益）"),
    }


def _project_result(scored: pd.DataFrame, project: str, column: str) -> set[str]:
    return {str(v) for v in scored.loc[scored["project_name"] == project, column]}


@pytest.fixture(scope="module")
def results(tables: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("tables")
    for name, table in tables.items():
        table.to_csv(folder / name, index=False)
    frame = pd.concat([table.assign(source_file=name) for name, table in tables.items()], ignore_index=True)
    from nlp.cli import main

    outputs = {}
    for jobs in ("1", "2"):
        out = folder / f"scored{jobs}.jsonl"
        assert main(["score", *map(str, sorted(folder.glob("*.csv"))), "-o", str(out), "--jobs", jobs,
                     "--chunk-rows", "20", "--quiet"]) == 0
        outputs[f"cli --jobs {jobs}"] = pd.read_json(out, lines=True, dtype=False)
    outputs["score_frame"] = nlp.load().score_frame(frame)
    client = TestClient(create_app(scorer=nlp.load()))
    body = client.post("/v1/score", json=frame.to_dict("records")).json()
    outputs["api"] = frame.assign(codes=[";".join(r["codes"]) for r in body["rows"]],
                                  table_codes=[";".join(r["table_codes"]) for r in body["rows"]],
                                  findings=[r["findings"] for r in body["rows"]])
    return outputs


def _b4_evidence(scored: pd.DataFrame, project: str) -> list[str]:
    rows = scored[scored["project_name"] == project]
    return [f["evidence"] for findings in rows["findings"] for f in findings if f["code"] == "B4"]


@pytest.mark.parametrize("project, twin", [("甲项目", "乙项目"), ("乙项目", "甲项目"), ("丙项目", "甲项目")])
def test_a_copied_table_is_b4_naming_its_twin_everywhere(results, project: str, twin: str) -> None:
    for name, scored in results.items():
        evidence = _b4_evidence(scored, project)
        assert evidence and all(twin in e for e in evidence), (name, evidence)
        assert all(code for code in _project_result(scored, project, "codes")), name


def test_the_explanation_names_the_twin_as_the_findings_do(results) -> None:
    """The twin is written into B4's finding and into the explanation cell in place; the cell must
    read as the row's findings rendered afresh."""
    for name in ("cli --jobs 1", "cli --jobs 2", "score_frame"):
        scored = results[name]
        copied = scored[scored["project_name"].isin(["甲项目", "乙项目", "丙项目"])]
        for _, row in copied.iterrows():
            findings = [Finding(**f) for f in row["findings"]]
            assert row["explanation"] == finding_cells(findings)["explanation"], name
            assert "项目“" in row["explanation"], name


@pytest.mark.parametrize("project, missing", [("丁项目（无满意度）", "满意度"), ("戊项目（无效益）", "效益")])
def test_a_table_without_a_required_dimension_is_t1_on_every_row(results, project: str, missing: str) -> None:
    for name, scored in results.items():
        assert _project_result(scored, project, "table_codes") == {"T1"}, name
    findings = results["cli --jobs 1"].loc[results["cli --jobs 1"]["project_name"] == project, "table_findings"]
    assert all(missing in f[0]["evidence"] for f in findings)


def test_the_complete_tables_have_no_table_finding(results) -> None:
    for name, scored in results.items():
        assert _project_result(scored, "甲项目", "table_codes") == {""}, name


def test_cli_score_frame_and_api_agree(results) -> None:
    """Per project, the multiset of row codes and table codes is the same on every path."""
    def per_project(scored: pd.DataFrame, column: str) -> dict[str, list[str]]:
        return scored.groupby("project_name")[column].apply(lambda s: sorted(map(str, s))).to_dict()

    reference = results["score_frame"]
    for name, scored in results.items():
        for column in ("codes", "table_codes"):
            assert per_project(scored, column) == per_project(reference, column), (name, column)


def test_the_workbook_lists_the_copy_cluster(tables, tmp_path: Path) -> None:
    for name, table in tables.items():
        table.to_csv(tmp_path / name, index=False)
    from nlp.cli import main

    out = tmp_path / "review.xlsx"
    assert main(["score", *map(str, sorted(tmp_path.glob("*.csv"))), "-o", str(out), "--quiet"]) == 0
    sheet = openpyxl.load_workbook(out, read_only=True)["copies"]
    listed = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"甲项目", "乙项目", "丙项目"} <= listed
