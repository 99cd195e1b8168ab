"""CSV, TSV and JSON Lines as they arrive from reviewers: each cell read as written, or the row
named with its line and why it was not read; never a traceback, a shifted cell or a changed value."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from nlp.cli import EXIT_INPUT_FAILED

HEADER = "一级指标,二级指标,三级指标,指标值"


def _parsed(iqc, tmp_path: Path, *inputs: Path) -> tuple[int, str, pd.DataFrame]:
    output = tmp_path / "out" / "rows.jsonl"
    code, err = iqc("parse", *inputs, "-o", output)
    lines = output.read_text(encoding="utf-8").splitlines() if output.exists() else []
    return code, err, pd.DataFrame([json.loads(line) for line in lines])


def _problems(err: str) -> list[str]:
    """The lines of ``err`` that name an input problem (not progress or summary lines)."""
    return [line for line in err.splitlines() if line.startswith("iqc: ")]


def test_a_lone_surrogate_in_a_json_line_is_that_line_s_error(iqc, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"level3": "a\\ud800", "target_value": "1"}\n{"level3": "b", "target_value": "2"}\n', encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text(f"{HEADER}\n产出指标,数量指标,培训人数,≥100人\n", encoding="utf-8")
    code, err, rows = _parsed(iqc, tmp_path, bad, good)
    assert "Traceback" not in err
    assert code == EXIT_INPUT_FAILED
    assert _problems(err) == [
        f"iqc: {bad}:1: not valid Unicode (a lone surrogate \\ud800); row not read"]
    assert list(rows["level3"]) == ["b", "培训人数"]


def test_json_numbers_read_as_written_not_through_a_float(iqc, tmp_path: Path) -> None:
    lines = ['{"level3": "a", "target_value": 95}', '{"level3": "b", "target_value": 0.95}',
             '{"level3": "c", "target_value": 110101202300012345678}', '{"level3": "d", "target_value": 1e400}',
             '{"level3": "e", "target_value": NaN}', '{"level3": "f", "target_value": -Infinity}',
             '{"level3": "g", "target_value": null}', '{"level3": "h", "target_value": true}',
             '{"level3": "i", "target_value": 95.0}']
    path = tmp_path / "numbers.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, err, rows = _parsed(iqc, tmp_path, path)
    assert code == 0, err
    assert list(rows["target_value"]) == ["95", "0.95", "110101202300012345678", "1e400", "NaN", "-Infinity", "", "TRUE", "95"]


def test_a_lone_carriage_return_in_a_cell_never_shifts_the_row(iqc, tmp_path: Path) -> None:
    path = tmp_path / "cr_in_cell.csv"
    path.write_bytes((f"{HEADER}\r\n产出指标,数量指标,培训人数,≥100人\r\n产出指标,质量指标,合格\r率,≥95%\r\n"
                      '产出指标,质量指标,"满意\r度",≥90%\r\n产出指标,时效指标,完成时限,6月前\r\n').encode())
    code, err, rows = _parsed(iqc, tmp_path, path)
    assert code == EXIT_INPUT_FAILED
    errors = _problems(err)
    assert len(errors) == 1 and errors[0].startswith(f"iqc: {path}:3: ") and "row not read" in errors[0]
    assert rows[["level3", "target_value", "source_line"]].values.tolist() == [
        ["培训人数", "≥100人", "2"], ["满意\r度", "≥90%", "4"], ["完成时限", "6月前", "5"]]


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_a_carriage_return_in_a_cell_survives_the_delimited_output(iqc, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / "cr_quoted.csv"
    path.write_bytes(f'{HEADER}\n产出指标,质量指标,"满意\r度",≥90%\n产出指标,质量指标,"a\r\nb",1\n'.encode())
    output = tmp_path / f"rows{suffix}"
    assert iqc("parse", path, "-o", output)[0] == 0
    code, err, rows = _parsed(iqc, tmp_path, output)
    assert code == 0, err
    assert list(rows["level3"]) == ["满意\r度", "a\r\nb"]


def test_a_malformed_title_row_does_not_hide_the_header_below_it(iqc, tmp_path: Path) -> None:
    path = tmp_path / "quoted_title.csv"
    path.write_text(f'"十四五"规划项目绩效目标表,,,\n项目名称,X项目,,\n{HEADER}\n产出指标,数量指标,培训人数,≥100人\n',
                    encoding="utf-8")
    code, err, rows = _parsed(iqc, tmp_path, path)
    assert code == EXIT_INPUT_FAILED
    errors = _problems(err)
    assert len(errors) == 1 and errors[0].startswith(f"iqc: {path}:1: ") and "row not read" in errors[0], errors
    assert rows[["project_name", "level3", "target_value", "source_line"]].values.tolist() == [
        ["X项目", "培训人数", "≥100人", "4"]]


def test_a_nul_character_near_the_top_of_a_utf8_file_is_a_character(iqc, tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_text(f"{HEADER}\n产出指标,数量指标,培\x00训人数,≥100人\n产出指标,质量指标,合格率,≥95%\n", encoding="utf-8")
    code, err, rows = _parsed(iqc, tmp_path, path)
    assert code == 0, err
    assert list(rows["level3"]) == ["培\x00训人数", "合格率"]


def test_a_parsed_csv_with_control_characters_in_cells_reads_back_as_written(iqc, tmp_path: Path) -> None:
    """``iqc parse`` keeps a cell's NUL and ESC in its CSV output; that output read again was
    refused whole as a binary file."""
    source = tmp_path / "rows.jsonl"
    cells = ["培\x00训人数", "验收\x1b合格率", "完成\x01时限"]
    source.write_text("".join(json.dumps({"level3": cell, "target_value": "1"}, ensure_ascii=False) + "\n"
                              for cell in cells), encoding="utf-8")
    assert iqc("parse", source, "-o", tmp_path / "parsed.csv")[0] == 0
    code, err, rows = _parsed(iqc, tmp_path, tmp_path / "parsed.csv")
    assert code == 0, err
    assert list(rows["level3"]) == cells


def test_control_bytes_beside_a_nul_still_make_a_file_binary(iqc, tmp_path: Path) -> None:
    path = tmp_path / "blob.csv"
    path.write_bytes(b"\x00\x01\x02level3,target_value\n\x03\x00a,1\n")
    code, err, _ = _parsed(iqc, tmp_path, path)
    assert code == EXIT_INPUT_FAILED
    assert f"iqc: {path}: binary file" in err


def _utf8_rows(count: int) -> str:
    return "".join(f"产出指标,数量指标,指标{i},≥{i}人\n" for i in range(count))


def test_a_line_that_is_not_utf8_in_a_utf8_csv_is_that_line_s_error(iqc, tmp_path: Path) -> None:
    path = tmp_path / "one_gbk_line.csv"
    path.write_bytes(f"{HEADER}\n{_utf8_rows(3)}".encode() + "产出指标,质量指标,合格率,≥95%\n".encode("gbk")
                     + _utf8_rows(2).replace("指标", "后").encode() + "产出指标,时效,截断".encode()[:-1])
    code, err, rows = _parsed(iqc, tmp_path, path)
    assert code == EXIT_INPUT_FAILED
    errors = _problems(err)
    assert [line.split(": ", 2)[1] for line in errors] == [f"{path}:5", f"{path}:8"], errors
    assert all("not valid UTF-8" in line for line in errors)
    assert list(rows["level3"]) == ["指标0", "指标1", "指标2", "后0", "后1"]


def test_a_line_that_is_not_utf8_in_a_utf8_jsonl_is_that_line_s_error(iqc, tmp_path: Path) -> None:
    good = [json.dumps({"level3": f"指标{i}", "target_value": "1"}, ensure_ascii=False) for i in range(4)]
    path = tmp_path / "one_gbk_line.jsonl"
    path.write_bytes("\n".join(good[:3]).encode() + b"\n" + '{"level3": "合格率", "target_value": "1"}\n'.encode("gbk")
                     + good[3].encode() + b"\n")
    code, err, rows = _parsed(iqc, tmp_path, path)
    errors = _problems(err)
    assert code == EXIT_INPUT_FAILED and len(errors) == 1 and errors[0].startswith(f"iqc: {path}:4: "), errors
    assert list(rows["level3"]) == ["指标0", "指标1", "指标2", "指标3"]


def test_a_semicolon_separated_csv_is_read_with_or_without_excel_s_sep_line(iqc, tmp_path: Path) -> None:
    body = f"{HEADER}\n产出指标,数量指标,培训人数,\"1,200人\"\n".replace(",", ";").replace('"1;200人"', "1,200人")
    plain, marked = tmp_path / "semicolon.csv", tmp_path / "sep_line.csv"
    plain.write_text(body, encoding="utf-8")
    marked.write_text("sep=;\n" + body, encoding="utf-8")
    code, err, rows = _parsed(iqc, tmp_path, plain, marked)
    assert code == 0, err
    assert rows[["level3", "target_value", "source_line"]].values.tolist() == [
        ["培训人数", "1,200人", "2"], ["培训人数", "1,200人", "3"]]


def test_a_json_value_under_a_blank_key_is_not_dropped_without_a_word(iqc, tmp_path: Path) -> None:
    path = tmp_path / "blank_key.jsonl"
    path.write_text('{"level3": "a", "target_value": "1", "": "旧值"}\n{"level3": "b", "target_value": "2", "": ""}\n'
                    '{"level3": "c", "target_value": "3"}\n', encoding="utf-8")
    code, err, rows = _parsed(iqc, tmp_path, path)
    errors = _problems(err)
    assert code == EXIT_INPUT_FAILED and len(errors) == 1, err
    assert errors[0].startswith(f"iqc: {path}:1: text beyond the header's 2 columns: row not read")
    assert list(rows["level3"]) == ["b", "c"]


def test_json_lines_naming_a_field_by_other_keys_are_read_by_them(iqc, tmp_path: Path) -> None:
    path = tmp_path / "two_tools.jsonl"
    path.write_text('{"三级指标": "a", "指标值": "1"}\n{"level3": "b", "target_value": "2"}\n'
                    '{"level3": "c", "三级指标": "旧名", "target_value": "3"}\n', encoding="utf-8")
    code, err, rows = _parsed(iqc, tmp_path, path)
    assert code == 0, err
    assert rows[["level3", "target_value", "三级指标"]].values.tolist() == [["a", "1", ""], ["b", "2", ""], ["c", "3", "旧名"]]
    warnings = [line for line in err.splitlines() if "both name" in line]
    assert len(warnings) == 1 and f"{path}:3" in warnings[0] and "“level3” read" in warnings[0], err


def test_a_json_line_naming_a_field_by_two_other_keys_reads_the_first() -> None:
    from nlp.readers.jsonl import _own_keys

    cells = ["", "a", "b"]
    both = _own_keys({"三级指标": "a", "指标名称": "b"}, cells, [("level3", 0, "三级指标", 1), ("level3", 0, "指标名称", 2)])
    assert cells == ["a", "", "b"] and both == ("三级指标", "指标名称")


def test_json_lines_files_joined_each_with_its_bom_are_all_read(iqc, tmp_path: Path) -> None:
    part = b'\xef\xbb\xbf{"level3": "%s", "target_value": "1"}\r\n'
    path = tmp_path / "joined.jsonl"
    path.write_bytes(part % "a".encode() + part % "b".encode())
    code, err, rows = _parsed(iqc, tmp_path, path)
    assert code == 0, err
    assert rows[["level3", "source_line"]].values.tolist() == [["a", "1"], ["b", "2"]]


def test_a_malformed_tsv_row_is_named_on_one_line_without_a_tab(iqc, tmp_path: Path) -> None:
    path = tmp_path / "stray_quote.tsv"
    path.write_text('三级指标\t指标值\n"培训"人数\t100人\n合格率\t≥95%\n', encoding="utf-8")
    code, err, rows = _parsed(iqc, tmp_path, path)
    assert code == EXIT_INPUT_FAILED
    errors = _problems(err)
    assert errors == [f"iqc: {path}:2: malformed row ('\\t' expected after '\"'); row not read"]
    assert list(rows["level3"]) == ["合格率"]


def test_a_carriage_return_between_json_tokens_does_not_split_the_line(iqc, tmp_path: Path) -> None:
    path = tmp_path / "cr.jsonl"
    path.write_bytes('{"level3": "培训人数",\r"target_value": "100人"}\n{"level3": "合格率", "target_value": "≥95%"}\r\n'
                     .encode())
    code, err, rows = _parsed(iqc, tmp_path, path)
    assert code == 0, err
    assert rows[["level3", "target_value", "source_line"]].values.tolist() == [
        ["培训人数", "100人", "1"], ["合格率", "≥95%", "2"]]


def test_a_key_given_twice_in_a_json_line_refuses_that_line(iqc, tmp_path: Path) -> None:
    """Before, json kept the last value and the first was dropped without a word."""
    path = tmp_path / "twice.jsonl"
    path.write_text('{"level3": "培训人数", "target_value": "100人"}\n'
                    '{"level3": "合格率", "level3": "满意度", "target_value": "≥95%"}\n', encoding="utf-8")
    code, err, rows = _parsed(iqc, tmp_path, path)
    assert code == EXIT_INPUT_FAILED
    assert _problems(err) == [
        f"iqc: {path}:2: the key “level3” appears twice in this object (which value is meant?); row not read"]
    assert list(rows["level3"]) == ["培训人数"]


def test_a_json_key_one_edit_from_a_field_is_named_with_the_field_it_resembles(iqc, tmp_path: Path) -> None:
    """Before, ``levle3`` was kept as an extra column without a word, and its rows had no name."""
    path = tmp_path / "misspelt.jsonl"
    path.write_text('{"level3": "培训人数", "target_value": "100人"}\n{"levle3": "合格率", "target_value": "≥95%"}\n'
                    '{"levle3": "满意度", "target_value": "≥90%", "level4": "x", "单位备注": "y"}\n', encoding="utf-8")
    code, err, rows = _parsed(iqc, tmp_path, path)
    assert code == 0, err
    warnings = [line for line in err.splitlines() if "levle3" in line or "level4" in line]
    assert warnings == [f"  warning: {path}:2: the key “levle3” is not a field, but one edit from “level3”: "
                        "kept as a column of its own (rename it if it is level3)"]
    assert list(rows["levle3"]) == ["", "合格率", "满意度"]
