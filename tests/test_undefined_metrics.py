"""A family with nothing to count has no precision, recall or F1: ``None`` in data, ``–`` in print.

A labelled file of a few tables often has no mismatch row. Scored 0, that family read as a model
that missed everything, and pulled macro F1 down by a third. F1 is 2TP / (2TP + FP + FN), as
scikit-learn defines it: undefined only with no positive and no flag; a family whose positives were
all missed (or whose flags were all wrong) keeps its 0, or a model that never flags would gain.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nlp.cli import EXIT_OK, main
from nlp.evaluate import family_metrics, macro_f1_interval
from nlp.model_card import family_table
from nlp.schema import FAMILIES

#: boilerplate right on both rows, mismatch with nothing to count, unmeasurable set per test
GOLD = {"boilerplate": [1, 0], "mismatch": [0, 0]}


def _metrics(unmeasurable_gold: list[int], unmeasurable_flags: list[int]) -> dict:
    gold = pd.DataFrame({**GOLD, "unmeasurable": unmeasurable_gold})
    flags = pd.DataFrame({"flag_boilerplate": [1, 0], "flag_mismatch": [0, 0], "flag_unmeasurable": unmeasurable_flags})
    return family_metrics(gold, flags)


def test_no_positive_and_no_flag_is_undefined_and_left_out_of_macro_f1() -> None:
    metrics = _metrics([1, 0], [1, 0])
    assert metrics["mismatch"] == {"precision": None, "recall": None, "f1": None, "support": 0}
    assert metrics["macro_f1"] == 1.0


@pytest.mark.parametrize("gold, flags, precision, recall", [([1, 0], [0, 0], None, 0.0), ([0, 0], [1, 0], 0.0, None)],
                         ids=["positives, no flag", "flags, no positive"])
def test_a_family_with_errors_keeps_its_f1_of_0(gold, flags, precision, recall) -> None:
    metrics = _metrics(gold, flags)
    assert (metrics["unmeasurable"]["precision"], metrics["unmeasurable"]["recall"]) == (precision, recall)
    assert metrics["unmeasurable"]["f1"] == 0.0 and metrics["macro_f1"] == 0.5


def test_the_interval_is_over_the_families_macro_f1_is_over() -> None:
    gold = pd.DataFrame({**{f: np.tile([1, 0], 10) for f in FAMILIES}, "mismatch": 0})
    flags = gold.rename(columns=lambda f: f"flag_{f}")
    assert macro_f1_interval(gold, flags, np.repeat(np.arange(10), 2)) == [1.0, 1.0]


def test_the_model_card_shows_a_dash_and_what_macro_f1_is_over() -> None:
    metrics = _metrics([1, 0], [1, 0])
    table = family_table({"model": metrics, "model_flag_or_review": metrics, "keyword_baseline": metrics,
                          "macro_f1_90pct_interval": [0.9, 1.0]})
    assert "| mismatch | – | – | **–** | – | – / – / – | 0 |" in table
    assert "(0.90–1.00, over boilerplate, unmeasurable; mismatch: no positive and no flag" in table.splitlines()[-1]


def test_evaluate_prints_a_dash_and_what_macro_f1_is_over(tmp_path: Path, capsys) -> None:
    labelled = tmp_path / "labelled.csv"
    labelled.write_text("row_id,level2,level3,target_value,boilerplate,mismatch,unmeasurable,codes\n"
                        "r1,数量指标,培训人数,≥100人,0,0,0,\n"
                        "r2,效益指标,工作效率,有所提高,1,0,1,M1\n", encoding="utf-8")
    assert main(["evaluate", str(labelled)]) == EXIT_OK
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert lines["mismatch"].split()[1:] == ["–", "–", "–", "0", "–"]  # the model flags neither row's category
    assert "(over boilerplate, unmeasurable; mismatch: no positive and no flag, F1 undefined)" in lines["macro"]


def test_train_prints_a_dash_and_what_macro_f1_is_over(capsys) -> None:
    from nlp.cli.train import _print_summary

    metrics = _metrics([1, 0], [1, 0])
    result = {"model": metrics, "keyword_baseline": metrics, "macro_f1_90pct_interval": [0.9, 1.0]}
    _print_summary({"fresh_source": {"a -> b": result}, "grouped_cv": result})
    line = capsys.readouterr().out.splitlines()[0]
    assert "macro F1 1.000 (over boilerplate, unmeasurable; mismatch: no positive and no flag" in line
    assert "mismatch P – R – F1 –" in line
