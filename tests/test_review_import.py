"""``iqc review import`` of files reviewers have worked on: every decision lands on its own
finding, or a one-line problem names the file, sheet and row; nothing is dropped unsaid."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from fake_scorer import FakeScorer
from nlp.fingerprints import KEY_CELLS, finding_key
from nlp.report.xlsx import REVIEW_CHECK, REVIEW_COMMENT, REVIEW_DECISION, XlsxReportWriter
from nlp.review.exchange import REVIEW_REVIEWER, UNCHECKED, ReviewFileError, export_csv, read_decisions
from nlp.review.store import ReviewStore
from test_review_store import ROWS  # scored by the fake scorer: sheet row 2 gets B1, row 3 M1, row 4 nothing

KEY = "ab" * 32


def scored_workbook(folder: Path, rows: pd.DataFrame = ROWS) -> Path:
    """The ``iqc score`` workbook of ``rows``, written in ``folder``."""
    path = folder / "scored.xlsx"
    with XlsxReportWriter(path) as writer:
        writer.write_chunk(FakeScorer().score_frame(rows))
    return path


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return scored_workbook(tmp_path)


def reviewed(path: Path, edit: Callable[[Worksheet, Callable[[str], int]], None]) -> Path:
    """``path`` after ``edit(sheet, column)`` of its main sheet (``column(name)``: 1-based index)."""
    book = load_workbook(path)
    sheet = book["indicators"]
    header = [cell.value for cell in sheet[1]]
    edit(sheet, lambda name: header.index(name) + 1)
    target = path.with_name("reviewed.xlsx")
    book.save(target)
    return target


def test_an_export_row_without_a_usable_key_or_code_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    """A short line (the reviewer moved the key column to the end) raised KeyError; a blank key
    or code was stored as a decision that no finding could ever match."""
    path = tmp_path / "export.csv"
    path.write_text(f"decision,code,key\n驳回,B1\n驳回,B1,\n驳回,,{KEY}\n驳回,B1,{KEY}\n", encoding="utf-8")
    imported = read_decisions(path)
    assert [(d.key, d.code, d.decision) for d in imported.decisions] == [(KEY, "B1", "reject")]
    assert imported.problems == ["export.csv:2: key must be the finding's 64-character key, not ''",
                                 "export.csv:3: key must be the finding's 64-character key, not ''",
                                 "export.csv:4: code is empty"]


@pytest.mark.parametrize("name", ["gone.xlsx", "gone.ods", "gone.csv"])
def test_a_file_that_is_not_there_is_said_so(tmp_path: Path, name: str) -> None:
    """A mistyped name was "not a readable workbook (FileNotFoundError)", as if the file were damaged."""
    with pytest.raises(ReviewFileError) as error:
        read_decisions(tmp_path / name)
    assert str(error.value) == f"{tmp_path / name}: no such file"


def test_a_csv_saved_by_excel_in_the_chinese_ansi_encoding_imports(tmp_path: Path) -> None:
    """Excel's plain "CSV (逗号分隔)" save writes GBK on a Chinese Windows; the import read
    UTF-8 only and refused the file, so a reviewer's decisions could not be loaded at all."""
    path = tmp_path / "export.csv"
    path.write_bytes(f"key,code,decision,comment\n{KEY},B1,驳回,指标值已在说明中定义\n".encode("gb18030"))
    [decision] = read_decisions(path).decisions
    assert (decision.decision, decision.comment) == ("reject", "指标值已在说明中定义")


def test_a_decision_merged_down_several_rows_is_read_on_each(workbook: Path) -> None:
    """A reviewer who merged 审核结论 over two rows to write 驳回 once had it read on the first
    row only: the second row's finding stayed shown, and the import said nothing."""
    def merge(sheet: Worksheet, column: Callable[[str], int]) -> None:
        sheet.cell(2, column(REVIEW_DECISION), "驳回")
        sheet.merge_cells(start_row=2, end_row=3, start_column=column(REVIEW_DECISION),
                          end_column=column(REVIEW_DECISION))
    imported = read_decisions(reviewed(workbook, merge))
    assert [(d.code, d.decision) for d in imported.decisions] == [("B1", "reject"), ("M1", "reject")]
    assert imported.problems == []


