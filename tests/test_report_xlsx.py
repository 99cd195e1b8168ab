"""The reviewer workbook: every row once, right cells highlighted and commented, triage/summary."""
from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from nlp.codes import catalogue
from nlp.report import ReportAccumulator, XlsxReportWriter, load_settings, open_report_writer
from nlp.report.synthetic import synthetic_scored_frame
from nlp.schema import FAMILIES, FINDINGS_COLUMN

SETTINGS = load_settings()
ROWS = 240


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    df = synthetic_scored_frame(ROWS, departments=4, seed=7)
    df.loc[5, "level3"] = "=HYPERLINK(\"http://evil\")"
    df.loc[6, "budget_wan"] = float("nan")
    return df


@pytest.fixture(scope="module")
def book(frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("xlsx") / "out.xlsx"
    _write(path, frame)
    return openpyxl.load_workbook(path)


def _write(path: Path, frame: pd.DataFrame, settings=SETTINGS, chunk: int = 70) -> Path:
    writer = XlsxReportWriter(path, settings)
    for start in range(0, len(frame), chunk):
        writer.write_chunk(frame.iloc[start : start + chunk])
    return writer.close()


def _records(sheet) -> list[dict[str, object]]:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    return [dict(zip(header, row)) for row in rows]


def _column(sheet, name: str) -> int:
    """1-based column of header ``name``."""
    return [cell.value for cell in sheet[1]].index(name) + 1


def test_sheets_in_order(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == [SETTINGS.sheets[k] for k in ("main", "triage", "summary", "copies", "codes", "inputs")]


def test_every_input_row_once_with_input_values_unchanged(book, frame) -> None:
    records = _records(book[SETTINGS.sheets["main"]])
    assert [r["row_id"] for r in records] == list(frame["row_id"])
    assert [r["level3"] for r in records] == list(frame["level3"])
    assert records[5]["level3"].startswith("=HYPERLINK")  # kept as text, never a formula
    assert records[6]["budget_wan"] is None
    assert FINDINGS_COLUMN not in records[0]
    assert [r["flag_mismatch"] for r in records] == list(frame["flag_mismatch"])


def test_finding_cells_filled_by_family_and_commented(book, frame) -> None:
    sheet = book[SETTINGS.sheets["main"]]
    checked = 0
    for index, findings in enumerate(frame[FINDINGS_COLUMN]):
        excel_row = index + 2
        for finding in findings:
            cell = sheet.cell(excel_row, _column(sheet, finding["field"]))
            assert cell.comment is not None and finding["code"] in cell.comment.text
            if finding["family"] in FAMILIES:
                assert cell.fill.fgColor.rgb[-6:] == SETTINGS.colours[finding["family"]][1:].upper()
                checked += 1
    assert checked > 50
    clean = int(frame.index[frame[FINDINGS_COLUMN].str.len() == 0][0]) + 2
    assert all(c.fill.fill_type is None and c.comment is None for c in sheet[clean])


def test_advisory_finding_commented_without_fill(book, frame) -> None:
    sheet = book[SETTINGS.sheets["main"]]
    index = frame.index[frame[FINDINGS_COLUMN].map(lambda f: [x["code"] for x in f] == ["M5"])][0]
    cell = sheet.cell(int(index) + 2, _column(sheet, "target_value"))
    assert "M5" in cell.comment.text and cell.fill.fill_type is None


def test_flag_cells_filled(book, frame) -> None:
    sheet = book[SETTINGS.sheets["main"]]
    row = frame.index[frame["flag_unmeasurable"] == 1][0] + 2
    cell = sheet.cell(row, _column(sheet, "flag_unmeasurable"))
    assert cell.fill.fgColor.rgb[-6:] == SETTINGS.colours["unmeasurable"][1:].upper()


def test_filter_and_frozen_header(book) -> None:
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref.startswith("A1:")
    assert book[SETTINGS.sheets["main"]].auto_filter.ref.endswith(str(ROWS + 1))


def test_each_row_carries_a_hidden_check_of_its_cells_last(book, frame) -> None:
    """``iqc review import`` refuses a decided row whose cells no longer give its check (edited, or
    sorted apart); the column is hidden at the far right, out of the reviewer's way."""
    from nlp.fingerprints import KEY_CELLS, row_check
    from nlp.report.xlsx import REVIEW_CHECK

    sheet = book[SETTINGS.sheets["main"]]
    last = sheet.cell(1, sheet.max_column)
    assert last.value == REVIEW_CHECK and sheet.column_dimensions[last.column_letter].hidden
    checks = [r[REVIEW_CHECK] for r in _records(sheet)]
    assert checks == [row_check(row) for row in frame.to_dict("records")]
    assert len(set(checks)) == len(frame[[*KEY_CELLS, "codes"]].astype(str).drop_duplicates())  # one per distinct row


def test_triage_sorted_flagged_first_then_risk(book, frame) -> None:
    records = _records(book[SETTINGS.sheets["triage"]])
    assert len(records) == min(ROWS, SETTINGS.triage_rows)
    keys = [(bool(r[SETTINGS.label("codes")]), r[SETTINGS.label("risk")]) for r in records]
    assert keys == sorted(keys, reverse=True)
    assert keys[0][1] == frame.loc[frame["codes"] != "", "risk"].max()


def test_summary_counts_match_pandas(book, frame) -> None:
    records = _records(book[SETTINGS.sheets["summary"]])
    label = SETTINGS.label
    departments = [r for r in records if r[label("project_name")] == "（全部项目）"]
    flagged = frame[[f"flag_{f}" for f in FAMILIES]].any(axis=1)
    expected = frame.assign(flagged=flagged).groupby("department")
    assert len(departments) == frame["department"].nunique()
    for record in departments:
        group = expected.get_group(record[label("department")])
        assert record[label("rows")] == len(group)
        assert record[label("flagged")] == group["flagged"].sum()
        assert record[label("flagged_mismatch")] == group["flag_mismatch"].sum()
        assert record[label("share_flagged")] == pytest.approx(group["flagged"].mean())
    shares = [r[label("share_flagged")] for r in departments]
    assert shares == sorted(shares, reverse=True)
    projects = [r for r in records if r[label("project_name")] != "（全部项目）"]
    assert sum(r[label("rows")] for r in projects) == ROWS


def test_reviewer_sheets_head_their_columns_in_chinese(book) -> None:
    """Every header of the sheets made for reviewers comes from data/report.toml's labels: the
    summary's family counts were headed flag_boilerplate, flag_mismatch, … among Chinese headers."""
    for key in ("triage", "summary", "copies", "codes", "inputs"):
        headers = [cell.value for cell in book[SETTINGS.sheets[key]][1]]
        assert [h for h in headers if re.fullmatch(r"[A-Za-z0-9_]+", h)] == [], key
    summary = [cell.value for cell in book[SETTINGS.sheets["summary"]][1]]
    assert {f"{SETTINGS.family_label(f)}行数" for f in FAMILIES} <= set(summary)


def test_codes_legend_says_every_family_and_severity_in_chinese(book) -> None:
    """T1/T2 (family ``table``) showed the word "table", and every severity its English word
    (high, medium, …), in a sheet otherwise in Chinese."""
    label = SETTINGS.label
    rows = {r[label("code")]: r for r in _records(book[SETTINGS.sheets["codes"]])}
    assert rows["T1"][label("family")] == rows["T2"][label("family")] == "整表问题"
    assert (rows["B2"][label("severity")], rows["T1"][label("severity")], rows["M5"][label("severity")]) == ("高", "中", "提示")
    assert {r[label("family")] for r in rows.values()} <= set(SETTINGS.family_labels.values())
    assert {r[label("severity")] for r in rows.values()} <= set(SETTINGS.severity_labels.values())
    # the cell a code marks, as the main sheet heads it: it showed level3, target_value
    assert (rows["B5"][label("field")], rows["M1"][label("field")]) == ("三级指标", "指标值")


def test_every_family_and_severity_of_the_catalogue_has_a_label() -> None:
    """A code added to data/codes.toml with a new family or severity would show its English word."""
    assert {entry["family"] for entry in catalogue().values()} <= set(SETTINGS.family_labels)
    assert {entry["severity"] for entry in catalogue().values()} <= set(SETTINGS.severity_labels)


def test_codes_legend_lists_catalogue_with_counts(book, frame) -> None:
    records = _records(book[SETTINGS.sheets["codes"]])
    assert {r[SETTINGS.label("code")] for r in records} == set(catalogue())
    m6 = next(r for r in records if r[SETTINGS.label("code")] == "M6")
    assert m6[SETTINGS.label("count")] == frame["codes"].str.contains("M6").sum()


def test_codes_legend_counts_rows_carrying_a_table_code(frame, tmp_path) -> None:
    """T1/T2 sit in ``table_codes`` on every row of their table; the legend counted them 0."""
    tables = frame.head(20).copy()
    tables["table_codes"] = ["T1;T2" if i < 12 else ("T1" if i < 15 else "") for i in range(20)]
    records = _records(openpyxl.load_workbook(_write(tmp_path / "t.xlsx", tables))[SETTINGS.sheets["codes"]])
    counts = {r[SETTINGS.label("code")]: r[SETTINGS.label("count")] for r in records}
    assert (counts["T1"], counts["T2"]) == (15, 12)


def test_columns_beyond_excels_limit_start_a_sheet_of_their_own(frame, tmp_path) -> None:
    """Each file's new columns widened the next sheet to every column seen so far; past Excel's
    16,384 columns xlsxwriter dropped the cells beyond without a word (a later file's all)."""
    from python_calamine import CalamineWorkbook

    files = [pd.concat([frame.iloc[[i]].reset_index(drop=True),
                        pd.DataFrame({f"extra{i}_{c}": [f"v{i}_{c}"] for c in range(6_000)})], axis=1)
             for i in range(3)]
    writer = XlsxReportWriter(tmp_path / "wide.xlsx", SETTINGS)
    for part in files:  # one file after another, each with columns of its own
        writer.write_chunk(part)
    book = CalamineWorkbook.from_path(str(writer.close()))
    cells = {}
    for name in (n for n in book.sheet_names if n.startswith(SETTINGS.sheets["main"])):
        header, *rows = book.get_sheet_by_name(name).to_python()
        assert len(header) <= 16_384
        cells.update({(row[header.index("row_id")], column): value for row in rows
                      for column, value in zip(header, row) if value != ""})
    for part in files:
        extra = [column for column in part.columns if column.startswith("extra")]
        assert [cells.get((part["row_id"].iat[0], column)) for column in extra] == list(part[extra].iloc[0])


def test_a_header_over_excels_limit_is_cut_visibly(frame: pd.DataFrame, tmp_path: Path) -> None:
    """A column's name is a cell too: xlsxwriter cut a 40,000-character one without a word."""
    from nlp.report.xlsx import CUT_MARK, EXCEL_CELL_CHARS

    named = frame.head(2).assign(**{"注" * 40_000: "x"})
    sheet = openpyxl.load_workbook(_write(tmp_path / "header.xlsx", named), read_only=True)[SETTINGS.sheets["main"]]
    longest = max(next(sheet.iter_rows(values_only=True)), key=len)
    assert len(longest) == EXCEL_CELL_CHARS and longest.endswith(CUT_MARK) and longest.startswith("注注")


def test_rows_beyond_sheet_limit_spill_into_more_sheets(tmp_path, frame) -> None:
    settings = SETTINGS.with_limits(rows_per_sheet=100, triage_rows=10)
    book = openpyxl.load_workbook(_write(tmp_path / "spill.xlsx", frame, settings), read_only=True)
    main = SETTINGS.sheets["main"]
    parts = [main, f"{main} 2", f"{main} 3"]
    assert book.sheetnames[:3] == parts
    ids = [r["row_id"] for part in parts for r in _records(book[part])]
    assert ids == list(frame["row_id"])


def test_interrupted_write_leaves_no_file(tmp_path, frame) -> None:
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"previous report")
    with pytest.raises(RuntimeError):
        with open_report_writer(target) as writer:
            writer.write_chunk(frame.iloc[:10])
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


def test_frame_without_scores_is_rejected(tmp_path, frame) -> None:
    with pytest.raises(ValueError, match="risk"):
        ReportAccumulator(10).add(frame.drop(columns=["risk"]))


def test_codes_only_frame_still_highlights(tmp_path, frame) -> None:
    """A scored CSV read back has no findings column: cells come from the catalogue's field."""
    path = _write(tmp_path / "csv.xlsx", frame.drop(columns=[FINDINGS_COLUMN]))
    sheet = openpyxl.load_workbook(path)[SETTINGS.sheets["main"]]
    index = frame.index[frame["codes"] == "M6"][0]
    cell = sheet.cell(index + 2, _column(sheet, "target_value"))
    assert cell.fill.fgColor.rgb[-6:] == SETTINGS.colours["unmeasurable"][1:].upper()
    assert "M6" in cell.comment.text


def test_comments_capped_but_cells_still_highlighted(tmp_path, frame) -> None:
    settings = SETTINGS.with_limits(max_comments=5)
    sheet = openpyxl.load_workbook(_write(tmp_path / "cap.xlsx", frame, settings))[settings.sheets["main"]]
    comments = [cell for row in sheet.iter_rows() for cell in row if cell.comment is not None]
    assert 5 <= len(comments) < 5 + len(FAMILIES) + 1
    last = int(frame.index[frame["flag_unmeasurable"] == 1][-1]) + 2
    assert sheet.cell(last, _column(sheet, "flag_unmeasurable")).fill.fill_type == "solid"


def test_a_cell_over_excels_limit_is_cut_visibly(frame: pd.DataFrame, tmp_path: Path) -> None:
    """xlsxwriter cut a 2M-character cell at 32,767 without a word; the cell now says it was cut."""
    from nlp.report.xlsx import CUT_MARK, EXCEL_CELL_CHARS

    long = frame.head(3).copy()
    long.loc[long.index[1], "description"] = "很" * 100_000
    sheet = openpyxl.load_workbook(_write(tmp_path / "long.xlsx", long), read_only=True)[SETTINGS.sheets["main"]]
    cells = [row["description"] or "" for row in _records(sheet)]
    assert len(cells[1]) == EXCEL_CELL_CHARS and cells[1].endswith(CUT_MARK) and cells[1].startswith("很很")
    assert not any(cell.endswith(CUT_MARK) for cell in (cells[0], cells[2]))
