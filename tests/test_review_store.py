"""Review decisions: stable keys, the SQLite store, hiding rejected findings, importing workbooks."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from fake_scorer import FakeScorer
from nlp.fingerprints import KEY_CELLS, finding_key
from nlp.records import INTERCHANGE_COLUMNS
from nlp.report.xlsx import REVIEW_COMMENT, REVIEW_DECISION, XlsxReportWriter
from nlp.review.exchange import ReviewFileError, export_csv, export_xlsx, read_decisions
from nlp.review.store import Decision, ReviewStore, StoreError
from nlp.review.suppress import suppress_frame
from nlp.schema import FINDINGS_COLUMN
from workbook_spellings import rewritten, strict

ROWS = pd.DataFrame([
    {"row_id": "a:2", "department": "文化局", "project_name": "广播剧", "level2": "质量指标", "level3": "质量指标", "target_value": "≥95%"},
    {"row_id": "a:3", "department": "文化局", "project_name": "广播剧", "level2": "数量指标", "level3": "完成剧目", "target_value": "提升"},
    {"row_id": "a:4", "department": "文化局", "project_name": "广播剧", "level2": "数量指标", "level3": "完成剧目数", "target_value": "3部"},
]).reindex(columns=list(INTERCHANGE_COLUMNS), fill_value="")  # as iqc reads a table: every column, empty if absent


@pytest.fixture
def scored() -> pd.DataFrame:
    return FakeScorer().score_frame(ROWS)


def test_key_ignores_row_id_and_spacing_but_not_cells_or_code() -> None:
    row = ROWS.iloc[0].to_dict()
    moved = {**row, "row_id": "b:99", "level3": " 质量 \u3000指标 ".replace("质量 \u3000", "质量")}
    assert finding_key(row, "B1") == finding_key(moved, "B1")
    assert finding_key(row, "B1") == finding_key({**row, "level3": "质量指标  "}, "B1")
    assert finding_key(row, "B1") != finding_key(row, "B2")
    assert finding_key(row, "B1") != finding_key({**row, "target_value": "≥96%"}, "B1")


def test_decisions_survive_reopening_and_only_rejections_hide(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "r.db")
    store.decide("k1", "B1", "reject", "通用表述可接受", reviewer="王", cells={"level3": "质量指标"})
    store.decide("k2", "M1", "accept")
    store.decide("k3", "C1", None, "待确认")
    again = ReviewStore(tmp_path / "r.db")
    assert again.rejected_keys() == {"k1"}
    k1 = again.by_key()["k1"]
    assert (k1.comment, k1.reviewer, k1.cells) == ("通用表述可接受", "王", {"level3": "质量指标"})
    again.decide("k1", "B1", "accept")
    assert ReviewStore(tmp_path / "r.db").rejected_keys() == frozenset()
    with pytest.raises(ValueError):
        again.decide("k4", "B1", "maybe")


def test_a_file_that_is_not_a_store_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StoreError, match="bad.db: not a usable review database"):
        ReviewStore(path)


def test_rejected_finding_is_hidden_and_its_family_unflagged(scored: pd.DataFrame) -> None:
    first = scored.iloc[0]
    code = first[FINDINGS_COLUMN][0]["code"]
    rejected = frozenset({finding_key({**first.to_dict(), "row_id": "elsewhere"}, code)})
    out, hidden = suppress_frame(scored, rejected)
    assert hidden == 1
    assert out.loc[0, "codes"] == "" and out.loc[0, "explanation"] == "" and out.loc[0, FINDINGS_COLUMN] == []
    assert not out.loc[0, "flag_boilerplate"] and out["flag_boilerplate"].dtype == scored["flag_boilerplate"].dtype
    assert out.loc[0, "risk"] == scored.loc[0, "risk"]  # the model's score is not a decision
    pd.testing.assert_frame_equal(out.iloc[1:], scored.iloc[1:])
    assert suppress_frame(scored, frozenset({"unrelated"}))[1] == 0


def _reviewed_workbook(scored: pd.DataFrame, path: Path, decision: str, comment: str) -> Path:
    with XlsxReportWriter(path) as writer:
        writer.write_chunk(scored)
    book = load_workbook(path)
    sheet = book["indicators"]
    header = [cell.value for cell in sheet[1]]
    validation = sheet.data_validations.dataValidation[0]
    assert validation.formula1 == '"采纳,驳回"'
    assert str(validation.sqref).startswith(f"{sheet.cell(2, header.index(REVIEW_DECISION) + 1).coordinate}:")
    sheet.cell(2, header.index(REVIEW_DECISION) + 1, decision)
    sheet.cell(2, header.index(REVIEW_COMMENT) + 1, comment)
    book.save(path)
    return path


def test_reviewed_workbook_imports_and_hides_the_row_in_a_later_run(scored: pd.DataFrame, tmp_path: Path) -> None:
    workbook = _reviewed_workbook(scored, tmp_path / "scored.xlsx", "驳回", "本项目质量指标已在说明中定义")
    imported = read_decisions(workbook, reviewer="李")
    assert imported.problems == []
    [decision] = imported.decisions
    assert (decision.code, decision.decision, decision.comment, decision.reviewer) == (
        scored.loc[0, "codes"], "reject", "本项目质量指标已在说明中定义", "李")
    assert decision.cells["level3"] == "质量指标"
    store = ReviewStore(tmp_path / "r.db")
    store.save(imported.decisions)
    rerun = FakeScorer().score_frame(ROWS.assign(row_id=["x", "y", "z"]).iloc[::-1].reset_index(drop=True))
    out, hidden = suppress_frame(rerun, store.rejected_keys())
    assert hidden == 1 and out.loc[2, "codes"] == "" and out.loc[1, "codes"] == rerun.loc[1, "codes"] != ""


def test_a_reviewed_workbook_saved_as_strict_open_xml_imports_the_same_decisions(scored: pd.DataFrame,
                                                                                tmp_path: Path) -> None:
    """Excel can save as "Strict Open XML"; openpyxl reads such a file as having no sheet, and the
    import refused it as holding no 审核结论 column."""
    workbook = _reviewed_workbook(scored, tmp_path / "scored.xlsx", "驳回", "已核实")
    saved_strict = rewritten(workbook, tmp_path / "strict.xlsx", strict)
    assert [(d.key, d.decision, d.comment) for d in read_decisions(saved_strict).decisions] == \
           [(d.key, d.decision, d.comment) for d in read_decisions(workbook).decisions] != []


def test_bad_decision_word_is_reported_with_its_cell(scored: pd.DataFrame, tmp_path: Path) -> None:
    imported = read_decisions(_reviewed_workbook(scored, tmp_path / "s.xlsx", "同意", ""))
    assert imported.decisions == []
    assert imported.problems == ["s.xlsx:indicators!2: decision must be 采纳 or 驳回 (accept/reject), not '同意'"]


@pytest.mark.parametrize("export", [export_csv, export_xlsx])
def test_export_reimports_to_the_same_decisions(export, tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "a.db")
    store.decide(finding_key(ROWS.iloc[0], "B1"), "B1", "reject", "可接受", reviewer="王", batch="b1",
                 cells={name: ROWS.iloc[0].get(name, "") for name in KEY_CELLS})
    store.decide(finding_key({}, "M1"), "M1", None, "再看看", batch="b2", cells=dict.fromkeys(KEY_CELLS, ""))
    path = tmp_path / ("export.csv" if export is export_csv else "export.xlsx")
    path.write_bytes(export(store.decisions()))
    imported = read_decisions(path)
    assert imported.problems == []
    copy = ReviewStore(tmp_path / "b.db")
    copy.save(imported.decisions)
    assert copy.by_key() == store.by_key()


@pytest.mark.parametrize("comment", ["理由一\r理由二", "理由一\r\n理由二", "理由一\n理由二"])
def test_a_comment_with_a_line_break_reimports_from_the_csv_export(comment: str, tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "a.db")
    store.decide(finding_key(ROWS.iloc[0], "B1"), "B1", "reject", comment, batch="b1",
                 cells={name: ROWS.iloc[0].get(name, "") for name in KEY_CELLS})
    exported = export_csv(store.decisions())
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"), newline="")))
    assert [row[3] for row in rows] == ["comment", comment]
    path = tmp_path / "export.csv"
    path.write_bytes(exported)
    imported = read_decisions(path)
    assert imported.problems == []
    assert [decision.comment for decision in imported.decisions] == ["理由一 理由二"]  # spacing normalised


def test_a_file_without_decisions_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("level3,target_value\n质量指标,≥95%\n", encoding="utf-8")
    with pytest.raises(ReviewFileError, match="no sheet with a 审核结论"):
        read_decisions(path)


@pytest.mark.parametrize("jobs", [1, 2])
def test_cli_imports_a_reviewed_workbook_and_hides_its_rejections(iqc, tmp_path: Path, jobs: int) -> None:
    sample = Path(__file__).resolve().parent.parent / "data" / "samples" / "sample_zh.xlsx"
    code, err = iqc("score", sample, "-o", tmp_path / "scored.xlsx", "--quiet")
    assert code == 0, err
    book = load_workbook(tmp_path / "scored.xlsx")
    sheet = book["indicators"]
    header = [cell.value for cell in sheet[1]]
    flagged = [row for row in sheet.iter_rows(min_row=2) if row[header.index("codes")].value]
    flagged[0][header.index(REVIEW_DECISION)].value = "驳回"
    flagged[1][header.index(REVIEW_DECISION)].value = "采纳"
    book.save(tmp_path / "reviewed.xlsx")
    rejected = len(flagged[0][header.index("codes")].value.split(";"))

    code, err = iqc("review", "import", tmp_path / "reviewed.xlsx", "--db", tmp_path / "r.db")
    assert code == 0 and "驳回" in err, err
    code, err = iqc("score", sample, "-o", tmp_path / "again.csv", "--db", tmp_path / "r.db", "--jobs", jobs)
    assert code == 0 and f"hid {rejected} finding(s) rejected in review" in err, err
    again = pd.read_csv(tmp_path / "again.csv", dtype=str, keep_default_na=False)
    before = pd.read_excel(tmp_path / "scored.xlsx", sheet_name="indicators", dtype=str, keep_default_na=False,
                           engine="openpyxl")
    target = before[before["row_id"] == flagged[0][header.index("row_id")].value][list(KEY_CELLS)].iloc[0]
    identical = (before[list(KEY_CELLS)] == target).all(axis=1)
    assert list(again["codes"] != before["codes"]) == list(identical)
    assert set(again.loc[identical, "codes"]) == {""}


def test_cli_refuses_a_missing_store_in_one_line(iqc, tmp_path: Path) -> None:
    code, err = iqc("score", tmp_path, "-o", tmp_path / "x.csv", "--db", tmp_path / "none.db")
    assert code == 2 and err.strip().endswith("none.db: no such review database") and "Traceback" not in err


def test_score_refuses_another_sqlite_database_and_leaves_it_as_it_was(iqc, tmp_path: Path) -> None:
    """``iqc score --db other.db`` created the review tables in another program's database and
    hid nothing, without a word: a mistyped path must not pass for a store."""
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE budget (project TEXT, amount REAL)")
    before = path.read_bytes()
    (tmp_path / "t.csv").write_text("project_name,level3,target_value\n广播剧,质量指标,≥95%\n", encoding="utf-8")
    code, err = iqc("score", tmp_path / "t.csv", "-o", tmp_path / "x.csv", "--db", path)
    assert code == 2 and err.strip().endswith(f"{path}: not a review store (it has no decisions table)"), err
    assert path.read_bytes() == before and not (tmp_path / "x.csv").exists()


def _other_database(path: Path) -> bytes:
    """Another program's SQLite database at ``path``; its bytes."""
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE budget (project TEXT, amount REAL)")
    return path.read_bytes()


