"""Inputs of one batch with the same name (every county's 绩效目标表.xlsx): their rows never share a
table or a row id. Each reader named rows after its own file only, so two such files were one
table, in the batch's copy index and in a parsed output scored later, with colliding row ids."""
from __future__ import annotations

import io
import json
import os
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from make_documents import DOCX_TABLES, corpus_rows, make_docx
from nlp.batch import score_batch
from nlp.copies import Twin
from nlp.fingerprints import finding_key
from nlp.readers.file_names import told_apart
from nlp.schema import UNNAMED_PROJECT

HEADER = "项目名称,一级指标,二级指标,三级指标,指标值\n"
TRAINING = ("甲项目,产出指标,数量指标,培训人数,120人\n甲项目,产出指标,质量指标,培训合格率,≥95%\n"
            "甲项目,效益指标,社会效益指标,就业率提高,≥10%\n甲项目,满意度指标,服务对象满意度指标,学员满意度,≥90%\n")
ROADS = ("甲项目,产出指标,数量指标,道路长度,12公里\n甲项目,效益指标,经济效益指标,运输成本降低,≥5%\n"
         "甲项目,满意度指标,服务对象满意度指标,群众满意度,≥90%\n")
ID_COLUMNS = ["source_file", "table_id", "row_id"]
SEED_DOCUMENT = Path(os.environ.get("IQC_SEEDS_DIR", "/work/shared/seeds")) / "000_8bd0021a2eb4a235.txt"


def _written(folder: Path, texts: dict[str, str]) -> list[Path]:
    """``texts`` by file name below ``folder``, as files."""
    for name, text in texts.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in texts]


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture
def counties(tmp_path: Path) -> Path:
    """Two counties' ``t.csv``, one table each: a table of outputs (a), one of benefits (b)."""
    _written(tmp_path / "各县", {"a/t.csv": "一级指标,二级指标,三级指标,指标值\n产出指标,数量指标,培训人数,100人\n"
                                          "产出指标,质量指标,合格率,≥95%\n",
                               "b/t.csv": "一级指标,二级指标,三级指标,指标值\n效益指标,社会效益指标,群众满意度,≥95%\n"})
    return tmp_path / "各县"


@pytest.mark.parametrize("options", [["--jobs", "1"], ["--jobs", "2"], ["--engine", "dask", "--jobs", "2"]])
def test_same_named_files_score_as_two_tables_with_their_own_ids(iqc, counties: Path, tmp_path: Path,
                                                                 options: list[str]) -> None:
    if "dask" in options:
        pytest.importorskip("distributed")
    out = tmp_path / "scored.csv"
    code, err = iqc("score", counties / "a", counties / "b", "-o", out, *options)
    assert code == 0, err
    assert _read(out)[ID_COLUMNS].values.tolist() == [
        ["a/t.csv", "a/t", "a/t:2"], ["a/t.csv", "a/t", "a/t:3"], ["b/t.csv", "b/t", "b/t:2"]]
    said = [line for line in err.splitlines() if "inputs are named" in line]
    assert said == [f"iqc: warning: {counties / 'a' / 't.csv'}: two inputs are named t.csv: "
                    "their rows are told apart as a/t.csv and b/t.csv"]


