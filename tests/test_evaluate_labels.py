"""``iqc evaluate``: every label is matched to exactly one row, or the run says why it is not.

A label joined to the wrong row, or to none, moves the printed precision and recall without a
word; these tests hold the command to one line naming the file and the row instead.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nlp.cli import EXIT_INPUT_FAILED, EXIT_OK, EXIT_USAGE, main

HEADER = "row_id\tboilerplate\tmismatch\tunmeasurable\tcodes\n"
ROWS = "row_id,level2,level3,target_value\nr1,数量指标,培训人数,≥100人\nr2,效益指标,工作效率,有所提高\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _refused(iqc, labels: str, rows: str, tmp_path: Path) -> str:
    """The one line ``iqc evaluate`` refuses the files with (asserted to be exactly one, exit 1)."""
    code, err = iqc("evaluate", _write(tmp_path / "labels.tsv", labels), "--rows", _write(tmp_path / "rows.csv", rows))
    assert code == EXIT_INPUT_FAILED and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    return err


@pytest.mark.parametrize("labels, rows, message", [
    (HEADER + "r1\t0\t0\t0\t\nr2\t1\t0\t1\tB3\nr2\t0\t0\t0\t\n", ROWS, "labels.tsv: row_id 'r2' is given 2 times"),
    (HEADER + "r1\t0\t0\t0\t\nr2\t0\t0\t0\t\n", ROWS + "r1,质量指标,完成率,100%\n", "rows.csv: row_id 'r1' is given 2 times"),
    (HEADER + "r1\t0\t0\t0\t\n\t0\t0\t0\t\n", ROWS, "labels.tsv:3: no row_id"),
], ids=["label twice", "row twice", "label without row_id"])
def test_a_row_id_given_twice_or_not_at_all_is_refused(iqc, tmp_path, labels, rows, message) -> None:
    assert message in _refused(iqc, labels, rows, tmp_path)


def test_a_label_whose_row_is_not_in_the_rows_is_refused_with_what_to_check(iqc, tmp_path) -> None:
    labels = HEADER + "r1\t0\t0\t0\t\nr9\t1\t0\t0\tB1\n"
    err = _refused(iqc, labels, ROWS, tmp_path)
    assert "labels.tsv:3: row_id 'r9' is not among the rows of" in err
    assert err.rstrip().endswith("(1 of 2 labels have no row); check that the labels were written for this version "
                                 "of the rows, whose row_ids are like 'r1', 'r2'")


def test_a_row_id_that_differs_only_in_case_or_spaces_is_named(iqc, tmp_path) -> None:
    labels = HEADER + "r1\t0\t0\t0\t\nR2 \t1\t0\t0\tB1\n"
    assert _refused(iqc, labels, ROWS, tmp_path).rstrip().endswith(
        "(1 of 2 labels have no row); the rows have 'r2': row_ids must match exactly, letter case and spaces too")


def test_rows_without_a_row_id_column_say_how_their_rows_are_named(iqc, tmp_path) -> None:
    rows = "level2,level3,target_value\n数量指标,培训人数,≥100人\n效益指标,工作效率,有所提高\n"
    err = _refused(iqc, HEADER + "r1\t0\t0\t0\t\nr2\t1\t0\t0\tB1\n", rows, tmp_path)
    assert err.rstrip().endswith(f"rows.csv: check that the labels were written for these rows: their row_ids are "
                                 "like 'r1', 'r2', the rows' like 'rows:2', 'rows:3' (a rows file without a row_id "
                                 "column names its rows file:line)")


def test_rows_without_a_label_are_said_to_be_left_out(tmp_path, capsys) -> None:
    labels = _write(tmp_path / "labels.tsv", HEADER + "r1\t0\t0\t0\t\n")
    rows = _write(tmp_path / "rows.csv", ROWS)
    assert main(["evaluate", str(labels), "--rows", str(rows)]) == EXIT_OK
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"rows evaluated: 1 (left out: 1 row(s) of {rows} without a label)"


@pytest.mark.parametrize("codes, message", [
    ("b3", "unknown code 'b3'"),
    ("B3；M6", "unknown code 'B3；M6'"),
    ("B3, M6", "unknown code 'B3, M6'"),
    ("Z9", "unknown code 'Z9'"),
    ("B3;C1", "code C1 is a mismatch code, but mismatch is 0"),
    ("B3;T1", "code T1 is about a whole table (reported in table_codes), not about a row"),
], ids=["lower case", "full-width semicolon", "comma", "not in the catalogue", "family labelled 0", "table code"])
def test_a_code_that_is_not_one_of_the_rows_families_is_refused(iqc, tmp_path, codes, message) -> None:
    labels = HEADER + f"r1\t1\t0\t0\t{codes}\nr2\t0\t0\t0\t\n"
    assert f"labels.tsv:2: row_id 'r1': {message}" in _refused(iqc, labels, ROWS, tmp_path)


def test_advisory_codes_and_several_codes_are_accepted(iqc, tmp_path) -> None:
    labels = _write(tmp_path / "labels.tsv", HEADER + "r1\t1\t0\t1\tB3;M6;M5\nr2\t0\t0\t0\t\n")
    assert iqc("evaluate", labels, "--rows", _write(tmp_path / "rows.csv", ROWS))[0] == EXIT_OK


def test_a_model_that_cannot_be_loaded_is_one_line(iqc, tmp_path, monkeypatch) -> None:
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    (home / "data").symlink_to(Path(__file__).resolve().parent.parent / "data")
    monkeypatch.setenv("IQC_HOME", str(home))
    labels = _write(tmp_path / "labels.tsv", HEADER + "r1\t0\t0\t0\t\nr2\t0\t0\t0\t\n")
    code, err = iqc("evaluate", labels, "--rows", _write(tmp_path / "rows.csv", ROWS))
    assert (code, "Traceback" in err) == (EXIT_INPUT_FAILED, False)
    assert err.strip() == f"iqc evaluate: {home / 'models' / 'manifest.json'}: no model manifest; run `iqc train` to build the model"


def test_the_labels_are_the_gold_even_when_the_rows_have_label_columns_of_their_own(tmp_path, capsys) -> None:
    """A rows file that carries (older) labels of its own: its columns must not stand in for the labels'."""
    labels = _write(tmp_path / "labels.tsv", HEADER + "r1\t0\t0\t0\t\nr2\t0\t0\t0\t\n")
    rows = _write(tmp_path / "rows.csv", "row_id,level2,level3,target_value,boilerplate,mismatch,unmeasurable,codes\n"
                                         "r1,数量指标,培训人数,≥100人,1,1,1,B1\nr2,效益指标,工作效率,有所提高,1,1,1,B1\n")
    assert main(["evaluate", str(labels), "--rows", str(rows)]) == EXIT_OK
    support = [line.split()[4] for line in capsys.readouterr().out.splitlines()[2:5]]
    assert support == ["0", "0", "0"]


