"""Rows that claim nothing score 0 in every family: the guide labels them 0/0/0.

An unused template slot (a bare ``指标2:``, a ``……`` row, an empty optional 生态效益 row) or an
explicit "not applicable" on an optional dimension says nothing that could be wrong, so no flag
and no "needs a look" either (``claims_something`` in :mod:`nlp.model`). The rows are written
here from the guide, not taken from the corpora.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

import nlp
from nlp import context
from nlp.context import build_context
from nlp.schema import FAMILIES

NOTHING_CLAIMED = [
    {"level1": "效益指标", "level2": "生态效益指标", "level3": "不适用", "target_value": "不适用"},
    {"level1": "效益指标", "level2": "生态效益指标", "level3": "无", "target_value": ""},
    {"level1": "效益指标", "level2": "可持续影响指标", "level3": "否", "target_value": "否"},
    {"level1": "效益指标", "level2": "经济效益指标", "level3": "", "target_value": "不涉及"},
    {"level1": "产出指标", "level2": "质量指标", "level3": "指标2:", "target_value": ""},
    {"level1": "效益指标", "level2": "社会效益指标", "level3": "……", "target_value": "……"},
]


@pytest.fixture(scope="module")
def scorer():
    return nlp.load(memo_bytes=0)


@pytest.mark.parametrize("row", NOTHING_CLAIMED, ids=lambda r: f"{r['level2']}/{r['level3'] or '(空)'}")
def test_a_row_that_claims_nothing_is_neither_flagged_nor_sent_for_review(scorer, row: dict) -> None:
    result = scorer.score([{**row, "project_name": "广播剧创作扶持项目"}])[0]
    assert all(result[f"score_{f}"] == 0 and not result[f"flag_{f}"] for f in FAMILIES), result
    assert result["review"] == "" and result["codes"] == ""


#: The guide's answers, in the wrappings a table writes them in (whom or what they are about).
WRAPPED_ANSWERS = ["本项目不涉及", "无此项", "本项目无{dimension}", "不适用此项", "本项目无相关内容", "N/A", "n/a", "NA"]


@pytest.mark.parametrize("dimension", ["生态效益", "经济效益", "可持续影响"])
@pytest.mark.parametrize("answer", WRAPPED_ANSWERS)
def test_a_wrapped_not_applicable_on_an_optional_row_claims_nothing(scorer, answer: str, dimension: str) -> None:
    answer = answer.format(dimension=dimension)
    rows = [{"level1": "效益指标", "level2": f"{dimension}指标", "level3": answer, "target_value": ""},
            {"level1": "效益指标", "level2": f"{dimension}指标", "level3": "", "target_value": answer}]
    for result in scorer.score([{**row, "project_name": "广播剧创作扶持项目"} for row in rows]):
        assert all(result[f"score_{f}"] == 0 and not result[f"flag_{f}"] for f in FAMILIES), (answer, result)


@pytest.mark.parametrize("name", ["无污染", "无害化处理率", "生态效益", "不产生经济效益"])
def test_a_name_that_only_starts_like_an_answer_is_judged(name: str) -> None:
    assert not build_context({"level2": "生态效益指标", "level3": name, "target_value": ""}).is_unused_slot


def test_not_applicable_on_a_required_row_is_still_judged(scorer) -> None:
    """数量 is not optional: "不适用" there leaves the output unmeasured, and the model may say so."""
    result = scorer.score([{"project_name": "广播剧创作扶持项目", "level1": "产出指标", "level2": "数量指标",
                            "level3": "制作广播剧集数", "target_value": "不适用"}])[0]
    assert any(result[f"score_{f}"] > 0 for f in FAMILIES)


def test_whether_a_row_claims_nothing_is_worked_out_once_a_row(monkeypatch) -> None:
    """The rules, the features and the model's mask all ask (five times a row): the answer is
    kept, and a context built from other cells has its own."""
    filled = build_context({"level2": "生态效益指标", "level3": "辖区内群众满意度", "target_value": "≥95%"})
    templates: list[str] = []
    real = context.only_template
    monkeypatch.setattr(context, "only_template", lambda text: templates.append(text) or real(text))
    assert [filled.is_unused_slot for _ in range(5)] == [False] * 5
    assert templates == ["辖区内群众满意度"]
    assert replace(filled, name="指标2:", value_text="").is_unused_slot
    assert not filled.is_unused_slot
    assert replace(filled, name="不适用").is_unused_slot
