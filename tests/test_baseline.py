"""Baselines: a re-run reports only findings not seen before, matched by content (a re-exported,
re-sorted, renumbered table still matches), and says how many it hid."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from nlp.baseline import BaselineError, read_baseline
from nlp.fingerprints import finding_key
from nlp.cli import EXIT_USAGE

NEW_ROW = {"row_id": "new-1", "level1": "效益指标", "level2": "社会效益指标", "level3": "进一步提升群众获得感",
           "target_value": "明显提升"}


@pytest.fixture
def table(public_tables: pd.DataFrame) -> pd.DataFrame:
    return public_tables.head(60)


def findings_of(path: Path) -> list[tuple[str, str]]:
    return [(row["row_id"], finding["code"]) for row in map(json.loads, path.read_text(encoding="utf-8").splitlines())
            for finding in [*row["findings"], *row["table_findings"]]]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_baseline_hides_every_known_finding_and_still_shows_a_new_one(iqc, tmp_path, table, jobs) -> None:
    first = tmp_path / "first.tsv"
    table.to_csv(first, sep="\t", index=False)
    code, err = iqc("score", first, "-o", tmp_path / "first.jsonl", "--write-baseline", tmp_path / "base.jsonl")
    assert code == 0, err
    known = findings_of(tmp_path / "first.jsonl")
    written = read_baseline(tmp_path / "base.jsonl")
    assert known and 0 < len(written) <= len(known) and f"wrote {len(written)} findings to the baseline" in err

    # the next export: rows re-sorted, renumbered, another file name, one new problem row
    later = pd.concat([table.iloc[::-1], pd.DataFrame([NEW_ROW])], ignore_index=True)
    later["row_id"] = [f"x{i}" for i in range(len(later))]
    second = tmp_path / "second.csv"
    later.to_csv(second, index=False)
    code, err = iqc("score", second, "-o", tmp_path / "second.jsonl", "--baseline", tmp_path / "base.jsonl",
                    "--jobs", jobs, "--chunk-rows", 25)
    assert code == 0, err
    shown = findings_of(tmp_path / "second.jsonl")
    assert shown and {row_id for row_id, _ in shown} == {f"x{len(later) - 1}"}  # only the new row
    assert f"hid {len(known)} findings already in the baseline" in err
    rows = [json.loads(line) for line in (tmp_path / "second.jsonl").read_text(encoding="utf-8").splitlines()]
    assert not any(row["codes"] for row in rows[:-1])
    assert not any(row[f"flag_{family}"] for row in rows[:-1] for family in ("boilerplate", "mismatch", "unmeasurable"))


def test_a_previous_scored_jsonl_is_a_baseline_too(iqc, tmp_path, table) -> None:
    source = tmp_path / "t.csv"
    table.to_csv(source, index=False)
    assert iqc("score", source, "-o", tmp_path / "old.jsonl")[0] == 0
    code, err = iqc("score", source, "-o", tmp_path / "new.csv", "--baseline", tmp_path / "old.jsonl")
    assert code == 0, err
    assert pd.read_csv(tmp_path / "new.csv", dtype=str, keep_default_na=False)["codes"].eq("").all()
    assert f"hid {len(findings_of(tmp_path / 'old.jsonl'))} findings" in err


def test_writing_a_baseline_while_using_one_keeps_the_hidden_findings(iqc, tmp_path, table) -> None:
    source = tmp_path / "t.csv"
    table.to_csv(source, index=False)
    assert iqc("score", source, "-o", tmp_path / "a.csv", "--write-baseline", tmp_path / "one.jsonl")[0] == 0
    assert iqc("score", source, "-o", tmp_path / "b.csv", "--baseline", tmp_path / "one.jsonl",
               "--write-baseline", tmp_path / "two.jsonl")[0] == 0
    assert read_baseline(tmp_path / "two.jsonl") == read_baseline(tmp_path / "one.jsonl")


def test_the_fingerprint_is_content_and_code_not_position() -> None:
    row = {"row_id": "1", "source_line": "4", "level2": "质量指标", "level3": "质量指标", "target_value": "≥95%"}
    moved = {**row, "row_id": "9", "source_line": "40", "source_file": "b.csv", "target_value": " ≥95%  "}
    assert finding_key(row, "B1") == finding_key(moved, "B1")
    assert finding_key(row, "B1") != finding_key(row, "B4")
    assert finding_key(row, "B1") != finding_key({**row, "level3": "合格率"}, "B1")


@pytest.mark.parametrize("text, message", [("not json\n", ":1: not JSON"),
                                           ('{"a": 1}\n', ":1: neither a baseline entry")])
def test_a_bad_baseline_is_one_line(iqc, tmp_path, text, message) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(BaselineError, match=message):
        read_baseline(bad)
    code, err = iqc("score", tmp_path / "x.csv", "-o", tmp_path / "o.csv", "--baseline", bad)
    assert code == EXIT_USAGE and err.count("\n") == 1 and message in err
    code, err = iqc("score", tmp_path / "x.csv", "-o", tmp_path / "o.csv", "--baseline", tmp_path / "missing.jsonl")
    assert code == EXIT_USAGE and "cannot read baseline" in err