def test_labels_saved_in_gbk_are_read_like_any_input(iqc, tmp_path) -> None:
    """Excel on a Chinese Windows saves "CSV" in GBK, as the rows' readers already accept."""
    labels = tmp_path / "labels.csv"
    labels.write_bytes("row_id,boilerplate,mismatch,unmeasurable,codes,note\nr1,0,0,0,,培训人数可核验\n"
                       "r2,0,0,0,,无\n".encode("gbk"))
    assert iqc("evaluate", labels, "--rows", _write(tmp_path / "rows.csv", ROWS))[0] == EXIT_OK


def test_labels_in_a_workbook_are_read_from_its_first_sheet_and_name_its_rows(iqc, tmp_path) -> None:
    """A labels-only .xlsx was refused as "binary file: not CSV/TSV text"; reviewers keep labels in Excel."""
    labels, rows = tmp_path / "labels.xlsx", _write(tmp_path / "rows.csv", ROWS)
    with pd.ExcelWriter(labels) as book:
        pd.DataFrame({"row_id": ["r1", "r2"], "boilerplate": [0, 0], "mismatch": [0, 0], "unmeasurable": [0, 1],
                      "codes": ["", "M1"]}).to_excel(book, sheet_name="标注", index=False)
        pd.DataFrame({"说明": ["0/1 按标注指南"]}).to_excel(book, sheet_name="说明", index=False)
    code, err = iqc("evaluate", labels, "--rows", rows)
    assert code == EXIT_OK and err == f"iqc evaluate: skipped {labels} 说明: the labels are read from its first sheet (标注)\n"
    pd.DataFrame({"row_id": ["r1", "r2"], "boilerplate": [0, 2], "mismatch": [0, 0], "unmeasurable": [0, 0],
                  "codes": ["", ""]}).to_excel(labels, sheet_name="标注", index=False)
    assert iqc("evaluate", labels, "--rows", rows) == (EXIT_INPUT_FAILED, f"iqc evaluate: {labels}:标注!3: row_id r2: "
                                                                          "family labels must be 0 or 1\n")


