"""A table's own column named like a location column does not replace where its rows are.

``source_file`` and ``source_line`` say where a row came from; ``iqc parse`` writes them together,
and a parsed output read again keeps them (its rows name their own file's lines). A table with one
of them only has a column of its own under that name (a page of the budget book, a note): it
replaced the location without a word, on the rows where it was filled, and the others had this
file's line, so the column meant two things. It is kept as ``source_line.1`` and said in one line.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nlp.readers import read_file
from test_blank_cells import write_delimited, write_jsonl, write_xlsx

HEADER = ["项目名称", "三级指标", "指标值", "source_line"]
ROWS = [["甲项目", "培训人次", "≥500人次", "预算书第3页"],
        ["甲项目", "培训合格率", "≥95%", ""],
        ["甲项目", "学员满意度", "≥90%", "预算书第4页"]]
OWN = ["预算书第3页", "", "预算书第4页"]


#: Each format, and the locations its reader gives the three rows.
FORMATS = {".csv": (write_delimited, ["2", "3", "4"]), ".jsonl": (write_jsonl, ["1", "2", "3"]),
           ".xlsx": (write_xlsx, ["Sheet!2", "Sheet!3", "Sheet!4"])}


@pytest.mark.parametrize("suffix", list(FORMATS))
def test_a_lone_location_column_is_kept_as_the_table_s_own(tmp_path: Path, suffix: str) -> None:
    write, lines = FORMATS[suffix]
    path = write(tmp_path / f"t{suffix}", [HEADER, *ROWS])
    found = read_file(path)
    frame = pd.concat(list(found.frames), ignore_index=True)
    assert frame["source_line"].tolist() == lines and set(frame["source_file"]) == {path.name}
    assert frame["source_line.1"].tolist() == OWN
    said = [str(warning) for warning in found.warnings]
    assert len(said) == 1 and "source_line" in said[0] and "kept as “source_line.1”" in said[0], said


def test_a_location_named_by_both_columns_is_an_earlier_reading_s(tmp_path: Path) -> None:
    """What ``iqc parse`` writes reads back with its rows' own locations, without a warning."""
    path = write_delimited(tmp_path / "parsed.csv", [["level3", "target_value", "source_file", "source_line"],
                                               ["培训人次", "≥500人次", "t.xlsx", "绩效目标!4"]])
    found = read_file(path)
    frame = pd.concat(list(found.frames), ignore_index=True)
    assert frame[["source_file", "source_line"]].values.tolist() == [["t.xlsx", "绩效目标!4"]]
    assert not found.warnings and "source_line.1" not in frame


@pytest.mark.parametrize("output", ["out.csv", "out.jsonl", "out.xlsx"])
def test_every_output_has_this_file_s_lines_and_the_table_s_column(iqc, tmp_path: Path, output: str) -> None:
    path = write_delimited(tmp_path / "t.csv", [HEADER, *ROWS])
    code, err = iqc("score", path, "-o", tmp_path / output)
    assert code == 0, err
    assert err.count("source_line.1") == 1
    if output.endswith(".jsonl"):
        scored = pd.read_json(tmp_path / output, lines=True, dtype=str)
    elif output.endswith(".xlsx"):
        scored = pd.read_excel(tmp_path / output, dtype=str, keep_default_na=False, engine="openpyxl")
    else:
        scored = pd.read_csv(tmp_path / output, dtype=str, keep_default_na=False)
    assert scored["source_line"].tolist() == ["2", "3", "4"]
    assert scored["source_line.1"].fillna("").tolist() == OWN
