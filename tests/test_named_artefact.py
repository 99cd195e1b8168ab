"""A target naming an artefact and the act producing it is measurable (labelling guide: "a binary
with a named artefact (通过省级验收)"; indicator-rules §3.8: "形成XX管理办法并印发"). The rows below are
written here from those two sentences, not from any corpus; one labelled row in all collections
has such a value, so the unmeasurable head cannot have learned it."""
from __future__ import annotations

import pytest

import nlp

ARTEFACT_VALUES = ["形成政府购买服务长效机制并印发实施办法", "通过省级验收", "制定并印发管护制度",
                   "建立健全长效管护机制并印发管护办法"]
VAGUE_VALUES = ["进一步完善管护制度", "长效", "明显改善"]


def _score(values: list[str]) -> list[dict]:
    rows = [{"project_name": "城乡居民养老服务补贴项目", "level1": "效益指标", "level2": "可持续影响指标",
             "level3": "管护运营机制", "target_value": value} for value in values]
    return nlp.load().score(rows)


@pytest.mark.parametrize("row", _score(ARTEFACT_VALUES), ids=ARTEFACT_VALUES)
def test_a_named_artefact_is_not_unmeasurable(row) -> None:
    assert not row["flag_unmeasurable"] and "unmeasurable" not in row["review"], row["codes"]
    assert not any(code.startswith("M") for code in row["codes"].split(";"))


@pytest.mark.parametrize("row", _score(VAGUE_VALUES), ids=VAGUE_VALUES)
def test_a_mechanism_named_without_an_act_still_is(row) -> None:
    assert row["flag_unmeasurable"] and "M1" in row["codes"].split(";")
