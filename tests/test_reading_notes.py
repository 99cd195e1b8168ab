"""The HTML report and the workbook say what reading the inputs noticed, as the command line does.

The report is what a reviewer passes on; a file that could not be read, rows refused, a sheet
left out or a value read with a caveat must be in it, not only in a terminal that is gone.
"""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import openpyxl
import pytest

from nlp.cli import EXIT_INPUT_FAILED, EXIT_OK
from nlp.report import load_settings

SETTINGS = load_settings()
SARIF_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-2.1.0.json").read_text(encoding="utf-8"))


@pytest.fixture
def inputs(tmp_path: Path) -> list[Path]:
    """A readable table, one with a row that cannot be read, a workbook with a sheet of notes and
    a formula nobody computed, and a name that does not exist."""
    good = tmp_path / "good.csv"
    good.write_text("level3,target_value\n培训人数,≥100人\n", encoding="utf-8")
    broken = tmp_path / "broken<b>.csv"
    broken.write_text('level3,target_value\n培训场次,≥5场\n"未闭合的引号,≥1\n', encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.append(["一级指标", "二级指标", "三级指标", "指标值"])
    book.active.append(["产出指标", "数量指标", "覆盖人数", '="≥"&100&"人"'])
    book.create_sheet("填报说明").append(["本表由各部门填写"])
    book.save(tmp_path / "book.xlsx")
    return [good, broken, tmp_path / "book.xlsx", tmp_path / "missing.csv"]


def test_the_html_report_lists_what_reading_noticed(iqc, inputs: list[Path], tmp_path: Path) -> None:
    code, err = iqc("score", *inputs, "-o", tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert code == EXIT_INPUT_FAILED
    section = page[page.index('<section id="reading">'):]
    section = section[:section.index("</section>")]
    assert "broken&lt;b&gt;.csv" in section and "<b>" not in section  # file names are escaped
    assert "missing.csv" in section and "填报说明" in section and "formula cell(s) (D2)" in section
    assert all(SETTINGS.note_kind(kind) in section for kind in ("failed", "skipped", "warning"))


def test_the_workbook_lists_what_reading_noticed(iqc, inputs: list[Path], tmp_path: Path) -> None:
    iqc("score", *inputs, "-o", tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")[SETTINGS.sheets["inputs"]]
    notes = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    kinds = sorted(kind for kind, *_ in notes)
    assert kinds == sorted(SETTINGS.note_kind(k) for k in ("failed", "failed", "skipped", "warning"))
    assert {Path(file).name for _, file, _, _ in notes} == {"broken<b>.csv", "missing.csv", "book.xlsx"}


def test_a_clean_batch_has_no_reading_section(iqc, inputs: list[Path], tmp_path: Path) -> None:
    code, _ = iqc("score", inputs[0], "-o", tmp_path / "report.html")
    assert code == EXIT_OK and 'id="reading"' not in (tmp_path / "report.html").read_text(encoding="utf-8")
    iqc("score", inputs[0], "-o", tmp_path / "out.xlsx")
    assert openpyxl.load_workbook(tmp_path / "out.xlsx")[SETTINGS.sheets["inputs"]].max_row == 1


def test_the_reports_name_a_folders_files_of_other_types(iqc, tmp_path: Path) -> None:
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "good.csv").write_text("level3,target_value\n培训人数,≥100人\n", encoding="utf-8")
    (folder / "县财政局.et").write_bytes(b"\xd0\xcf\x11\xe0")
    code, err = iqc("score", folder, "-o", tmp_path / "report.html")
    assert code == EXIT_OK and f"iqc: skipped {folder}: 1 file(s) of types iqc does not search folders for: 县财政局.et" in err
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "县财政局.et" in page[page.index('<section id="reading">'):]


def test_the_reports_count_the_findings_a_baseline_hid(iqc, tmp_path: Path) -> None:
    """The command line said "hid N findings" and the report did not: passed on, it read as if the
    table had no more problems than it lists."""
    table = tmp_path / "t.csv"
    table.write_text("level3,target_value\n社会效益提升,进一步提升\n", encoding="utf-8")
    code, err = iqc("score", table, "-o", tmp_path / "first.jsonl", "--write-baseline", tmp_path / "base.jsonl")
    assert code == EXIT_OK, err
    code, err = iqc("score", table, "-o", tmp_path / "report.html", "--baseline", tmp_path / "base.jsonl")
    hid = int(err.split("iqc: hid ")[1].split()[0])
    assert code == EXIT_OK and hid > 0, err
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="reading">'):]
    assert SETTINGS.note_kind("hidden") in section and f"基线中已有的 {hid} 条问题未列出" in section
    iqc("score", table, "-o", tmp_path / "out.xlsx", "--baseline", tmp_path / "base.jsonl")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx")[SETTINGS.sheets["inputs"]]
    notes = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [kind for kind, *_ in notes] == [SETTINGS.note_kind("hidden")] and str(hid) in notes[0][3]
    iqc("score", table, "-o", tmp_path / "out.sarif", "--baseline", tmp_path / "base.jsonl")
    log = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    [said] = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert said["properties"]["kind"] == "hidden" and str(hid) in said["message"]["text"] and "locations" not in said


def test_the_reports_say_the_model_was_built_with_other_libraries(iqc, tmp_path: Path, monkeypatch) -> None:
    """The command line warns once at the start; the report, read later, must carry it too."""
    import nlp.batch

    monkeypatch.setattr(nlp.batch, "environment_note", lambda manifest: "the model was built with spacy 0.0")
    table = tmp_path / "t.csv"
    table.write_text("level3,target_value\n培训人数,≥100人\n", encoding="utf-8")
    iqc("score", table, "-o", tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "the model was built with spacy 0.0" in page[page.index('<section id="reading">'):]


def test_the_html_report_tells_same_named_files_apart(iqc, tmp_path: Path) -> None:
    """Each note named its file by its base name: t.csv, whichever county's t.csv it was."""
    for county in ("甲县", "乙县"):
        (tmp_path / county).mkdir()
        (tmp_path / county / "t.csv").write_text('level3,target_value\n培训场次,≥5场\n"未闭合的引号,≥1\n', encoding="utf-8")
    iqc("score", tmp_path / "甲县" / "t.csv", tmp_path / "乙县" / "t.csv", "-o", tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="reading">'):]
    assert str(tmp_path / "甲县" / "t.csv") in section and str(tmp_path / "乙县" / "t.csv") in section
