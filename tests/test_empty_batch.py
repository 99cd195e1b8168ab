"""A batch without a single indicator row (a header alone, or nothing readable): every output is
still a valid file of its format, with its columns or structure and no rows, and the run says so.
A CSV output held only a BOM and a TSV nothing; the workbook's main sheet had no header."""
from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from nlp.cli import EXIT_INPUT_FAILED, EXIT_OK
from nlp.records import ALL_COLUMNS
from nlp.schema import scored_columns

HEADER = "项目名称,一级指标,二级指标,三级指标,指标值\n"
SCORED = scored_columns(ALL_COLUMNS, findings=False)


@pytest.fixture(params=["header only", "unreadable"])
def empty_input(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    source = tmp_path / "in.csv"
    source.write_bytes(HEADER.encode("utf-8") if request.param == "header only" else b"\x00\x01\x02\x03" * 64)
    return source


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_a_delimited_output_has_its_header(iqc, empty_input: Path, suffix: str) -> None:
    output = empty_input.with_name(f"scored{suffix}")
    code, err = iqc("score", empty_input, "-o", output)
    assert code in (EXIT_OK, EXIT_INPUT_FAILED), err
    frame = pd.read_csv(output, sep="," if suffix == ".csv" else "\t", encoding="utf-8-sig", dtype=str)
    assert list(frame.columns) == SCORED and frame.empty
    assert f"no indicator rows were found: {output} has its columns and no rows" in err


def test_the_workbook_s_main_sheet_has_its_header(iqc, empty_input: Path) -> None:
    output = empty_input.with_name("scored.xlsx")
    iqc("score", empty_input, "-o", output)
    header, *rows = openpyxl.load_workbook(output, read_only=True)["indicators"].iter_rows(values_only=True)
    assert list(header[:len(SCORED)]) == SCORED and "审核结论" in header and rows == []


def test_jsonl_and_sarif_are_valid_and_empty(iqc, empty_input: Path) -> None:
    iqc("score", empty_input, "-o", empty_input.with_name("scored.jsonl"))
    iqc("score", empty_input, "-o", empty_input.with_name("scored.sarif"))
    assert empty_input.with_name("scored.jsonl").read_bytes() == b""
    assert json.loads(empty_input.with_name("scored.sarif").read_text(encoding="utf-8"))["runs"][0]["results"] == []


def test_parse_keeps_its_header(iqc, empty_input: Path) -> None:
    output = empty_input.with_name("parsed.tsv")
    iqc("parse", empty_input, "-o", output)
    assert list(pd.read_csv(output, sep="\t", dtype=str).columns) == list(ALL_COLUMNS)
