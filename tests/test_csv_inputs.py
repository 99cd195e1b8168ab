"""CSV, TSV and JSON Lines as they arrive from reviewers: each cell read as written, or the row
named with its line and why it was not read; never a traceback, a shifted cell or a changed value."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from nlp.cli import EXIT_INPUT_FAILED

HEADER = "一级指标,二级指标,三级指标,指标值"


def _parsed(iqc, tmp_path: Path, *inputs: Path) -> tuple[int, str, pd.DataFrame]:
    output = tmp_path / "out" / "rows.csv"
    code, err = iqc("parse", *inputs, "-o", output)
    rows = pd.read_csv(output, dtype=str, keep_default_na=False, encoding="utf-8-sig") if output.exists() else pd.DataFrame()
    return code, err, rows


def test_a_lone_surrogate_in_a_json_line_is_that_line_s_error(iqc, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"level3": "a\\ud800", "target_value": "1"}\n{"level3": "b", "target_value": "2"}\n', encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text(f"{HEADER}\n产出指标,数量指标,培训人数,≥100人\n", encoding="utf-8")
    code, err, rows = _parsed(iqc, tmp_path, bad, good)
    assert "Traceback" not in err
    assert code == EXIT_INPUT_FAILED
    assert [line for line in err.splitlines() if line.startswith("iqc: ")] == [
        f"iqc: {bad}:1: not valid Unicode (a lone surrogate \\ud800); row not read"]
    assert list(rows["level3"]) == ["b", "培训人数"]