def test_the_reports_name_the_rows_as_the_tables_do(iqc, counties: Path, tmp_path: Path) -> None:
    for suffix in (".jsonl", ".xlsx"):
        assert iqc("score", counties, "-o", tmp_path / f"scored{suffix}")[0] == 0
    lines = [json.loads(line) for line in (tmp_path / "scored.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(line["source_file"], line["row_id"]) for line in lines] == [("a/t.csv", "a/t:2"), ("a/t.csv", "a/t:3"),
                                                                          ("b/t.csv", "b/t:2")]
    book = openpyxl.load_workbook(tmp_path / "scored.xlsx", read_only=True)
    header, *rows = book["indicators"].iter_rows(values_only=True)
    assert sorted(row[header.index("row_id")] for row in rows) == ["a/t:2", "a/t:3", "b/t:2"]
    notes = [cell for row in book["inputs"].iter_rows(values_only=True) for cell in row]
    assert "two inputs are named t.csv: their rows are told apart as a/t.csv and b/t.csv" in notes


def test_other_names_keep_their_ids(iqc, counties: Path, tmp_path: Path) -> None:
    (counties / "b" / "t.csv").rename(counties / "b" / "u.csv")
    out = tmp_path / "scored.csv"
    code, err = iqc("score", counties, "-o", out)
    assert code == 0 and "inputs are named" not in err
    assert _read(out)[ID_COLUMNS].values.tolist() == [
        ["t.csv", "t", "t:2"], ["t.csv", "t", "t:3"], ["u.csv", "u", "u:2"]]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_parsed_batch_keeps_the_tables_apart_when_scored(iqc, counties: Path, tmp_path: Path, jobs: str) -> None:
    """Parsed together, a table of outputs (a) and one of benefits (b) were one table ``t`` with
    both dimensions: scoring the parsed file lost b's T2 (no output indicator)."""
    parsed, scored = tmp_path / "parsed.csv", tmp_path / "scored.csv"
    code, err = iqc("parse", counties, "-o", parsed, "--jobs", jobs)
    assert code == 0, err
    assert "two inputs are named t.csv: their rows are told apart as a/t.csv and b/t.csv" in err
    assert iqc("score", parsed, "-o", scored)[0] == 0
    rows = _read(scored)
    assert rows["table_id"].tolist() == ["a/t", "a/t", "b/t"]
    assert rows.groupby("table_id")["table_codes"].first().to_dict() == {"a/t": "T1;T2", "b/t": "T1;T2"}


def test_a_copied_table_is_found_beside_a_same_named_file(tmp_path: Path) -> None:
    """a/t.csv and b/t.csv both state 甲项目: as one table ``t:甲项目`` in the copy index, a's
    table no longer matched its copy in c/u.csv, and only the copy was flagged (B4)."""
    paths = _written(tmp_path, {"a/t.csv": HEADER + TRAINING, "b/t.csv": HEADER + ROADS,
                                "c/u.csv": HEADER + TRAINING.replace("甲项目", "乙项目")})
    score_batch(paths, tmp_path / "scored.csv")
    rows = _read(tmp_path / "scored.csv")
    copied = rows.groupby("table_id")["codes"].agg(lambda codes: codes.str.contains("B4").all()).to_dict()
    assert copied == {"a/t:甲项目": True, "b/t:甲项目": False, "u:乙项目": True}


def test_every_reader_s_ids_are_told_apart(iqc, make_samples, tmp_path: Path) -> None:
    """Sheets (``t!绩效目标``), Word tables (``w#1``) and JSON lines are named after the file too; ids
    the source gives itself stay."""
    frame = pd.read_csv(io.StringIO(HEADER + TRAINING), dtype=str).rename(columns={
        "项目名称": "project_name", "一级指标": "level1", "二级指标": "level2", "三级指标": "level3", "指标值": "target_value"})
    for county in ("a", "b"):
        (tmp_path / county).mkdir()
        make_samples.write_zh_workbook(frame, tmp_path / county / "sheet.xlsx")
        make_docx(corpus_rows(DOCX_TABLES[0]), tmp_path / county / "w.docx")
        records = frame.assign(row_id=[f"{county}{n}" for n in range(len(frame))]).to_dict("records")
        _written(tmp_path / county, {"rows.jsonl": "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)})
    rows = _parsed(iqc, tmp_path)
    for county in ("a", "b"):
        own = rows[rows["source_file"].str.startswith(f"{county}/")]
        assert set(own["source_file"]) == {f"{county}/sheet.xlsx", f"{county}/w.docx", f"{county}/rows.jsonl"}
        made = own[own["source_file"] != f"{county}/rows.jsonl"]
        assert made["row_id"].str.startswith(f"{county}/").all() and own["table_id"].str.startswith(f"{county}/").all()
        assert own[own["source_file"] == f"{county}/rows.jsonl"]["row_id"].str.fullmatch(f"{county}\\d").all()
    assert rows["row_id"].is_unique and len(rows) == 2 * len(rows[rows["source_file"].str.startswith("a/")])


@pytest.mark.skipif(not SEED_DOCUMENT.exists(), reason=f"{SEED_DOCUMENT} not found")
def test_a_document_s_doc_id_is_told_apart(iqc, tmp_path: Path) -> None:
    for county in ("a", "b"):
        _written(tmp_path / county, {"doc.txt": SEED_DOCUMENT.read_text(encoding="utf-8")})
    rows = _parsed(iqc, tmp_path)
    assert rows.groupby("source_file")["doc_id"].unique().map(list).to_dict() == {"a/doc.txt": ["a/doc"],
                                                                                  "b/doc.txt": ["b/doc"]}
    assert rows["row_id"].is_unique and rows["table_id"].str.match(r"[ab]/doc#\d").all()


def _parsed(iqc, folder: Path) -> pd.DataFrame:
    out = folder / "parsed.csv"
    code, err = iqc("parse", folder / "a", folder / "b", "-o", out)
    assert code == 0, err
    return _read(out)


def test_a_rejected_finding_stays_hidden_in_a_same_named_file(counties: Path, tmp_path: Path) -> None:
    """Decisions are keyed by the row's cells and the code, not by file or row id."""
    satisfaction = {"level1": "效益指标", "level2": "社会效益指标", "level3": "群众满意度", "target_value": "≥95%"}
    paths = [counties / "a" / "t.csv", counties / "b" / "t.csv"]
    outcome = score_batch(paths, tmp_path / "scored.csv", rejected=frozenset({finding_key(satisfaction, "C3")}))
    rows = _read(tmp_path / "scored.csv")
    assert outcome.hidden == 1 and "C3" not in set(rows["codes"]) and rows["row_id"].tolist()[-1] == "b/t:2"


@pytest.mark.parametrize(("paths", "names", "message"), [
    (["x/a/t.csv", "y/a/t.csv"], ["x/a/t.csv", "y/a/t.csv"], "two inputs are named t.csv: their rows are told "
                                                             "apart as x/a/t.csv and y/a/t.csv"),
    (["a/t.csv", "a/t.jsonl"], ["t.csv", "t.jsonl"], "two inputs are named t (t.csv, t.jsonl): their rows are "
                                                     "told apart as t.csv and t.jsonl"),
    (["a/t.csv", "b/t.csv", "a/t.jsonl"], ["a/t.csv", "b/t.csv", "a/t.jsonl"],
     "three inputs are named t (t.csv, t.jsonl): their rows are told apart as a/t.csv, b/t.csv and a/t.jsonl"),
    (["a/t.csv.txt", "a/t.csv.jsonl", "a/t.csv.txt.csv"], ["a/t.csv.txt", "a/t.csv.jsonl"],
     "two inputs are named t.csv (t.csv.jsonl, t.csv.txt): their rows are told apart as a/t.csv.txt and "
     "a/t.csv.jsonl"),
    ([f"c/{n}/t.xlsx" for n in range(12)], [f"{n}/t.xlsx" for n in range(12)],
     "12 inputs are named t.xlsx: their rows are told apart as 0/t.xlsx, 1/t.xlsx, 2/t.xlsx and 9 more"),
])
def test_the_shortest_end_of_the_paths_tells_them_apart(paths: list[str], names: list[str], message: str) -> None:
    renamings, warnings = told_apart([Path(path) for path in [*paths, "c/other.csv"]])
    assert [renaming.new_name for renaming in renamings.values()] == names
    assert [warning.message for warning in warnings] == [message] and warnings[0].file == paths[0]


def test_only_the_ids_a_reader_makes_are_renamed() -> None:
    renaming = told_apart([Path("a/t.csv"), Path("b/t.csv")])[0][Path("a/t.csv")]
    frame = pd.DataFrame({"source_file": ["t.csv", "other.csv"], "row_id": ["t:2", "tx:2"],
                          "table_id": ["t!Sheet1:甲项目", "t"], "doc_id": ["", "t"]})
    assert renaming.applied(frame).to_dict("list") == {
        "source_file": ["a/t.csv", "other.csv"], "row_id": ["a/t:2", "tx:2"],
        "table_id": ["a/t!Sheet1:甲项目", "a/t"], "doc_id": ["", "a/t"]}


def test_rows_an_earlier_parse_named_are_told_apart() -> None:
    """A parsed output keeps the names its reader gave (``t.csv``, ``t:2``, ``t:甲项目``): two
    counties' ``parsed.csv`` of one batch had the same row and table ids while the batch said
    their rows were told apart."""
    renaming = told_apart([Path("a/parsed.csv"), Path("b/parsed.csv")])[0][Path("a/parsed.csv")]
    frame = pd.DataFrame({"source_file": ["t.csv", "x/t.csv", "other.csv"], "row_id": ["t:2", "x/t:3", "r1"],
                          "table_id": ["t:甲项目", "x/t", "r"], "doc_id": ["", "", "t"]})
    assert renaming.applied(frame).to_dict("list") == {
        "source_file": ["a/parsed.csv/t.csv", "a/parsed.csv/x/t.csv", "other.csv"],
        "row_id": ["a/parsed.csv/t:2", "a/parsed.csv/x/t:3", "r1"],
        "table_id": ["a/parsed.csv/t:甲项目", "a/parsed.csv/x/t", "r"], "doc_id": ["", "", "t"]}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_two_parsed_outputs_of_one_name_score_with_their_own_ids(iqc, tmp_path: Path, jobs: str) -> None:
    for county, rows in (("a", TRAINING), ("b", ROADS)):
        _written(tmp_path / county, {"t.csv": HEADER + rows})
        assert iqc("parse", tmp_path / county / "t.csv", "-o", tmp_path / county / "parsed.csv")[0] == 0
    out = tmp_path / "scored.csv"
    code, err = iqc("score", tmp_path / "a" / "parsed.csv", tmp_path / "b" / "parsed.csv", "-o", out, "--jobs", jobs)
    assert code == 0, err
    rows = _read(out)
    assert rows["row_id"].is_unique and len(rows) == 7
    assert rows.groupby("source_file")["table_id"].unique().map(list).to_dict() == {
        "a/parsed.csv/t.csv": ["a/parsed.csv/t:甲项目"], "b/parsed.csv/t.csv": ["b/parsed.csv/t:甲项目"]}
    assert rows["row_id"].tolist()[:2] == ["a/parsed.csv/t:2", "a/parsed.csv/t:3"]


def test_the_html_report_names_a_copied_table_s_file_as_told_apart(tmp_path: Path) -> None:
    paths = _written(tmp_path, {"a/t.csv": HEADER + TRAINING, "b/t.csv": HEADER + ROADS,
                                "c/u.csv": HEADER + TRAINING.replace("甲项目", "乙项目")})
    score_batch(paths, tmp_path / "report.html")
    copies = (tmp_path / "report.html").read_text(encoding="utf-8").split('id="tables"')[1].split("</ul>")[0]
    assert "甲项目（（未注明部门），a/t.csv）" in copies and "乙项目（（未注明部门），u.csv）" in copies


@pytest.mark.parametrize("jobs", [1, 2])
def test_two_files_own_table_ids_are_two_tables(tmp_path: Path, jobs: int) -> None:
    """Each department numbers its own tables: a.csv's table "T1" and b.csv's "T1" were one table
    in the copy index, so 乙项目's copy of 甲项目's table was never found (B4)."""
    with_ids = "".join(f"T1,{line}\n" for line in TRAINING.splitlines())
    paths = _written(tmp_path, {"a.csv": "table_id," + HEADER + with_ids,
                                "b.csv": "table_id," + HEADER + with_ids.replace("甲项目", "乙项目")})
    score_batch(paths, tmp_path / "out.csv", jobs=jobs)
    rows = _read(tmp_path / "out.csv")
    assert rows["table_id"].eq("T1").all()  # the ids the sources gave are kept as given
    assert rows["codes"].str.contains("B4").all()


def test_b4_names_a_copied_table_s_twin_by_its_told_apart_file(tmp_path: Path) -> None:
    """B4's message said 项目“乙项目”（t.csv） for a twin in b/t.csv beside a/t.csv."""
    paths = _written(tmp_path, {"a/t.csv": HEADER + TRAINING, "b/t.csv": HEADER + TRAINING.replace("甲项目", "乙项目")})
    score_batch(paths, tmp_path / "out.csv")
    said = " ".join(_read(tmp_path / "out.csv")["explanation"])
    assert "项目“乙项目”（b/t.csv）" in said and "项目“甲项目”（a/t.csv）" in said


def test_a_twin_without_a_project_name_is_named_as_the_reports_name_it() -> None:
    assert Twin("", "", "a/t.csv", 1.0).describe() == f"项目“{UNNAMED_PROJECT}”（a/t.csv）"


def test_sarif_names_each_row_by_its_told_apart_file(iqc, counties: Path, tmp_path: Path) -> None:
    assert iqc("score", counties, "-o", tmp_path / "scored.sarif")[0] == 0
    results = json.loads((tmp_path / "scored.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    names = {location["logicalLocations"][0]["fullyQualifiedName"]
             for result in results for location in result["locations"]}
    assert names >= {"b/t.csv:2"} and not {name for name in names if name.startswith("t.csv")}


def test_sarif_locates_each_row_at_its_input_as_given_as_the_reading_notes_do(iqc, counties: Path,
                                                                              tmp_path: Path) -> None:
    """A viewer opens a result's file from where iqc ran: ``t.csv`` alone (or ``b/t.csv``, the name
    that tells two inputs apart) named a file inside the input folder, while a reading note about a
    file of the same folder gave its path as the batch was given it."""
    from urllib.parse import unquote

    (counties / "c.csv").write_bytes(b"\x00\x01 not a table")
    iqc("score", counties, "-o", tmp_path / "scored.sarif")
    run = json.loads((tmp_path / "scored.sarif").read_text(encoding="utf-8"))["runs"][0]
    uris = {unquote(location["physicalLocation"]["artifactLocation"]["uri"])
            for result in run["results"] for location in result["locations"]}
    assert uris == {(counties / "a" / "t.csv").as_posix(), (counties / "b" / "t.csv").as_posix()}
    noted = {unquote(location["physicalLocation"]["artifactLocation"]["uri"])
             for note in run["invocations"][0]["toolExecutionNotifications"] for location in note.get("locations", [])
             if "physicalLocation" in location}
    assert (counties / "c.csv").as_posix() in noted


@pytest.mark.parametrize("command", [["parse", "--jobs", "1"], ["parse", "--jobs", "2"], ["score", "--jobs", "2"]])
def test_row_ids_a_file_gives_that_repeat_in_the_batch_are_said(iqc, tmp_path: Path, command: list[str]) -> None:
    """Ids a file gives itself are kept; two files numbering their rows 1, 2, … (or one giving an
    id twice) made an output with two different rows of one row id, without a word."""
    paths = _written(tmp_path, {"x.csv": "row_id," + HEADER + "1," + TRAINING.splitlines()[0] + "\n1,"
                                + TRAINING.splitlines()[1] + "\n",
                                "y.csv": "row_id," + HEADER + "1," + ROADS.splitlines()[0] + "\n2,"
                                + ROADS.splitlines()[1] + "\n",
                                "z.csv": HEADER + ROADS})
    action, *options = command
    code, err = iqc(action, *paths, "-o", tmp_path / "out.csv", *options)
    assert code == 0, err
    said = [line.strip().removeprefix("iqc: ").removeprefix("warning: ") for line in err.splitlines()
            if "have a row_id" in line]
    assert said == [f"{paths[0]}: 2 row(s) have a row_id that another row of this batch has too: ids a file gives "
                    "itself are kept, so tell these rows apart by source_file and source_line",
                    f"{paths[1]}: 1 row(s) have a row_id that another row of this batch has too: ids a file gives "
                    "itself are kept, so tell these rows apart by source_file and source_line"]


def test_a_batch_of_distinct_row_ids_says_nothing_of_them(iqc, counties: Path, tmp_path: Path) -> None:
    code, err = iqc("score", counties, "-o", tmp_path / "scored.csv")
    assert code == 0 and "have a row_id" not in err
