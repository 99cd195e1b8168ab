"""RULES, the code catalogue, the precedence list and the examples are one thing seen four ways.

A rule without a catalogue entry cannot be explained, a catalogue code without a rule is never
found, a code missing from the precedence list crashes sorting, and a rule whose examples do not
notice it being stubbed out is untested. These tests tie them together.
"""
from __future__ import annotations

import json

import pytest

from nlp import long_cells, rules
from nlp.codes import catalogue, is_default_off, precedence
from nlp.features import analyse_frame
from nlp.resources import models_path
from nlp.scorer import MODEL_CODE
from test_rule_examples import EXAMPLES, example_frame


def test_every_rule_has_a_catalogue_entry_and_a_rank() -> None:
    for code in rules.RULES:
        assert code in catalogue(), code
        assert code in precedence(), code


def test_every_catalogue_code_is_a_rule_a_model_code_or_an_input_code_and_is_ranked_once() -> None:
    other_sources = {*MODEL_CODE.values(), long_cells.CODE}
    for code in catalogue():
        table_code = catalogue()[code]["family"] == "table"
        assert code in rules.RULES or code in other_sources or table_code, code
    ranked = list(precedence())
    assert sorted(ranked) == sorted(catalogue())


@pytest.mark.parametrize("code", sorted(rules.RULES))
def test_stubbing_out_a_rule_is_noticed_by_its_examples(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(rules.RULES, code, lambda ctx: None)
    still_fires = [example for example in EXAMPLES[code]["must_fire"]
                   if code in analyse_frame(example_frame(example)).hits[-1]]
    assert not still_fires, f"{code} stubbed out, yet its must-fire examples still fire"


def test_rules_under_0_7_precision_on_labelled_rows_are_off_by_default() -> None:
    """The catalogue's ``default_off`` follows the measurement ``iqc train`` records."""
    measured = json.loads(models_path("manifest.json").read_text(encoding="utf-8"))["metrics"]["rules_on_labelled_rows"]
    for code, result in measured.items():
        if catalogue()[code]["family"] == "advisory" or result["predicted"] < 5:
            continue
        if result["precision"] < 0.7:
            assert is_default_off(code), f"{code}: precision {result['precision']} on labelled rows but reported"
