"""The category resolver on every category string of the corpora and on generated variants.

Variants are generated from the taxonomy's own names (never from corpus rows): every decoration a
real table adds must resolve to the same category, and nothing that names no category may
resolve to one.
"""
from __future__ import annotations

import random

import opencc
import pytest

from nlp.categories import (Category, canonical_level1, canonical_level2, hierarchy_is_valid, level2_names,
                            resolve)
from nlp.corpus import load_corpus
from nlp.resources import load_toml

TAXONOMY = load_toml("taxonomy.toml")
_TRADITIONAL = opencc.OpenCC("s2t")
_FOREIGN = "甲乙丙丁戊己庚辛壬癸"  # characters no category name uses: misprints that invent nothing
DECORATIONS = [
    "{}指标", "{}类", "{}目标", "{}指标(50分)", "{}指标（30分）", "{}指标【20分】", "{}指标[10分]",
    "{}指标〔权重30%〕", "{}指标(20-30分)", "{}指标 30%", "{}指标50分", "{}指标（必填）", "{}指标(选填)",
    "*{}指标", "{}指标（必填硬性指标）", " {} 指标 ", "一、{}指标", "1.{}指标", "（一）{}指标", "预期{}指标",
    "{}指标(50分", "{}指标：",
]


def _spellings(level: str) -> list[tuple[str, str]]:
    section = TAXONOMY[level]
    names = [*section["canonical"], *section.get("evaluation", ())]
    return [(name, name) for name in names] + list(section["aliases"].items())


def _misprints(name: str, rng: random.Random) -> list[str]:
    """One substitution, one insertion, one deletion (names of three or more characters)."""
    if len(name) < 3:
        return []
    i = rng.randrange(len(name))
    return [name[:i] + rng.choice(_FOREIGN) + name[i + 1:], name[:i] + rng.choice(_FOREIGN) + name[i:],
            name[:i] + name[i + 1:]]


def _variants(spelling: str) -> list[str]:
    rng = random.Random(spelling)
    decorated = [pattern.format(spelling) for pattern in DECORATIONS]
    return [*decorated, _TRADITIONAL.convert(decorated[0]), " ".join(spelling), *_misprints(spelling, rng)]


@pytest.mark.parametrize("level", ["level1", "level2"])
def test_every_generated_variant_resolves_to_its_category(level: str) -> None:
    failures = []
    for spelling, canonical in _spellings(level):
        for variant in _variants(spelling):
            got = resolve(level, variant)
            if not (got.known and got.name == canonical):
                failures.append((variant, canonical, got.name, got.how))
    assert not failures, failures[:20]


def _with_another_category(spellings: list[tuple[str, str]], names: list[str]) -> list[tuple[str, str]]:
    """Each spelling with its category's name replaced by another category's name (产出数量 ->
    产出质量): one character from a known spelling, yet it writes the other category out."""
    return sorted({(spelling.replace(canonical, other), other) for spelling, canonical in spellings
                   if canonical in spelling and spelling != canonical for other in names if other != canonical})


@pytest.mark.parametrize("level", ["level1", "level2"])
def test_a_spelling_that_writes_out_another_category_is_that_category(level: str) -> None:
    names = [*TAXONOMY[level]["canonical"], *TAXONOMY[level].get("evaluation", ())]
    cases = _with_another_category(_spellings(level), names)
    assert ("产出质量", "质量") in cases or level == "level1"
    failures = [(text, expected, resolve(level, text)) for text, expected in cases
                if resolve(level, text).name != expected]
    assert not failures, failures[:20]


@pytest.mark.parametrize("text", ["(50分)", "（30分）", "", "  ", "【必填】", "选填", "*"])
def test_a_cell_with_only_notes_is_empty_not_a_category(text: str) -> None:
    assert canonical_level1(text).how == "empty"
    assert canonical_level2(text).how == "empty"


@pytest.mark.parametrize("text", ["制度指标", "宣传", "其他", "工作指标", "规章制度"])
def test_a_cell_that_names_no_category_is_said_so(text: str) -> None:
    assert canonical_level2(text).names_no_category


def test_a_level2_cell_holding_a_level1_name_is_other_level() -> None:
    for text in ("效益指标", "产出指标", "效果指标"):
        assert canonical_level2(text).how == "other_level", text


def test_a_level1_cell_holding_a_level2_name_takes_its_parent() -> None:
    assert canonical_level1("数量指标").name == "产出"
    assert canonical_level1("社会效益指标").name == "效益"
    assert canonical_level1("经济成本指标").name == "成本"


def _pair(level1: str, level2: str) -> bool | None:
    return hierarchy_is_valid(canonical_level1(level1), canonical_level2(level2))


@pytest.mark.parametrize("level1, level2, expected", [
    ("产出指标(50分)", "数量指标(或建筑规模指标)", True),
    ("预期产出指标", "质量指标", True),
    ("实施效果指标", "社会效益效益指标", True),
    ("成本指标", "经济成本指标", True),
    ("产出指标", "成本指标", True),                     # the older framework
    ("效益指标", "可持续影响指标", True),
    ("过程", "资金管理", True),                         # the evaluation framework
    ("（50分）", "质量指标", None),                     # a lost 一级 cell is not a mismatch
    ("", "时效指标", None),
    ("绩效", "质量指标", None),                         # unresolved but plausible
    ("产出指标", "服务对象满意度指标", False),          # a resolved 二级 under the wrong 一级
    ("效益指标", "成本指标", False),
    ("项目决策", "数量指标", False),
    ("效益指标", "制度指标", False),                    # names no category
    ("实施效果指标", "产出指标", False),                # a 一级 name as 二级 under a filled 一级
    ("", "产出指标", None),                             # ... but with no 一级 it is a shifted column
])
def test_hierarchy(level1: str, level2: str, expected: bool | None) -> None:
    assert _pair(level1, level2) is expected


def test_every_corpus_category_string_resolves_or_is_a_reviewed_c8() -> None:
    """No category cell of any labelled table is unreadable, unless reviewers called its row C8."""
    corpus = load_corpus()
    c8_cells = set(corpus.loc[corpus["codes"].str.contains("C8"), ["level1", "level2"]].stack())
    unreadable = []
    for level, resolve_cell in (("level1", canonical_level1), ("level2", canonical_level2)):
        for text in sorted(set(corpus[level])):
            category: Category = resolve_cell(text)
            if category.how not in {"exact", "alias", "variant", "empty"} and text not in c8_cells:
                unreadable.append((level, text, category.how))
    assert not unreadable


def test_c8_hierarchy_agrees_with_reviewers_on_every_corpus_row() -> None:
    corpus = load_corpus()
    invalid = [_pair(a, b) is False for a, b in zip(corpus["level1"], corpus["level2"])]
    reviewed = corpus["codes"].str.contains("C8").tolist()
    disagreements = [(a, b) for a, b, x, y in zip(corpus["level1"], corpus["level2"], invalid, reviewed) if x != y]
    assert not disagreements


def test_the_category_model_classes_are_the_target_frameworks_only() -> None:
    assert set(level2_names()) == set(TAXONOMY["level2"]["canonical"])
    assert not set(level2_names()) & set(TAXONOMY["level2"]["evaluation"])