def test_a_column_headed_like_one_the_import_reads_is_a_problem_not_a_silent_choice(workbook: Path) -> None:
    """A reviewer who copied the 审核结论 column next to ``codes`` and decided there had every
    decision read from the other, empty column: nothing imported, exit 0."""
    def copy_column(sheet: Worksheet, column: Callable[[str], int]) -> None:
        sheet.insert_cols(column("codes") + 1)
        sheet.cell(1, column("codes") + 1, REVIEW_DECISION)
        sheet.cell(2, column("codes") + 1, "驳回")
    path = reviewed(workbook, copy_column)
    header = [cell.value for cell in load_workbook(path)["indicators"][1]]
    first, second = (get_column_letter(i + 1) for i, name in enumerate(header) if name == REVIEW_DECISION)
    imported = read_decisions(path)
    assert imported.decisions == []
    assert imported.problems == [f"reviewed.xlsx:indicators!1: columns {first} and {second} are both headed "
                                 f"{REVIEW_DECISION}: keep one, so that each value is read from where it was written"]


def test_a_decision_written_in_another_column_is_a_problem_not_a_comment(workbook: Path) -> None:
    """驳回 typed into 审核意见 (or the model's ``review`` column) with 审核结论 left empty was
    stored as a comment: the finding stayed shown and the import counted one "comment only"."""
    def misplace(sheet: Worksheet, column: Callable[[str], int]) -> None:
        sheet.cell(2, column(REVIEW_COMMENT), "驳回")
        sheet.cell(3, column("review"), "采纳")
        sheet.cell(4, column(REVIEW_COMMENT), "以下为第二批")
    imported = read_decisions(reviewed(workbook, misplace))
    assert imported.decisions == []
    assert imported.problems == [
        f"reviewed.xlsx:indicators!2: {REVIEW_COMMENT} holds '驳回' but {REVIEW_DECISION} is empty: "
        f"write the decision in {REVIEW_DECISION}",
        f"reviewed.xlsx:indicators!3: review holds '采纳' but {REVIEW_DECISION} is empty: "
        f"write the decision in {REVIEW_DECISION}",
        f"reviewed.xlsx:indicators!4: {REVIEW_COMMENT} given for a row with no finding"]


def test_identical_rows_decided_otherwise_are_a_problem_not_the_last_one_winning(tmp_path: Path) -> None:
    """Identical rows share a finding key; 驳回 on one and 采纳 on the other stored whichever came
    last, silently. Two that agree are one decision, their comments kept together."""
    twice = pd.concat([ROWS.iloc[:2], ROWS.iloc[:2]], ignore_index=True).assign(row_id=["a", "b", "c", "d"])
    path = tmp_path / "scored.xlsx"
    with XlsxReportWriter(path) as writer:
        writer.write_chunk(FakeScorer().score_frame(twice))

    def decide(sheet: Worksheet, column: Callable[[str], int]) -> None:
        for row, decision, comment in ((2, "驳回", ""), (3, "驳回", "表述可接受"), (4, "采纳", ""), (5, "驳回", "已核实")):
            sheet.cell(row, column(REVIEW_DECISION), decision)
            sheet.cell(row, column(REVIEW_COMMENT), comment)
    imported = read_decisions(reviewed(path, decide))
    assert [(d.code, d.decision, d.comment) for d in imported.decisions] == [("M1", "reject", "表述可接受；已核实")]
    assert imported.problems == ["reviewed.xlsx:indicators!4: B1 is 采纳 here but 驳回 at reviewed.xlsx:indicators!2, "
                                 "on an identical row: neither is imported"]


def _decide(decision: str, comment: str = "") -> Callable[[Worksheet, Callable[[str], int]], None]:
    def edit(sheet: Worksheet, column: Callable[[str], int]) -> None:
        sheet.cell(2, column(REVIEW_DECISION), decision or None)
        sheet.cell(2, column(REVIEW_COMMENT), comment or None)
    return edit


def test_a_later_import_says_which_decisions_it_changed_and_a_comment_keeps_the_decision(
        iqc, workbook: Path, tmp_path: Path) -> None:
    """Reviewer 李's 采纳 replaced 王's 驳回 without a word; a comment left later with no
    decision replaced the 驳回 with none, so the finding came back."""
    db = tmp_path / "r.db"
    assert iqc("review", "import", reviewed(workbook, _decide("驳回")), "--db", db, "--reviewer", "王")[0] == 0
    code, err = iqc("review", "import", reviewed(workbook, _decide("", "请再核实")), "--db", db, "--reviewer", "李")
    assert code == 0 and "changed" not in err, err
    [kept] = ReviewStore(db).decisions()
    assert (kept.decision, kept.comment) == ("reject", "请再核实")

    code, err = iqc("review", "import", reviewed(workbook, _decide("采纳")), "--db", db, "--reviewer", "李")
    assert code == 0, err
    assert "iqc: reviewed.xlsx:indicators!2: B1 was 驳回 (王, " in err and "), now 采纳" in err
    assert ReviewStore(db).rejected_keys() == frozenset()


