"""Explanations in a reviewer's words: model features as plain Chinese, and where a finding points.

A model judgement (B0/C0/M0) is explained by the features that pushed its score up most. Their
internal names (``ntype_x_vclass=text|qualitative``) mean nothing to a reviewer, so each kind of
feature has a Chinese template here (labels in ``data/lexicons/cues.toml``); a feature without one
is left out rather than shown raw. A finding also says which cell it is about and where in that
cell the quoted text sits, so a reviewing tool can highlight exactly that text.
"""
from __future__ import annotations

from functools import lru_cache

from nlp.codes import catalogue
from nlp.context import RowContext
from nlp.resources import load_toml

_CELLS = {"n": "名称", "d": "解释", "v": "取值"}
#: field -> the RowContext attribute holding that cell's (analysed) text
_FIELD_TEXT = {"level3": "name", "target_value": "value_text", "description": "description", "basis": "basis"}


def _labels() -> dict[str, str]:
    return load_toml("lexicons/cues.toml")["labels"]


def _value(word: str) -> str:
    """A feature value (``text``, ``percent``, ``数量``…) in Chinese; category names are already."""
    return load_toml("lexicons/cues.toml")["value_labels"].get(word, word)


def _pair(value: str) -> tuple[str, str]:
    left, _, right = value.partition("|")
    return _value(left), _value(right)


def _cue(group: str) -> str:
    return _labels().get(group, group.removeprefix("cat:") + "类词")


def _structure(key: str, value: str) -> str | None:
    """Templates for the named structure features of :func:`nlp.features.structured_features`."""
    if key in {"ntype_x_l2", "vclass_x_l2", "cmp_x_l2", "namecat_x_l2", "ntype_x_vclass", "l1xl2",
               "project_env_x_l2"}:
        a, b = _pair(value)
        return {"ntype_x_l2": f"名称为{a}类而所填二级为{b}", "vclass_x_l2": f"取值为{a}而所填二级为{b}",
                "cmp_x_l2": f"所填二级为{b}而取值用“{a}”", "namecat_x_l2": f"名称含{a}类词而所填二级为{b}",
                "ntype_x_vclass": f"名称为{a}类、取值为{b}", "l1xl2": f"所填一级/二级为{a}/{b}",
                "project_env_x_l2": f"项目{'作用' if a == 'True' else '不作用'}于生态、所填二级为{b}"}[key]
    if key.startswith("rule_x_l2"):
        code, level2 = _pair(value)
        return f"规则{code}（{catalogue()[code]['title']}）且所填二级为{level2}"
    if key in {"l1", "l2", "kind", "cmp", "uclass", "ntype", "budget"}:
        return f"{_labels()[key]}为{_value(value)}"
    return None


@lru_cache(maxsize=20_000)
def readable_feature(name: str) -> str | None:
    """A model feature name in a reviewer's words, or ``None`` when it has no readable form."""
    prefix, _, rest = name.partition(":")
    if prefix in _CELLS and rest:
        return f"{_CELLS[prefix]}含“{rest.replace('_', '')}”"
    if prefix == "c" and rest.strip("^$| "):
        return f"文字含“{rest.strip('^$| ')}”"
    if name.startswith("cat_"):
        return "内容与所填二级类别不符"
    key, _, value = name.partition("=")
    if key.startswith("cue_") and value:
        return f"{_CELLS[key[4:]]}含{_cue(value)}"
    if key == "rule" and value in catalogue():
        return f"规则{value}（{catalogue()[value]['title']}）"
    if value:
        return _structure(key, value)
    return _labels().get(key)


def locate(field: str, evidence: str, ctx: RowContext) -> tuple[str, str, int, int]:
    """(field, quote, start, end): the evidence as a span of the finding's cell, of another analysed
    cell that contains it, or else the whole cell of ``field``."""
    cells = {f: getattr(ctx, attribute) for f, attribute in _FIELD_TEXT.items()}
    cells.update(level2=ctx.level2.raw, level1=ctx.level1.raw)
    for candidate in (field, *cells):
        text = cells.get(candidate, "")
        start = text.find(evidence) if evidence else -1
        if start >= 0 and text:
            return candidate, evidence, start, start + len(evidence)
    text = cells.get(field, "")
    return (field, text, 0, len(text)) if text else (field, "", -1, -1)