def test_review_import_refuses_another_sqlite_database_and_leaves_it_as_it_was(scored: pd.DataFrame, iqc,
                                                                                tmp_path: Path) -> None:
    """Opening a store to write created its tables in any SQLite file: ``iqc review import --db
    other.db`` wrote the decisions into another program's database and said it had imported them."""
    path = tmp_path / "other.db"
    before = _other_database(path)
    workbook = _reviewed_workbook(scored, tmp_path / "scored.xlsx", "驳回", "")
    code, err = iqc("review", "import", workbook, "--db", path)
    assert (code, err) == (1, f"iqc: {path}: not a review store (it has no decisions table)\n")
    assert path.read_bytes() == before


@pytest.mark.parametrize("kind", ["other database", "text file", "folder", "missing folder"])
def test_serve_refuses_a_store_that_is_not_one_at_start_up(iqc, tmp_path: Path, kind: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """``iqc serve --db other.db`` started, and its first scoring request wrote the review tables
    into the other program's database; a text file or a folder answered every request with a 503."""
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("the server started"))
    monkeypatch.setenv("IQC_REVIEW_DB", "")  # restored after the test: serve --db sets it for its workers
    path = {"folder": tmp_path, "missing folder": tmp_path / "none" / "r.db"}.get(kind, tmp_path / "r.db")
    before = _other_database(path) if kind == "other database" else None
    if kind == "text file":
        path.write_text("项目,金额\n", encoding="utf-8")
    code, err = iqc("serve", "--db", path)
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith(f"iqc serve: {path}"), err
    assert before is None or path.read_bytes() == before