def test_a_reviewer_column_added_to_the_sheet_names_who_decided_each_row(workbook: Path) -> None:
    """Bureaus record 审核人 beside each decision: a 审核人 column a reviewer added was passed over,
    and every decision was stored as made by ``--reviewer`` (or no one)."""
    def sign(sheet: Worksheet, column: Callable[[str], int]) -> None:
        sheet.cell(1, sheet.max_column + 1, REVIEW_REVIEWER)
        for row, decision, name in ((2, "驳回", " 王 "), (3, "采纳", None)):
            sheet.cell(row, column(REVIEW_DECISION), decision)
            sheet.cell(row, sheet.max_column, name)
    imported = read_decisions(reviewed(workbook, sign), reviewer="李")
    assert [(d.code, d.reviewer) for d in imported.decisions] == [("B1", "王"), ("M1", "李")]
    assert imported.problems == []


def test_the_summary_counts_the_rows_decided_as_well_as_the_findings(iqc, tmp_path: Path) -> None:
    """A row's decision is one per finding of the row: a reviewer who decided 2 rows was told
    "imported 3 decision(s)" and could not tell whether every row had been read."""
    rows = ROWS.assign(level2="质量指标", level3="质量指标", target_value=["提升", "≥95%", "3部"])  # B1;M1, B1, B1
    def decide(sheet: Worksheet, column: Callable[[str], int]) -> None:
        for row in (2, 3):
            sheet.cell(row, column(REVIEW_DECISION), "驳回")
    code, err = iqc("review", "import", reviewed(scored_workbook(tmp_path, rows), decide), "--db", tmp_path / "r.db")
    assert code == 0, err
    assert err.splitlines()[-1].endswith("(0 采纳, 3 驳回, 0 comment only), one per finding of 2 decided row(s)")


def test_a_code_this_version_does_not_give_is_a_problem_not_a_decision_that_never_applies(workbook: Path) -> None:
    """A workbook of another version (or a codes cell retyped as ``B1；M1``) was imported keyed on
    codes no run gives, so its 驳回 never hid anything, and the import said it had imported it."""
    def retype(sheet: Worksheet, column: Callable[[str], int]) -> None:
        for row, codes in ((2, "B1；M1"), (3, "Z9")):
            sheet.cell(row, column("codes"), codes)
            sheet.cell(row, column(REVIEW_DECISION), "驳回")
    imported = read_decisions(reviewed(workbook, retype))
    assert imported.decisions == []
    assert imported.problems == [
        f"reviewed.xlsx:indicators!{row}: codes holds {code!r}, not a finding code of this version of iqc "
        "(a workbook of another version?): a decision on it would never apply"
        for row, code in ((2, "B1；M1"), (3, "Z9"))]


def test_an_export_whose_cells_a_spreadsheet_changed_keeps_the_stored_cells_or_is_a_problem(
        iqc, tmp_path: Path) -> None:
    """Opened in Excel, an export's ``=8个`` became ``#NAME?`` and ``1/2`` a date; imported, the
    decision kept its key but stored the changed cells, which ``iqc train --feedback`` learns from."""
    row = {"project_name": "广播剧", "level3": "完成剧目数", "target_value": "=8个"}
    key = finding_key(row, "M1")
    store = ReviewStore(tmp_path / "server.db")
    store.decide(key, "M1", "reject", cells={name: row.get(name, "") for name in KEY_CELLS})
    edited = tmp_path / "export.csv"
    opened_in_excel = export_csv(store.decisions()).replace("=8个".encode(), b"#NAME?")
    edited.write_bytes(opened_in_excel.replace("驳回".encode(), "采纳".encode()))

    code, err = iqc("review", "import", edited, "--db", tmp_path / "server.db")
    assert code == 0, err
    [decision] = ReviewStore(tmp_path / "server.db").decisions()
    assert (decision.decision, decision.cells["target_value"]) == ("accept", "=8个")

    code, err = iqc("review", "import", edited, "--db", tmp_path / "new.db")
    assert code == 1 and ReviewStore(tmp_path / "new.db").decisions() == []
    assert "export.csv:2: the row's cells are not those its key was made from (changed by a spreadsheet program?)" in err