def test_a_damaged_labels_workbook_is_one_line(iqc, tmp_path) -> None:
    labels = _write(tmp_path / "labels.xlsx", "row_id,boilerplate\n")  # text under a workbook's name
    code, err = iqc("evaluate", labels, "--rows", _write(tmp_path / "rows.csv", ROWS))
    assert (code, err.count("\n"), "Traceback" in err) == (EXIT_INPUT_FAILED, 1, False)
    assert err.startswith(f"iqc evaluate: {labels}: cannot read the labels (not a workbook")


def test_rows_given_as_a_folder_are_refused_saying_so(iqc, tmp_path) -> None:
    folder = tmp_path / "tables"
    folder.mkdir()
    _write(folder / "rows.csv", ROWS)
    code, err = iqc("evaluate", _write(tmp_path / "labels.tsv", HEADER + "r1\t0\t0\t0\t\n"), "--rows", folder)
    assert (code, "Traceback" in err) == (EXIT_USAGE, False)
    assert err == f"iqc evaluate: {folder}: a folder; give one rows file (iqc parse {folder} -o rows.csv makes one)\n"


@pytest.mark.parametrize("name, separator, read_as", [("labels.tsv", ",", "tab"), ("labels.csv", "\t", "comma")])
def test_labels_with_the_other_separator_say_how_they_were_read(iqc, tmp_path, name, separator, read_as) -> None:
    labels = _write(tmp_path / name, HEADER.replace("\t", separator) + separator.join("r1 0 0 0 ".split(" ")) + "\n")
    code, err = iqc("evaluate", labels, "--rows", _write(tmp_path / "rows.csv", ROWS))
    assert (code, "Traceback" in err, err.count("\n")) == (EXIT_USAGE, False, 1)
    assert err.rstrip().endswith(f"(read as {read_as}-separated, by the suffix {labels.suffix})")


def test_empty_lines_are_not_labels_and_the_line_named_is_the_files(iqc, tmp_path) -> None:
    """Excel saves the empty formatted rows below a sheet's data as lines of separators only."""
    labels = HEADER + "\nr1\t0\t0\t0\t\n\t\t\t\t\n\t0\t0\t0\t\n\t\t\t\t\n"
    assert "labels.tsv:5: no row_id" in _refused(iqc, labels, ROWS, tmp_path)
    path = _write(tmp_path / "labels.tsv", HEADER + "r1\t0\t0\t0\t\nr2\t0\t0\t0\t\n\t\t\t\t\n\t\t\t\t\n")
    assert iqc("evaluate", path, "--rows", _write(tmp_path / "rows.csv", ROWS))[0] == EXIT_OK


# --- a labelled file holding its rows is read as ``iqc score`` reads it ---------------------------

LABELLED = ("项目绩效目标表\n\nrow_id,二级指标,三级指标,指标值,boilerplate,mismatch,unmeasurable,codes\n"
            "r1,数量指标,培训人数,≥100人,0,0,0,\nr2,效益指标,工作效率,有所提高,0,0,1,M1\n")


def test_a_labelled_file_with_a_title_and_chinese_headers_is_read_as_score_reads_it(tmp_path, capsys) -> None:
    labelled = _write(tmp_path / "labelled.csv", LABELLED)
    assert main(["evaluate", str(labelled)]) == EXIT_OK
    assert capsys.readouterr().out.splitlines()[0] == "rows evaluated: 2"


def test_a_labelled_workbook_is_read_as_score_reads_it(tmp_path, capsys) -> None:
    labelled = tmp_path / "labelled.xlsx"
    pd.DataFrame({"row_id": ["r1", "r2"], "三级指标": ["培训人数", "工作效率"], "指标值": ["≥100人", "有所提高"],
                  "boilerplate": [0, 0], "mismatch": [0, 0], "unmeasurable": [0, 1], "codes": ["", "M1"]}
                 ).to_excel(labelled, index=False)
    assert main(["evaluate", str(labelled)]) == EXIT_OK
    assert capsys.readouterr().out.splitlines()[0] == "rows evaluated: 2"