def test_serve_starts_with_a_store_or_a_new_file(iqc, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    monkeypatch.setenv("IQC_REVIEW_DB", "")
    ReviewStore(tmp_path / "r.db").decide("k1", "B1", "reject")
    assert iqc("serve", "--db", tmp_path / "r.db") == (0, "")
    assert iqc("serve", "--db", tmp_path / "new.db") == (0, "")
    assert ReviewStore(tmp_path / "r.db").rejected_keys() == {"k1"}


def test_a_full_disk_is_a_store_error_and_saves_nothing(tmp_path: Path, full_disk: None) -> None:
    store = ReviewStore(tmp_path / "r.db")
    with pytest.raises(StoreError, match=r"r\.db: database or disk is full; the change was not saved"):
        store.save(Decision(f"key{i}", "B1", "reject", "意见" * 400, "", "2026-01-01", "", {}) for i in range(50))
    assert store.decisions() == []  # all or nothing


def test_a_store_path_in_a_missing_folder_or_naming_a_folder_says_so(iqc, tmp_path: Path) -> None:
    """``--db`` in a folder that does not exist, or naming a folder, was "not a usable review
    database (unable to open database file)", SQLite's words, read as a damaged store."""
    workbook = tmp_path / "scored.xlsx"
    with XlsxReportWriter(workbook) as writer:
        writer.write_chunk(FakeScorer().score_frame(ROWS))
    missing = tmp_path / "none" / "r.db"
    assert iqc("review", "import", workbook, "--db", missing) == (
        1, f"iqc: {missing}: its folder {missing.parent} does not exist (the store file is created, its folder is not)\n")
    with pytest.raises(StoreError, match=r": a folder, not a review database file$"):
        ReviewStore(tmp_path)