def test_a_title_row_typed_above_the_header_is_passed_over(workbook: Path) -> None:
    """A reviewer who put a title row above the header had the workbook refused as having no
    审核结论 column."""
    def titled(sheet: Worksheet, column: Callable[[str], int]) -> None:
        sheet.cell(2, column(REVIEW_DECISION), "驳回")
        sheet.cell(3, column(REVIEW_DECISION), "同意")
        sheet.insert_rows(1, 2)
        sheet.cell(1, 1, "2026年预算绩效目标审核结果")
    imported = read_decisions(reviewed(workbook, titled))
    assert [(d.code, d.decision) for d in imported.decisions] == [("B1", "reject")]
    assert imported.problems == ["reviewed.xlsx:indicators!5: decision must be 采纳 or 驳回 (accept/reject), not '同意'"]


def test_importing_the_same_decisions_again_keeps_who_made_them_and_when(iqc, workbook: Path, tmp_path: Path) -> None:
    """A second import of the same workbook (without ``--reviewer``) restamped every decision:
    王's name was replaced by none and the time by the import's."""
    path, db = reviewed(workbook, _decide("驳回", "表述可接受")), tmp_path / "r.db"
    assert iqc("review", "import", path, "--db", db, "--reviewer", "王")[0] == 0
    first = ReviewStore(db).decisions()
    code, err = iqc("review", "import", path, "--db", db)
    assert code == 0, err
    assert ReviewStore(db).decisions() == first


def test_a_second_import_of_the_same_workbook_says_its_decisions_were_stored_already(
        iqc, workbook: Path, tmp_path: Path) -> None:
    """Imported again, a workbook was reported as "imported 1 decision(s) … (0 采纳, 1 驳回 …)"
    once more: a reviewer could not tell that nothing had been added, and took it for a count twice."""
    path, db = reviewed(workbook, _decide("驳回")), tmp_path / "r.db"
    code, err = iqc("review", "import", path, "--db", db)
    assert code == 0 and "already" not in err, err
    code, err = iqc("review", "import", path, "--db", db)
    assert code == 0 and len(ReviewStore(db).decisions()) == 1
    assert err.splitlines()[-1].endswith("one per finding of 1 decided row(s); "
                                         "1 of them were in the store already, as given (left unchanged)"), err


def test_a_sheet_without_a_keyed_column_is_a_problem_not_decisions_keyed_on_empty_cells(workbook: Path) -> None:
    """A reviewer who deleted a long column (指标解释, 二级指标) to make the sheet fit had every
    decision keyed as if its cells were empty: imported, counted, and never matching the row."""
    def narrowed(sheet: Worksheet, column: Callable[[str], int]) -> None:
        sheet.cell(2, column(REVIEW_DECISION), "驳回")
        sheet.delete_cols(column("level2"))
    imported = read_decisions(reviewed(workbook, narrowed))
    assert imported.decisions == []
    assert imported.problems == ["reviewed.xlsx:indicators!1: no level2 column: decisions are keyed on it "
                                 "(hide a column rather than delete it)"]


def test_a_cell_cut_at_excels_limit_is_a_problem_not_a_decision_that_never_applies(tmp_path: Path) -> None:
    """The workbook cuts a cell over 32,767 characters; the decision on its row was keyed on the
    cut text, imported and counted, and never matched the row."""
    long = ROWS.iloc[:1].assign(description="说明" * 20_000)
    path = tmp_path / "scored.xlsx"
    with XlsxReportWriter(path) as writer:
        writer.write_chunk(FakeScorer().score_frame(long))
    imported = read_decisions(reviewed(path, _decide("驳回")))
    assert imported.decisions == []
    assert imported.problems == ["reviewed.xlsx:indicators!2: description was cut at Excel's cell limit in this "
                                 "workbook, so a decision cannot be matched to its row: decide it on the review page"]


