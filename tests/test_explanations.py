"""Findings speak a reviewer's language and point at what they quote, on every labelled row."""
from __future__ import annotations

import re

import pandas as pd
import pytest

import nlp
from nlp.corpus import load_corpus
from nlp.explain import readable_feature

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*[_=|][A-Za-z0-9_=|]*|\b(?:none|unknown|text|qualitative|ntype|vclass)\b")
_FIELD_TEXT = {"level3", "target_value", "description", "basis", "level2", "level1"}


@pytest.fixture(scope="module")
def scored() -> pd.DataFrame:
    corpus = load_corpus()
    return nlp.load().score_frame(corpus.drop(columns=["boilerplate", "mismatch", "unmeasurable", "codes", "note"]))


def _findings(scored: pd.DataFrame):
    for _, row in scored.iterrows():
        for finding in row["findings"]:
            yield row, finding


def test_no_evidence_shows_an_internal_feature_name(scored: pd.DataFrame) -> None:
    leaks = []
    for row, finding in _findings(scored):
        cells = " ".join(str(row[c]) for c in _FIELD_TEXT | {"project_name"})
        for token in _IDENTIFIER.findall(finding["evidence"]):
            if token not in cells:
                leaks.append((finding["code"], finding["evidence"]))
    assert not leaks, leaks[:10]


def test_every_mismatch_flag_suggests_a_category(scored: pd.DataFrame) -> None:
    flagged = scored[scored["flag_mismatch"] == 1]
    assert len(flagged) > 0
    assert (flagged["suggested_level2"] != "").all()


def test_no_suggestion_names_an_empty_cell(scored: pd.DataFrame) -> None:
    """A suggestion is a phrase to act on: "改为能反映本项目（空）的具体指标" named the blank 二级."""
    placeholders = [(finding["code"], finding["suggestion"]) for _, finding in _findings(scored)
                    if "（空）" in finding["suggestion"]]
    assert not placeholders, placeholders[:5]


def test_a_category_echo_without_a_level2_suggests_from_its_level1() -> None:
    [row] = nlp.load().score([{"level1": "满意度指标", "level2": "", "level3": "满意度指标", "target_value": "≥90%"}])
    [echo] = [finding for finding in row["findings"] if finding["code"] == "B1"]
    assert echo["suggestion"] == "改为能反映本项目满意度指标的具体指标（写明对象和计算方法）。"


def test_every_quote_is_the_text_at_its_offsets(scored: pd.DataFrame) -> None:
    for row, finding in _findings(scored):
        assert finding["field"] in _FIELD_TEXT | {"unit", "value_type"}, finding
        if finding["start"] < 0:
            assert finding["quote"] == "" and not str(row[finding["field"]]).strip()
            continue
        cell = str(row[finding["field"]])
        assert cell[finding["start"]:finding["end"]] == finding["quote"], (finding, cell)


@pytest.mark.parametrize("name, expected", [
    ("ntype_x_vclass=text|qualitative", "名称为文字类、取值为定性词"),
    ("uclass=none", "单位类别为空"),
    ("cmp_x_l2=≥|质量", "所填二级为质量而取值用“≥”"),
    ("n:提升_形象", "名称含“提升形象”"),
    ("rule=B5", "规则B5（口号式指标）"),
    ("cue_v=vague", "取值含模糊程度词"),
])
def test_feature_names_read_as_chinese(name: str, expected: str) -> None:
    assert readable_feature(name) == expected


def test_a_feature_without_a_reading_is_left_out() -> None:
    assert readable_feature("some_future_feature=x|y") is None
