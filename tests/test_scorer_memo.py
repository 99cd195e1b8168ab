"""The scorer computes each distinct row once and remembers it; that must never change a result."""
from __future__ import annotations

import pandas as pd
import pytest

import nlp
from nlp.context import find_twins, frame_columns, table_facts, table_keys
from nlp.copies import Twin
from nlp.corpus import load_corpus
from nlp.features import analyse_columns
from nlp.records import ALL_COLUMNS
from nlp.rules import copied_evidence
from nlp.schema import FINDINGS_COLUMN, OUTPUT_COLUMNS, TABLE_FINDINGS_COLUMN, Finding, finding_cells
from nlp.scorer import _split_findings, with_twins_named  # the scorer splits a row's findings from its table's


@pytest.fixture(scope="module")
def corpus_rows() -> pd.DataFrame:
    corpus = load_corpus()
    return corpus[[c for c in ALL_COLUMNS if c in corpus.columns]].astype(str)


@pytest.fixture(scope="module")
def scorers() -> tuple:
    return nlp.load(), nlp.load(memo_bytes=0)


def _copies(rows: pd.DataFrame, copies: int, new_projects: bool = True) -> pd.DataFrame:
    """The rows repeated as new tables (same content, new ids): of new projects (then every copy is
    a copied table, B4) or of the same projects submitted again (not a copy of another's work)."""
    parts = [rows.assign(table_id=rows["table_id"] + f"~{k}", row_id=rows["row_id"] + f"~{k}",
                         project_name=rows["project_name"] + (f"（第{k}批）" if new_projects else ""))
             for k in range(copies)]
    return pd.concat(parts, ignore_index=True)


def test_memoised_scores_equal_row_by_row_scores(corpus_rows, scorers) -> None:
    """Against the undeduplicated path: every row analysed and scored on its own."""
    memoised, fresh = scorers
    batch = _copies(corpus_rows, 3).sample(frac=1.0, random_state=1).reset_index(drop=True)
    chunks = [batch.iloc[:700], batch.iloc[700:]]
    got = pd.concat([memoised.score_frame(chunk) for chunk in chunks])
    for chunk, scored in zip(chunks, (got.iloc[:700], got.iloc[700:])):
        columns = frame_columns(chunk)
        twins = find_twins(columns)
        raw = fresh._score_analysed(analyse_columns(columns, table_facts(columns, twins), range(len(chunk))))
        raw = with_twins_named(raw, table_keys(columns), twins)
        want = pd.DataFrame([row[:-1] for row in raw], columns=list(OUTPUT_COLUMNS))
        split = [_split_findings(row[-1]) for row in raw]
        want[FINDINGS_COLUMN] = [own for own, _ in split]
        want[TABLE_FINDINGS_COLUMN] = [table for _, table in split]
        pd.testing.assert_frame_equal(scored[want.columns].reset_index(drop=True), want)
    assert got["row_id"].tolist() == batch["row_id"].tolist()


def test_one_remembered_output_names_each_table_s_own_twin() -> None:
    """The copies of one table share one remembered output, and its B4 is named once per output
    and twin: tables whose twins differ in the project, the department or the file alone must
    each name their own twin, in the finding and in the explanation, and a table without a twin
    keep the output as it is."""
    generic = copied_evidence(1.0)
    b4 = Finding(code="B4", family="boilerplate", severity="medium", title="模板化默认取值",
                 message=f"“培训人数”的取值“≥95%”疑为模板默认值：{generic}。", evidence=generic,
                 suggestion="逐项测算取值。", field="target_value")
    b1 = Finding(code="B1", family="boilerplate", severity="high", title="类别名复述", message="只是复述类别名。",
                 evidence="数量", suggestion="写明衡量对象。", field="level3")
    findings = (b1, b4)
    output = (*{**dict.fromkeys(OUTPUT_COLUMNS, ""), **finding_cells(findings)}.values(), findings)
    first = Twin("乙项目", "乙局", "b.csv", 1.0)
    twins = {"a": first, "b": Twin("乙项目", "乙局", "c.csv", 1.0), "c": Twin("丙项目", "乙局", "b.csv", 1.0),
             "d": Twin("乙项目", "丙局", "b.csv", 1.0), "e": first}
    tables = [*twins, "f"]
    named = dict(zip(tables, with_twins_named([output] * len(tables), tables, twins)))
    for table, twin in twins.items():
        *cells, got = named[table]
        assert [f.evidence for f in got] == ["数量", copied_evidence(1.0, twin.describe())], table
        assert twin.describe() in got[1].message and got[0] is b1, table
        assert cells[OUTPUT_COLUMNS.index("explanation")] == finding_cells(got)["explanation"], table
    assert len({named[table][-1][1].evidence for table in "abcd"}) == 4
    assert named["e"] == named["a"] and named["f"] is output


