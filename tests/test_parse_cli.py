"""``iqc parse`` end to end, in-process: round trip, formats, bad inputs, globs and folders."""
from __future__ import annotations

import json
import random
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from nlp.cli import EXIT_INPUT_FAILED, EXIT_OK, EXIT_USAGE
from nlp.io_write import write_frames
from nlp.records import ALL_COLUMNS

GBK_TABLE = "项目名称,一级指标,二级指标,三级指标,指标值\n道路养护,产出指标,数量指标,养护里程,120公里\n,,,路面完好率,≥95%\n"


def read_output(path: Path) -> pd.DataFrame:
    sep = "\t" if path.suffix == ".tsv" else ","
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_every_public_row_round_trips_unchanged(
    tmp_path: Path, iqc, public_tables: pd.DataFrame, public_tables_path: Path, suffix: str
) -> None:
    out = tmp_path / f"rows{suffix}"
    code, err = iqc("parse", public_tables_path, "-o", out)
    assert code == EXIT_OK, err
    parsed = read_output(out)
    assert list(parsed.columns) == [*ALL_COLUMNS, "source_url"]
    pd.testing.assert_frame_equal(parsed[public_tables.columns], public_tables)
    assert set(parsed["source_file"]) == {public_tables_path.name}
    assert f"{public_tables_path}: 29 table(s), 235 rows" in err
    # parsing the output again changes nothing
    again = tmp_path / f"again{suffix}"
    assert iqc("parse", out, "-o", again)[0] == EXIT_OK
    pd.testing.assert_frame_equal(read_output(again), parsed)


def test_jsonl_output(tmp_path: Path, iqc, public_tables: pd.DataFrame, public_tables_path: Path) -> None:
    out = tmp_path / "rows.jsonl"
    assert iqc("parse", public_tables_path, "-o", out)[0] == EXIT_OK
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(public_tables)
    assert list(records[0]) == [*ALL_COLUMNS, "source_url"]
    assert records[0]["level3"] == public_tables.loc[0, "level3"]