def test_a_bad_label_names_the_line_score_names_for_that_row(iqc, tmp_path) -> None:
    """Line 5 of the file, below a title, an empty line and the header (pandas' index said 3)."""
    labelled = _write(tmp_path / "labelled.csv", LABELLED.replace("工作效率,有所提高,0,0,1", "工作效率,有所提高,2,0,1"))
    code, err = iqc("evaluate", labelled)
    assert (code, err.count("\n"), "Traceback" in err) == (EXIT_INPUT_FAILED, 1, False)
    assert err == f"iqc evaluate: {labelled}:5: row_id r2: family labels must be 0 or 1\n"


def test_a_labels_file_names_the_line_of_a_bad_label_too(iqc, tmp_path) -> None:
    labels = HEADER + "r1\t0\t0\t0\t\nr2\t1\t0\t0\tZ9\n"
    assert "labels.tsv:3: row_id 'r2': unknown code 'Z9'" in _refused(iqc, labels, ROWS, tmp_path)


# --- nothing is skipped without a word --------------------------------------------------------------


def test_sheets_the_readers_skip_are_said_one_line_each(tmp_path, capsys) -> None:
    rows = tmp_path / "rows.xlsx"
    with pd.ExcelWriter(rows) as book:
        pd.DataFrame({"row_id": ["r1", "r2"], "三级指标": ["培训人数", "工作效率"], "指标值": ["≥100人", "有所提高"]}
                     ).to_excel(book, sheet_name="目标表", index=False)
        pd.DataFrame({"说明": ["本表为示例"]}).to_excel(book, sheet_name="说明", index=False)
    labels = _write(tmp_path / "labels.tsv", HEADER + "r1\t0\t0\t0\t\nr2\t0\t0\t1\tM1\n")
    assert main(["evaluate", str(labels), "--rows", str(rows)]) == EXIT_OK
    assert capsys.readouterr().err == f"iqc evaluate: skipped {rows} 说明: no indicator header in the first 20 rows\n"


def test_rows_given_as_a_scored_output_say_why_none_were_read(iqc, tmp_path) -> None:
    rows = _write(tmp_path / "rows.csv", ROWS)
    assert iqc("score", rows, "-o", tmp_path / "scored.csv")[0] == EXIT_OK
    labels = _write(tmp_path / "labels.tsv", HEADER + "r1\t0\t0\t0\t\nr2\t0\t0\t0\t\n")
    code, err = iqc("evaluate", labels, "--rows", tmp_path / "scored.csv")
    assert (code, "Traceback" in err) == (EXIT_INPUT_FAILED, False)
    skipped, refused = err.splitlines()
    assert skipped.startswith(f"iqc evaluate: skipped {tmp_path / 'scored.csv'} ") and "an iqc score output" in skipped
    assert refused == f"iqc evaluate: {tmp_path / 'scored.csv'}: no indicator rows were read (skipped, as said above)"


def test_the_figures_are_those_of_the_configuration_iqc_score_would_use(tmp_path, capsys, monkeypatch) -> None:
    """A reviewer who switched a code off or raised a threshold measured the tool as shipped, not
    the one whose findings they see."""
    monkeypatch.chdir(tmp_path)
    labels = _write(tmp_path / "labels.tsv", HEADER + "r1\t0\t0\t0\t\nr2\t1\t0\t1\tM1\n")
    rows = _write(tmp_path / "rows.csv", ROWS)

    def reported(code: str) -> int:
        out = capsys.readouterr().out
        return int(next(line.split()[4] for line in out.splitlines() if line.split()[:1] == [code]))

    assert main(["evaluate", str(labels), "--rows", str(rows)]) == EXIT_OK
    assert reported("M1") == 1
    _write(tmp_path / "iqc.toml", '[codes]\ndisable = ["M1"]\n')  # found in the working directory, as by iqc score
    assert main(["evaluate", str(labels), "--rows", str(rows)]) == EXIT_OK
    assert "as configured by iqc.toml" in capsys.readouterr().out
    assert main(["evaluate", str(labels), "--rows", str(rows)]) == EXIT_OK
    assert reported("M1") == 0
    bad = _write(tmp_path / "bad.toml", "[codes]\ndisabel = []\n")
    code = main(["evaluate", str(labels), "--rows", str(rows), "--config", str(bad)])
    assert code == EXIT_USAGE and "unknown key codes.disabel" in capsys.readouterr().err