def test_repeated_rows_are_scored_once(corpus_rows) -> None:
    scorer = nlp.load()
    scorer.score_frame(_copies(corpus_rows, 4, new_projects=False))
    assert 0 < len(scorer._memo) <= len(corpus_rows)


def test_memo_stays_bounded(corpus_rows) -> None:
    scorer = nlp.load(memo_bytes=200_000)
    for start in range(0, len(corpus_rows), 50):
        chunk = corpus_rows.iloc[start:start + 50]
        assert len(scorer.score_frame(chunk)) == len(chunk)
        assert scorer._memo.bytes <= 200_000
    assert 0 < len(scorer._memo) < len(corpus_rows)


def test_score_on_dicts_equals_score_frame(corpus_rows, scorers) -> None:
    memoised, _ = scorers
    frame = corpus_rows.head(120).copy()
    frame.loc[frame.index[:10], "budget_wan"] = None  # missing cells read the same both ways
    from_frame = memoised.score_frame(frame).to_dict("records")
    from_dicts = nlp.load().score(frame.to_dict("records"))
    assert from_dicts == from_frame


def test_findings_column_is_optional(corpus_rows, scorers) -> None:
    memoised, _ = scorers
    with_findings = memoised.score_frame(corpus_rows.head(50))
    without = memoised.score_frame(corpus_rows.head(50), findings=False)
    pd.testing.assert_frame_equal(without, with_findings.drop(columns=[FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN]))


def test_b3_message_quotes_the_project_domain() -> None:
    row = {"project_name": "呔商广播剧制作", "level1": "效益指标", "level2": "生态效益指标",
           "level3": "生态效益提升值%", "target_value": "≥95%"}
    [scored] = nlp.load(memo_bytes=0).score([row])
    b3 = [f for f in scored["findings"] if f["code"] == "B3"]
    assert b3 and "广播剧" in b3[0]["message"] and "生态效益提升值" in b3[0]["message"]


def test_structure_vectoriser_matches_dictvectorizer(corpus_rows) -> None:
    from nlp.features import analyse_frame, numeric_dicts_to_csr

    featurizer = nlp.load().model.featurizer_
    dicts = featurizer._structure_dicts(analyse_frame(corpus_rows))
    dicts.append({"never_seen_feature": 1.0, "value_malformed": 0.0})
    fast = numeric_dicts_to_csr(dicts, featurizer.structure_.vocabulary_)
    assert (fast != featurizer.structure_.transform(dicts)).nnz == 0


def test_frame_columns_read_every_kind_of_cell_as_pandas_text_with_missing_cells_empty() -> None:
    """What ``fillna("").astype(str)`` gave for the readers' text columns, taken without it; typed
    columns a Python caller may pass (nullable integers, dates) read too (the integers raised)."""
    import numpy as np

    frame = pd.DataFrame({
        "level3": pd.Series(["培训人数", np.nan, ""], dtype="str"),
        "level2": pd.array(["数量指标", None, "x"], dtype="string"),
        "target_value": pd.array([100, None, 3], dtype="Int64"),
        "description": [None, 2.5, ["a", "b"]],
        "basis": pd.to_datetime(["2025-06-30", None, "2025-12-31"]),
        "unit": [pd.NA, pd.NaT, True],
    })
    columns = frame_columns(frame)
    assert columns["level3"] == ["培训人数", "", ""] and columns["level2"] == ["数量指标", "", "x"]
    assert columns["target_value"] == ["100", "", "3"]
    assert columns["description"] == ["", "2.5", "['a', 'b']"]
    assert columns["basis"] == ["2025-06-30", "", "2025-12-31"]
    assert columns["unit"] == ["", "", "True"]
    assert columns["project_name"] == ["", "", ""]  # a column the frame does not have
