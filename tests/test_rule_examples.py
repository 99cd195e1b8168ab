"""Every rule code against its must-fire / must-not-fire example rows (data/code_examples.toml).

Each example is run through the real analysis (``analyse_frame``): the example's ``table`` rows
plus the row under test form one table, and the row under test is the last one.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from nlp.codes import catalogue
from nlp.features import analyse_frame
from nlp.rules import RULES

EXAMPLES_PATH = Path(__file__).resolve().parent.parent / "data" / "code_examples.toml"
KINDS = ("must_fire", "must_not_fire")
#: Project context the table rows share with the row under test.
SHARED = ("project_name", "project_goal", "budget_wan")


def _load() -> dict[str, dict[str, list[dict]]]:
    with EXAMPLES_PATH.open("rb") as handle:
        return tomllib.load(handle)


EXAMPLES = _load()
CASES = [pytest.param(code, kind, example, id=f"{code}-{kind}-{i}")
         for code, kinds in EXAMPLES.items() for kind in KINDS
         for i, example in enumerate(kinds.get(kind, []))]


def example_frame(example: dict) -> pd.DataFrame:
    """The example's table rows plus its row (last), every cell a string, one table."""
    row = {key: str(value) for key, value in example["row"].items()}
    shared = {key: row[key] for key in SHARED if key in row}
    rows = [{**{key: str(value) for key, value in other.items()}, **shared} for other in example.get("table", [])]
    rows.append(row)
    frame = pd.DataFrame(rows, dtype=str).fillna("")
    frame["table_id"] = "example"
    return frame


@pytest.mark.parametrize(("code", "kind", "example"), CASES)
def test_rule_example(code: str, kind: str, example: dict) -> None:
    hits = analyse_frame(example_frame(example)).hits[-1]
    row = example["row"]
    shown = f"{row.get('level1', '')}/{row.get('level2', '')}/{row.get('level3', '')} = {row.get('target_value', '')!r}"
    if kind == "must_fire":
        assert code in hits, f"{code} should fire ({example['why']}): {shown}; hits {hits}"
    else:
        assert code not in hits, f"{code} must not fire ({example['why']}): {shown}; evidence {hits[code]!r}"


def test_every_rule_has_examples_of_both_kinds() -> None:
    for code in RULES:
        for kind in KINDS:
            assert len(EXAMPLES.get(code, {}).get(kind, [])) >= 3, f"{code} needs >= 3 {kind} examples"


def test_examples_use_catalogue_codes_and_known_kinds() -> None:
    known = catalogue()
    for code, kinds in EXAMPLES.items():
        assert code in known, f"{code} is not a catalogue code"
        assert set(kinds) <= set(KINDS), f"{code}: unknown kinds {set(kinds) - set(KINDS)}"
        for kind in KINDS:
            for example in kinds.get(kind, []):
                assert example.get("why") and isinstance(example.get("row"), dict), f"{code}/{kind}: needs why and row"