def test_bad_inputs_fail_alone_with_one_line_each(tmp_path: Path, iqc) -> None:
    good = tmp_path / "gbk.csv"
    good.write_bytes(GBK_TABLE.encode("gbk"))
    workbook = openpyxl.Workbook()
    workbook.active.append(["三级指标", "指标值"])
    workbook.active.append(["里程", "120"])
    workbook.save(tmp_path / "whole.xlsx")
    data = (tmp_path / "whole.xlsx").read_bytes()
    bad = {
        "empty.csv": (b"", "empty file"),
        "blob.csv": (bytes(range(256)) * 4, "binary file"),
        "noindicators.csv": ("项目名称,金额\n道路养护,100\n".encode(), "no indicator columns"),
        "random.xlsx": (random.Random(0).randbytes(3000), "not a readable Excel workbook"),
        "truncated.xlsx": (data[: len(data) // 2], "not a readable Excel workbook"),
    }
    for name, (content, _) in bad.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "whole.xlsx").unlink()
    out = tmp_path / "out" / "rows.csv"
    out.parent.mkdir()
    code, err = iqc("parse", good, *(tmp_path / name for name in bad), "-o", out)
    assert code == EXIT_INPUT_FAILED
    assert "Traceback" not in err
    for name, (_, problem) in bad.items():
        lines = [line for line in err.splitlines() if name in line]
        assert len(lines) == 1 and lines[0].startswith(f"iqc: {tmp_path / name}: {problem}"), (name, err)
    parsed = read_output(out)
    assert parsed["level3"].tolist() == ["养护里程", "路面完好率"]
    assert parsed["level2"].tolist() == ["数量指标", "数量指标"]


def test_workbook_summary_reports_skipped_sheet(tmp_path: Path, iqc, public_tables, make_samples) -> None:
    path = tmp_path / "zh.xlsx"
    make_samples.write_zh_workbook(public_tables.iloc[:18], path)
    code, err = iqc("parse", path, "-o", tmp_path / "rows.tsv")
    assert code == EXIT_OK
    assert f"{path}: 2 table(s), 18 rows\n  skipped 填报说明: no indicator header in the first 20 rows" in err


def test_globs_and_folders(tmp_path: Path, iqc) -> None:
    (tmp_path / "in" / "deep").mkdir(parents=True)
    (tmp_path / "in" / "a.csv").write_text("level3,target_value\nA,1\n", encoding="utf-8")
    (tmp_path / "in" / "deep" / "b.tsv").write_text("level3\ttarget_value\nB\t2\n", encoding="utf-8")
    (tmp_path / "in" / "deep" / "c.csv").write_text("level3,target_value\nC,3\n", encoding="utf-8")
    out = tmp_path / "rows.csv"
    assert iqc("parse", tmp_path / "in", "-o", out)[0] == EXIT_OK
    assert read_output(out)["level3"].tolist() == ["A", "B", "C"]
    assert iqc("parse", f"{tmp_path}/in/**/*.csv", "-o", out)[0] == EXIT_OK
    assert read_output(out)["level3"].tolist() == ["A", "C"]
    code, err = iqc("parse", f"{tmp_path}/in/*.xlsx", tmp_path / "in" / "a.csv", "-o", out)
    assert code == EXIT_INPUT_FAILED and "no files match this pattern" in err
    assert read_output(out)["level3"].tolist() == ["A"]


def test_usage_errors(tmp_path: Path, iqc) -> None:
    source = tmp_path / "a.csv"
    source.write_text("level3\nA\n", encoding="utf-8")
    code, err = iqc("parse", source, "-o", tmp_path / "rows.xlsx")
    assert code == EXIT_USAGE and "unknown output format '.xlsx'" in err
    assert iqc("parse", source, "-o", tmp_path / "new" / "rows.csv")[0] == EXIT_OK  # folders are created
    with pytest.raises(SystemExit) as exit_:
        iqc("parse", "-o", tmp_path / "rows.csv")
    assert exit_.value.code == EXIT_USAGE


def test_write_frames_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "rows.csv"
    target.write_text("old", encoding="utf-8")

    def interrupted():
        yield pd.DataFrame({"level3": ["A"]})
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_frames(interrupted(), target)
    assert target.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_a_failure_while_widening_the_header_leaves_no_file(tmp_path: Path, monkeypatch) -> None:
    """Widening the header rewrites the file into a second temp file; a full disk (or Ctrl-C) there
    left that half-written hidden file beside the output."""
    import nlp.io_write

    target = tmp_path / "rows.csv"
    target.write_text("old", encoding="utf-8")
    delimited, rewriting = nlp.io_write._delimited, []

    def disk_full(frame: pd.DataFrame, sep: str, header: bool) -> str:
        """The rewrite's first chunk is written (with the header), then the disk is full."""
        if rewriting:
            raise OSError(28, "No space left on device")
        rewriting.extend([True] if header and len(frame) else [])
        return delimited(frame, sep, header)

    monkeypatch.setattr(nlp.io_write, "_REWRITE_CHUNK_ROWS", 1)
    monkeypatch.setattr(nlp.io_write, "_delimited", disk_full)
    frames = [pd.DataFrame({"level3": ["A", "B"]}), pd.DataFrame({"level3": ["C"], "处室": ["财务科"]})]
    with pytest.raises(OSError):
        write_frames(iter(frames), target)
    assert target.read_text(encoding="utf-8") == "old"
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"])
def test_columns_of_later_frames_are_appended_not_dropped(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"rows{suffix}"
    frames = [pd.DataFrame({"row_id": ["r1"], "level3": ["A,\"x\""]}),
              pd.DataFrame({"row_id": ["r2"], "level3": ["B"], "处室": ["财务科"]}),
              pd.DataFrame({"row_id": ["r3"], "level3": ["C"]})]
    assert write_frames(iter(frames), target) == 3
    if suffix == ".jsonl":
        back = pd.read_json(target, lines=True, dtype=False).fillna("")
    else:
        back = pd.read_csv(target, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False,
                           encoding="utf-8-sig")
    assert list(back.columns) == ["row_id", "level3", "处室"]
    assert back.to_dict("records") == [{"row_id": "r1", "level3": 'A,"x"', "处室": ""},
                                       {"row_id": "r2", "level3": "B", "处室": "财务科"},
                                       {"row_id": "r3", "level3": "C", "处室": ""}]