def test_decisions_on_a_sheet_they_cannot_be_read_from_are_a_problem(workbook: Path, tmp_path: Path) -> None:
    """A reviewer who worked down the triage sheet (rows by risk) in a 审核结论 column of their own
    had it passed over: the main sheet was read, and the import said it had imported everything."""
    book = load_workbook(workbook)
    triage = book["triage"]
    triage.cell(1, triage.max_column + 1, REVIEW_DECISION)
    triage.cell(2, triage.max_column, "驳回")
    book.save(tmp_path / "reviewed.xlsx")
    imported = read_decisions(tmp_path / "reviewed.xlsx")
    assert imported.decisions == []
    assert imported.problems == [f"reviewed.xlsx:triage!1: a {REVIEW_DECISION} column on a sheet without the codes "
                                 "and cells decisions are keyed on: decide on the main sheet"]


CHANGED = ("the row's cells were changed after scoring (edited, sorted apart, or turned into numbers or dates by a "
           "spreadsheet program): decide it on the review page or score again")


def test_a_row_whose_cells_were_edited_or_sorted_apart_is_a_problem_not_a_decision_on_another_row(
        workbook: Path) -> None:
    """A decision is keyed on its row's cells. A reviewer who corrected a 三级指标 before deciding,
    or sorted some columns only (so a row's cells came from two indicators), had the decision keyed
    on a row no run gives (never applied) or on another row (applied to the wrong finding), unsaid."""
    def edit_and_sort(sheet: Worksheet, column: Callable[[str], int]) -> None:
        sheet.cell(2, column("level3"), "质量指标达标率")  # edited, then decided
        for name in ("level2", "level3"):  # rows 3 and 4 sorted on these columns only
            upper, lower = sheet.cell(3, column(name)), sheet.cell(4, column(name))
            upper.value, lower.value = lower.value, upper.value
        for row in (2, 3):
            sheet.cell(row, column(REVIEW_DECISION), "驳回")
    imported = read_decisions(reviewed(workbook, edit_and_sort))
    assert imported.decisions == []
    assert imported.problems == [f"reviewed.xlsx:indicators!{row}: {CHANGED}" for row in (2, 3)]


def test_a_keyed_cell_a_spreadsheet_program_turned_into_a_number_is_refused_unless_it_reads_the_same(
        tmp_path: Path) -> None:
    """"Convert to number" (WPS, LibreOffice) turns 0.50 into 0.5 and 100 into 100: the first row
    no longer gives its key, and was said to be edited or sorted, which the reviewer had not done;
    the second reads as written and imports."""
    rows = ROWS.assign(level2="质量指标", level3="质量指标", target_value=["0.50", "100", "3部"])  # B1 on each
    def convert(sheet: Worksheet, column: Callable[[str], int]) -> None:
        for row in (2, 3):
            cell = sheet.cell(row, column("target_value"))
            cell.value = float(cell.value)
            sheet.cell(row, column(REVIEW_DECISION), "驳回")
    imported = read_decisions(reviewed(scored_workbook(tmp_path, rows), convert))
    assert [(d.code, d.cells["target_value"]) for d in imported.decisions] == [("B1", "100")]
    assert imported.problems == [f"reviewed.xlsx:indicators!2: {CHANGED}"]


def test_a_row_moved_whole_keeps_its_check_and_its_decision(workbook: Path) -> None:
    """Sorting the whole sheet moves every cell of a row, its check too: the decision imports."""
    def sort_whole_rows(sheet: Worksheet, column: Callable[[str], int]) -> None:
        sheet.cell(3, column(REVIEW_DECISION), "驳回")
        for upper, lower in zip(sheet[2], sheet[3]):
            upper.value, lower.value = lower.value, upper.value
    imported = read_decisions(reviewed(workbook, sort_whole_rows))
    assert ([(d.code, d.decision) for d in imported.decisions], imported.problems) == ([("M1", "reject")], [])


def _without_check(sheet: Worksheet, column: Callable[[str], int]) -> None:
    """A 驳回 on row 2, and the hidden check column gone (an older workbook, or Excel's Document
    Inspector, which deletes hidden columns)."""
    sheet.cell(2, column(REVIEW_DECISION), "驳回")
    sheet.delete_cols(column(REVIEW_CHECK))


def test_a_workbook_without_the_check_imports_and_says_its_rows_were_not_checked(workbook: Path) -> None:
    """Workbooks scored before the check column existed carry none, and their decisions are read as
    they were; but the column's absence was silent, so a reviewer whose Document Inspector removed it
    (with every hidden column) had rows sorted apart from their cells decided as they read."""
    imported = read_decisions(reviewed(workbook, _without_check))
    assert ([(d.code, d.decision) for d in imported.decisions], imported.problems) == ([("B1", "reject")], [])
    assert imported.warnings == [f"reviewed.xlsx:indicators!1: {UNCHECKED}"]


