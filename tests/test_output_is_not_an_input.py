"""The output never destroys an input: a file named both ways, or an input table the output
would replace, is refused before anything is read or written; a re-run into its input folder still
replaces its own previous output; a scored workbook left in a folder is never read as input."""
from __future__ import annotations

from pathlib import Path

import pytest

from nlp.cli import EXIT_OK, EXIT_USAGE, main
from nlp.readers import read_file

TABLE = "一级指标,二级指标,三级指标,指标值\n产出指标,数量指标,培训人次,≥100人次\n效益指标,社会效益指标,提升群众满意度,进一步提升\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text(TABLE, encoding="utf-8")
    return tmp_path / "in"


@pytest.mark.parametrize("command", ["score", "parse"])
def test_a_file_named_as_input_and_output_is_refused_and_kept(folder: Path, command: str,
                                                                 capsys: pytest.CaptureFixture) -> None:
    table = folder / "a.csv"
    assert main([command, str(table), "-o", str(table)]) == EXIT_USAGE  # was exit 0, the table replaced by 0 rows
    assert table.read_text(encoding="utf-8") == TABLE
    assert "is both an input and the output" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["score", "parse"])
def test_an_input_table_in_the_folder_is_not_overwritten(folder: Path, command: str) -> None:
    assert main([command, str(folder), "-o", str(folder / "a.csv")]) == EXIT_USAGE
    assert (folder / "a.csv").read_text(encoding="utf-8") == TABLE


@pytest.mark.parametrize(("command", "name"), [("score", "review.xlsx"), ("score", "scored.csv"), ("parse", "all.csv")])
def test_a_rerun_into_the_input_folder_replaces_its_own_output(folder: Path, command: str, name: str) -> None:
    for _ in range(2):
        assert main([command, str(folder), "-o", str(folder / name), "--quiet"] if command == "score"
                    else [command, str(folder), "-o", str(folder / name)]) == EXIT_OK


def test_no_sheet_of_a_scored_workbook_is_read_as_input(folder: Path) -> None:
    """Its triage and legend sheets name 三级指标/指标值 columns: they were read, 33 rows for 2."""
    main(["score", str(folder), "-o", str(folder / "review.xlsx"), "--quiet"])
    read = read_file(folder / "review.xlsx")
    assert list(read.frames) == [] and [part.location for part in read.skipped] == ["workbook"]


def test_a_baseline_never_replaces_an_input_nor_reads_as_one(folder: Path, tmp_path: Path) -> None:
    """--write-baseline onto the input table replaced it (exit 0); written into the input folder, the
    next run read its lines as indicator rows (they have a level3 key)."""
    table = folder / "a.csv"
    assert main(["score", str(table), "-o", str(tmp_path / "out.csv"), "--write-baseline", str(table),
                 "--quiet"]) == EXIT_USAGE
    assert table.read_text(encoding="utf-8") == TABLE
    assert main(["score", str(folder), "-o", str(tmp_path / "out.csv"), "--write-baseline",
                 str(folder / "known.jsonl"), "--quiet"]) == EXIT_OK
    read = read_file(folder / "known.jsonl")
    assert list(read.frames) == [] and "baseline" in read.skipped[0].reason