def test_the_missing_check_is_a_warning_on_the_command_line_not_a_failure(workbook: Path, iqc, tmp_path: Path) -> None:
    code, err = iqc("review", "import", reviewed(workbook, _without_check), "--db", tmp_path / "r.db")
    assert code == 0
    assert f"iqc: warning: reviewed.xlsx:indicators!1: no {REVIEW_CHECK} column" in err
    assert "imported 1 decision(s)" in err


def test_a_workbook_with_its_check_has_no_warning(workbook: Path) -> None:
    def decide(sheet: Worksheet, column: Callable[[str], int]) -> None:
        sheet.cell(2, column(REVIEW_DECISION), "驳回")
    assert read_decisions(reviewed(workbook, decide)).warnings == []


def test_a_decision_made_on_the_page_while_an_import_merges_is_not_erased(workbook: Path, iqc, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The import read the store, merged, then saved in another transaction: a reviewer's 驳回 on
    the page in between was replaced by the import's comment alone (merged over no decision), and
    the finding came back in later runs without a word."""
    import threading

    from nlp.review import exchange

    path = reviewed(workbook, lambda sheet, column: sheet.cell(2, column(REVIEW_COMMENT), "请核实口径"))
    [comment] = read_decisions(path).decisions
    store = ReviewStore(tmp_path / "r.db")
    page = threading.Thread(target=store.decide, args=(comment.key, comment.code, "reject"), kwargs={"reviewer": "王"})
    merge = exchange.merged

    def merged_while_a_reviewer_decides(imported, stored):
        page.start()
        page.join(1)  # saved at once when the import holds no lock; else once the import is saved
        return merge(imported, stored)

    monkeypatch.setattr(exchange, "merged", merged_while_a_reviewer_decides)
    code, err = iqc("review", "import", path, "--db", tmp_path / "r.db")
    page.join()
    assert code == 0, err
    assert (store.decision(comment.key).decision, store.decision(comment.key).reviewer) == ("reject", "王")


def test_a_decision_written_as_a_formula_no_program_computed_is_a_problem(workbook: Path) -> None:
    """A workbook filled by a program (openpyxl here) keeps ``="驳回"`` without its result, and
    asks Excel to compute it on opening: read as saved, the cell was empty, and the 驳回 was
    dropped without a word."""
    cell = []
    def formula(sheet: Worksheet, column: Callable[[str], int]) -> None:
        sheet.cell(2, column(REVIEW_DECISION), '="驳回"')
        sheet.cell(3, column(REVIEW_DECISION), "采纳")
        cell.append(f"{get_column_letter(column(REVIEW_DECISION))}2")
    imported = read_decisions(reviewed(workbook, formula))
    assert [(d.code, d.decision) for d in imported.decisions] == [("M1", "accept")]
    assert [problem.split(" hold ")[0] for problem in imported.problems] == [
        f"reviewed.xlsx:indicators: 1 formula cell(s) ({cell[0]})"]


def test_a_tables_own_review_columns_are_not_taken_for_the_reviewers(tmp_path: Path) -> None:
    """A table sent back with a finance bureau's 审核意见 (and 审核结论, 审核人) per row had those columns
    taken for the workbook's review columns: imported untouched, the bureau's old notes were stored
    as the reviewer's comments on every flagged row, and its earlier 驳回 as this round's. The
    table's are headed ``…（原表）`` and the reviewer's own come last, empty."""
    rows = ROWS.assign(审核结论=["驳回", "", ""], 审核意见=["财政：同意", "财政：需细化", ""], 审核人="张科长")
    path = scored_workbook(tmp_path, rows)
    header = [cell.value for cell in load_workbook(path)["indicators"][1]]
    assert header[-3:] == [REVIEW_DECISION, REVIEW_COMMENT, REVIEW_CHECK]
    assert {"审核结论（原表）", "审核意见（原表）", "审核人（原表）"} <= set(header)
    untouched = read_decisions(path)
    assert (untouched.decisions, untouched.problems) == ([], [])

    decided = read_decisions(reviewed(path, _decide("驳回", "需量化")), reviewer="王")
    assert [(d.code, d.decision, d.comment, d.reviewer) for d in decided.decisions] == [("B1", "reject", "需量化", "王")]
    assert decided.problems == []
