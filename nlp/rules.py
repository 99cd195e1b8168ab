"""Rule detectors: one small function per finding code.

Rules do two jobs. They are *features* (the trained classifiers learn how far to trust each one
from labelled data) and they are *explanations* (when a classifier flags a family, the rules of
that family that fired say why, with the matched words as evidence). A rule therefore aims at a
clear, checkable signal rather than at the final decision.

Each rule takes a :class:`~nlp.context.RowContext` and returns the evidence string when it fires
(``None`` otherwise). ``RULES`` maps code -> rule; codes and texts are in ``data/codes.toml``.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from nlp.categories import BENEFITS, hierarchy_is_valid, level2_names
from nlp.context import RowContext, only_template
from nlp.resources import load_toml

Rule = Callable[[RowContext], str | None]

COSTS = frozenset({"成本", "经济成本", "社会成本", "生态环境成本"})
OUTPUTS = frozenset({"数量", "质量", "时效"})
_WORDS = load_toml("lexicons/cues.toml")["rule_words"]
_CATEGORY_WORDS = tuple(sorted(set(level2_names()) | set(_WORDS["category_echo_extra"]), key=len, reverse=True))
_PLACEHOLDER_TOKENS = tuple(_WORDS["placeholder_tokens"])


def _alternation(words: list[str]) -> str:
    """``words`` as one regular-expression alternation, in their order."""
    return "|".join(map(re.escape, words))


def _any_of(words: tuple[str, ...]) -> re.Pattern[str]:
    """One precompiled search for any of ``words`` anywhere in a text. Most cells hold none of a
    rule's words, and one search in C says so sooner than a Python loop over the words; where it
    finds one, the rule's own loop still decides which (in its order), so results are the loop's.
    (A rule asking only *whether* one occurs needs no loop: the search's answer is the loop's.)"""
    return re.compile(_alternation(list(words)))


_GENERIC_REMAINDER = re.compile(f"^(?:{_alternation(_WORDS['category_echo_remainder'])})*$")
_GENERIC_WORK = re.compile(_alternation(_WORDS["tautology_generic_work"]))
_SLOGAN_HEADS = tuple(_WORDS["slogan_heads"])
_SLOGAN_ENDS = tuple(_WORDS["slogan_ends"])
_RATIO_DESCRIPTION = re.compile(r"(占|/).{0,30}(比率|比例)|比率|比例")
_POSITIVE_EFFECT = tuple(_WORDS["positive_effect"])
_SELF_EVIDENT = tuple(_WORDS["self_evident"])
_DONE_VALUES = frozenset(_WORDS["done_values"])
_UNSTATED_DEADLINE = tuple(_WORDS["unstated_deadline"])
_GRADE_VALUES = frozenset(_WORDS["grade_values"])
_OUTCOME_GAINS = tuple(_WORDS["outcome_gains"])
_PRODUCED_UNITS = frozenset(_WORDS["produced_units"])
_OUTPUT_VERBS = tuple(_WORDS["output_verbs"])
_PEOPLE_UNITS = frozenset(_WORDS["people_units"])
_BENEFICIARY = tuple(_WORDS["beneficiary"])
_NON_COST = tuple(_WORDS["non_cost"])
_ANY_CATEGORY_WORD, _ANY_PLACEHOLDER, _ANY_SELF_EVIDENT, _ANY_OUTCOME_GAIN, _ANY_BENEFICIARY, _ANY_NON_COST = map(
    _any_of, (_CATEGORY_WORDS, _PLACEHOLDER_TOKENS, _SELF_EVIDENT, _OUTCOME_GAINS, _BENEFICIARY, _NON_COST))


def _name_is_only_category(ctx: RowContext) -> str | None:
    core = re.sub(r"[\s%％()（）0-9]+", "", ctx.name)
    if not _ANY_CATEGORY_WORD.search(core):
        return None
    for word in _CATEGORY_WORDS:
        if word in core and _GENERIC_REMAINDER.match(core.replace(word, "", 1)):
            return ctx.name
    return None


def b1_category_echo(ctx: RowContext) -> str | None:
    """The name is a category name or a bare slot label (指标1) on a filled row."""
    if not ctx.name:
        return None
    return ctx.name if only_template(ctx.name) else _name_is_only_category(ctx)


def b2_placeholder(ctx: RowContext) -> str | None:
    for cell in (ctx.name, ctx.value_text):
        if _ANY_PLACEHOLDER.search(cell):
            return next(token for token in _PLACEHOLDER_TOKENS if token in cell)
    if ctx.name and (ctx.value.kind == "empty" or only_template(ctx.value_text)) and "不适用" not in ctx.name:
        return "指标值为空"
    if not ctx.name.strip() and not only_template(ctx.value_text):
        return "指标名称为空"
    if ctx.value.malformed and ctx.value.number is None:
        return ctx.value_text
    if ctx.value_text and ctx.value.unit and ctx.value.number is None and ctx.value.kind not in {"date", "deadline", "qualitative", "relative"}:
        return ctx.value_text
    if ctx.name and ctx.value_text and ctx.value_text.replace(" ", "") == ctx.name.replace(" ", ""):
        return ctx.value_text
    if re.search(r"(效益|影响|可持续)指标率$", ctx.value_text):
        return ctx.value_text
    return None


def b3_irrelevant_dimension(ctx: RowContext) -> str | None:
    if ctx.level2.name not in {"生态效益", "生态环境成本"} or not ctx.name:
        return None
    if ctx.project_cues.has("env_domain") or ctx.cues("eco_object", "name", "description"):
        return None
    domain = ctx.project_cues.cues.get("nonenv_domain", ())
    return f"项目领域：{'、'.join(domain[:3])}" if domain else None




def b4_template_value(ctx: RowContext) -> str | None:
    """A generic value on a non-rate (most of its table carrying it), a rate whose whole table carries its value,
    or the whole table copied from another project (labeling guide B4)."""
    value = ctx.value
    if ctx.table.copied_whole:
        return copied_evidence(ctx.table.copied_share)
    if value.unit_class != "percent":
        return None
    is_rate = ctx.name_type in {"rate", "satisfaction"}
    if ctx.table.value_whole or (ctx.table.value_dominant and not is_rate):
        return f"本表{ctx.table.value_share:.0%}的指标取值均为“{ctx.value_text}”"
    if ctx.name_type in {"count", "money", "time"} and value.kind != "relative":  # 较上年增长5%: a change, not a level
        return f"非比率指标取值“{ctx.value_text}”"
    if ctx.name_type == "satisfaction" and value.number == 100 and value.comparator in {"", "="}:
        return f"满意度取“{ctx.value_text}”"
    return None


@lru_cache(maxsize=4096)
def copied_evidence(share: float, twin: str = "另一项目") -> str:
    """B4's evidence for a copied table; the scorer names the twin (``twin``) after scoring."""
    return f"本表{share:.0%}的指标与{twin}的表相同"


def b5_slogan(ctx: RowContext) -> str | None:
    slogans = ctx.cues("slogan", "name")
    if slogans:
        return "、".join(slogans[:2])
    if ctx.name.startswith(_SLOGAN_HEADS) and ctx.name.endswith(_SLOGAN_ENDS):
        return ctx.name[:12]
    return None


def b6_input_as_performance(ctx: RowContext) -> str | None:
    if ctx.level2.name in COSTS:
        return None
    inputs = ctx.cues("input_budget", "name")
    if inputs:
        return inputs[0]
    # money is the natural unit of 经济效益 (收入, 带动投资), so only 数量 and the other benefits count
    if ctx.level2.name in {"数量"} | (BENEFITS - {"经济效益"}) and ctx.value.unit_class == "money" and \
            ctx.name_type == "money":
        return f"{ctx.level2.name}指标取金额“{ctx.value_text}”"
    return None


def b7_compliance(ctx: RowContext) -> str | None:
    found = ctx.cues("compliance", "name", "value")
    return found[0] if found else None


def b8_tautology(ctx: RowContext) -> str | None:
    found = ctx.cues("tautology", "name", "value")
    evident = None
    if _ANY_SELF_EVIDENT.search(ctx.name) or _ANY_SELF_EVIDENT.search(ctx.value_text):
        evident = next(phrase for phrase in _SELF_EVIDENT if phrase in ctx.name or phrase in ctx.value_text)
    if evident:
        return evident
    if ctx.value_text.strip() in _DONE_VALUES:
        return f"取值仅为“{ctx.value_text.strip()}”"
    if not found:
        return None
    remainder = _GENERIC_WORK.sub("", re.sub(r"[\s%％:：、，,()（）0-9指标]+", "", ctx.name))
    return found[0] if len(remainder) <= 1 or found[0] in ctx.value_text else None


def b10_duplicate(ctx: RowContext) -> str | None:
    return ctx.table.duplicate_earlier or ctx.table.same_as_output_row or None


def c1_rate_under_quantity(ctx: RowContext) -> str | None:
    if ctx.level2.name != "数量":
        return None
    if ctx.name_type in {"rate", "satisfaction"} or (ctx.value.unit_class == "percent" and ctx.name_type != "count"):
        if not re.search(r"[0-9]", ctx.description):
            return f"数量指标为比率“{ctx.name}”"
    return None


_VALUE_CLASS = {"percent": "百分比", "time": "时间", "count": "数量", "money": "金额", "measure": "物理量"}
_NAME_CLASS = {"rate": "比率", "satisfaction": "满意度", "time": "时间", "count": "数量", "money": "金额",
               "measure": "物理量"}
_COST_NAME = re.compile("(?:" + "|".join(map(re.escape, _WORDS["cost_name_endings"])) + ")$")
_SCHEDULE = re.compile("|".join(map(re.escape, _WORDS["schedule_words"])))
_COMPATIBLE = {
    "rate": {"percent", ""},
    "satisfaction": {"percent", ""},
    "time": {"time", "count", ""},
    "count": {"count", "measure", "time", "money", ""},
    "money": {"money", ""},
    "measure": {"measure", "count", ""},
}


def c2_type_conflict(ctx: RowContext) -> str | None:
    allowed = _COMPATIBLE.get(ctx.name_type)
    value = ctx.value
    if ctx.name_type in {"rate", "satisfaction"} and value.kind == "text" and _SCHEDULE.search(ctx.value_text):
        return f"名称为{_NAME_CLASS[ctx.name_type]}，取值为时间安排“{ctx.value_text[:20]}”"
    if allowed is None or value.kind in {"empty", "qualitative", "relative", "text"}:
        return None
    value_class = "time" if value.kind in {"date", "deadline", "duration"} else value.unit_class
    if value_class in allowed or (value.kind == "number" and ctx.name_type != "rate"):
        return None
    if ctx.name_type == "money" and value_class == "count" and not _COST_NAME.search(ctx.name):
        return None
    return f"名称为{_NAME_CLASS[ctx.name_type]}，取值为{_VALUE_CLASS.get(value_class, value.kind)}"


def c3_satisfaction_misplaced(ctx: RowContext) -> str | None:
    satisfied = ctx.cues("satisfaction", "name")
    if satisfied and ctx.level2.known and ctx.level2.name != "服务对象满意度":
        return f"为满意度内容（“{satisfied[0]}”）"
    if ctx.level2.name == "服务对象满意度" and ctx.name and not satisfied and "满意" not in ctx.name:
        return "不是满意度内容"
    return None


def c4_output_as_benefit(ctx: RowContext) -> str | None:
    if ctx.level2.name not in BENEFITS:
        return None
    if ctx.table.same_as_output_row:
        return f"与数量指标“{ctx.table.same_as_output_row}”相同"
    if ctx.table.output_count_of and not ctx.cues(f"cat:{ctx.level2.name}", "name"):
        return f"与数量指标“{ctx.table.output_count_of}”取值相同（{ctx.value_text}）"
    if ctx.name_type == "count" and ctx.value.unit in {"集", "期", "篇", "场", "条", "次", "人次"} and \
            ctx.cues("activity", "name"):
        return f"自身产出数量“{ctx.value_text}”"
    if ctx.value.unit in _PRODUCED_UNITS and not ctx.cues(f"cat:{ctx.level2.name}", "name"):
        return f"自身产出数量“{ctx.value_text}”"
    if (_output_count(ctx) or _delivered(ctx)) and not ctx.cues(f"cat:{ctx.level2.name}", "name"):
        return f"产出数量“{ctx.value_text}”"
    return None


def _delivered(ctx: RowContext) -> bool:
    """The name makes, builds or hands out something and the value counts it (改造农村户厕 1200户),
    people aside."""
    value = ctx.value
    return ctx.name.startswith(_OUTPUT_VERBS) and value.unit_class in {"count", "measure"} and \
        value.unit not in _PEOPLE_UNITS


def _output_count(ctx: RowContext) -> bool:
    """A count or physical quantity read from the name and the value (what 数量 rows report).

    Under a benefit it is an output unless the name speaks of that benefit (受益、增收、减排…),
    which the caller checks.
    """
    named_count = ctx.name_type == "count" or bool(ctx.cues("cat:数量", "name"))
    return named_count and ctx.value.unit_class in {"count", "measure"}


def c5_outcome_as_output(ctx: RowContext) -> str | None:
    if ctx.level2.name not in OUTPUTS:
        return None
    found = ctx.cues("reach", "name") + ctx.cues("macro_outcome", "name")
    gains = tuple(w for w in _OUTCOME_GAINS if w in ctx.name) if _ANY_OUTCOME_GAIN.search(ctx.name) else ()
    found = tuple(term for term in found if term != "合格率") + gains
    return f"“{found[0]}”为效果" if found else None


def c6_cost_misuse(ctx: RowContext) -> str | None:
    if ctx.level2.name not in COSTS:
        return None
    value = ctx.value
    if value.comparator in {"≥", ">"} and value.unit_class == "money":
        return "成本金额使用“≥”"
    if _ANY_NON_COST.search(ctx.name):
        return "内容不是成本"
    if ctx.level2.name in {"社会成本", "生态环境成本"} and ctx.name.startswith(_POSITIVE_EFFECT):
        return "正面效果列入成本"
    if value.unit_class == "percent" and not re.search(r"(节支|超支|节约)率", ctx.name):
        return f"成本取值为百分比“{ctx.value_text}”"
    return None


_SUBTYPE_CUES = {name: f"cat:{name}" for name in BENEFITS}


def c7_benefit_subtype(ctx: RowContext) -> str | None:
    """The name speaks of another benefit sub-type and not of the declared one (the guide's C7).

    Only the swaps the guide describes: money or cost content under 生态效益, environmental content
    under 经济效益 or 社会效益, economic gains (增收, 产值…) under 社会效益/可持续影响, and social content
    under 生态效益 (whose own words are narrow). Social words elsewhere and 可持续影响's words (维护,
    制度…) are too broad to accuse a row; satisfaction content is C3's.
    """
    declared = ctx.level2.name
    if declared not in BENEFITS or ctx.cues("satisfaction", "name") or ctx.cues(_SUBTYPE_CUES[declared], "name"):
        return None
    if declared == "生态效益" and (ctx.cues("cat:成本", "name") or ctx.cues("cat:经济效益", "name")):
        return "经济效益"
    if declared == "生态效益" and ctx.cues("cat:社会效益", "name"):
        return "社会效益"  # social words are broad, but 生态效益's own are narrow: their absence means something
    if declared in {"经济效益", "社会效益"} and ctx.cues("cat:生态效益", "name"):
        return "生态效益"
    if declared in {"社会效益", "可持续影响"} and ctx.cues("cat:经济效益", "name"):
        return "经济效益"
    return None


def c8_invalid_hierarchy(ctx: RowContext) -> str | None:
    if hierarchy_is_valid(ctx.level1, ctx.level2) is False:
        return ctx.level1.raw or "（空）"
    return None


_MONEY_UNIT = re.compile(r"^(万?元|千元|亿元)")


def _declared_nature_conflict(ctx: RowContext) -> str | None:
    """The 指标性质 or 计量单位 cell says one thing, the value another (the guide's C9)."""
    value, nature, unit = ctx.value, ctx.value_type_text, ctx.unit_text.strip()
    if "定性" in nature and value.number is not None:
        return f"标注为定性，取值为数值“{ctx.value_text}”"
    if "定量" in nature and value.kind in {"qualitative", "text"}:
        return f"标注为定量，取值为文字“{ctx.value_text}”"
    if "反向" in nature and value.comparator == "=":
        return "标注为反向指标，却用“=”"
    if "正向" in nature and value.comparator in {"≤", "<"} and ctx.level2.name in BENEFITS:
        return f"标注为正向指标，效益却取上限“{ctx.value_text}”"
    if unit in {"%", "％"} and (value.unit_class == "money" or value.kind in {"qualitative", "text"}):
        return f"计量单位为“%”，取值为“{ctx.value_text}”"
    if _MONEY_UNIT.match(unit) and value.unit_class == "percent":
        return f"计量单位为“{unit}”，取值为百分比"
    return None


def c9_nature_conflict(ctx: RowContext) -> str | None:
    declared = _declared_nature_conflict(ctx)
    if declared:
        return declared
    value = ctx.value
    if ctx.level2.name == "数量" and value.comparator in {"≤", "<"} and value.unit_class in {"count", "measure"}:
        return f"数量指标取上限“{ctx.value_text}”"
    if ctx.level2.name == "数量" and value.kind in {"number", "count"} and _RATIO_DESCRIPTION.search(ctx.description):
        return "指标解释为比率，取值为数量"
    return None


def _vague_name(ctx: RowContext) -> tuple[str, ...]:
    return ctx.cues("degree_outcome", "name") or ctx.cues("vague", "name") or ctx.cues("direction", "name")


def m1_vague(ctx: RowContext) -> str | None:
    """A vague degree or direction with no magnitude: in the value, or in the name of a row with no
    value at all (生态修复功能提高 / empty: the only target is the name's 提高). A value naming an
    artefact (形成长效机制并印发管理办法) is checkable whatever words its document's name holds."""
    if ctx.value.kind == "empty" and ctx.name:
        found = _vague_name(ctx)
        return found[0] if found else None
    if ctx.value.number is not None or ctx.value.kind not in {"qualitative", "text"} or ctx.value_names_artefact:
        return None
    found = ctx.cues("degree_outcome", "value") or ctx.cues("vague", "value") or ctx.cues("direction", "value")
    return found[0] if found else None


def m2_no_baseline(ctx: RowContext) -> str | None:
    if ctx.value.kind != "relative" or ctx.value.has_amount:
        return None
    return ctx.value.qualitative or ctx.value_text


def m3_no_criteria(ctx: RowContext) -> str | None:
    """A grade with no standard named; or no value at all on a qualitative name (nothing to check;
    when the name itself only says "improve", that is M1's vague direction instead)."""
    if ctx.has_criteria:
        return None
    if ctx.value.kind == "empty" and ctx.name and ctx.name_type == "text" and not _vague_name(ctx):
        return "指标值为空"
    if ctx.value.kind != "qualitative":
        return None
    found = ctx.cues("grade", "value")
    if found:
        return found[0]
    whole = ctx.value_text.strip()
    return whole if whole in _GRADE_VALUES else None


def m4_activity(ctx: RowContext) -> str | None:
    """Work described instead of a level: an activity, a deadline that points at an unstated plan,
    or a category name turned into a rate (社会效益指标率). A value with numbers states levels, and
    so does a text naming a result to check (the guide's measurable "通过省级验收"): only the
    activity words mark work, not a value's length."""
    value = ctx.value
    if re.search(r"(效益|影响|可持续)指标率$", ctx.name):
        return ctx.name
    if value.kind == "deadline" and not value.date and any(word in ctx.value_text for word in _UNSTATED_DEADLINE):
        return ctx.value_text[:20]
    if value.kind != "text" or not ctx.value_text or re.search(r"[0-9]", ctx.value_text):
        return None
    if ctx.cues("activity", "value") or ctx.value_text == ctx.name:
        return ctx.value_text[:20]
    return None


def m6_invalid_number(ctx: RowContext) -> str | None:
    value = ctx.value
    if value.excel_serial:
        return "日期为Excel序号"
    if value.malformed and value.number is not None:  # a unit with no number is an empty value (B2)
        return value.malformed_reason or "格式错误"
    if value.unit_class == "percent" and value.number is not None and value.kind != "relative":
        # a change by a percentage (较上年增长150%) is no level: it may pass 100, and a count may change by it
        if value.number > 100:
            return f"比率{value.number:g}%超过100%"
        if value.number >= 100 and value.comparator in {"≥", ">"}:
            return "比率不可能超过100%"
        if ctx.name_type == "count":
            return "数量指标取百分比"
    if ctx.level2.name in COSTS and ctx.name_type == "money" and value.number == 0 and value.comparator == "=":
        return "成本为0"
    if value.unit_class == "count" and value.number is not None and value.number < 0:
        return f"数量为负“{ctx.value_text}”"
    return None


def m7_not_attributable(ctx: RowContext) -> str | None:
    """A macro outcome (空气质量, 就业率…) measured as the project's result, unless the name says
    whose it is (参训人员…就业率). Counts of things built and satisfaction are the project's own."""
    if ctx.name_type in {"count", "satisfaction"} or ctx.value.unit_class == "count" or \
            _ANY_BENEFICIARY.search(ctx.name):
        return None
    found = ctx.cues("macro_outcome", "name")
    return found[0] if found else None


def b9_year_end(ctx: RowContext) -> str | None:
    """The deadline is the end of the budget year or of the project period (parsed by nlp.values)."""
    if ctx.value.period_end or (ctx.value.kind == "duration" and ctx.value.number == 12.0 and
                                ctx.value.unit in {"月", "个月"}):
        return ctx.value_text
    return None


def m5_no_unit(ctx: RowContext) -> str | None:
    return ctx.value_text if ctx.value.kind == "number" else None


RULES: dict[str, Rule] = {
    "B1": b1_category_echo, "B2": b2_placeholder, "B3": b3_irrelevant_dimension, "B4": b4_template_value,
    "B5": b5_slogan, "B6": b6_input_as_performance, "B7": b7_compliance, "B8": b8_tautology,
    "B10": b10_duplicate,
    "C1": c1_rate_under_quantity, "C2": c2_type_conflict, "C3": c3_satisfaction_misplaced,
    "C4": c4_output_as_benefit, "C5": c5_outcome_as_output, "C6": c6_cost_misuse, "C7": c7_benefit_subtype,
    "C8": c8_invalid_hierarchy, "C9": c9_nature_conflict,
    "M1": m1_vague, "M2": m2_no_baseline, "M3": m3_no_criteria, "M4": m4_activity, "M6": m6_invalid_number,
    "M7": m7_not_attributable,
    "B9": b9_year_end, "M5": m5_no_unit,
}


def run_rules(ctx: RowContext) -> dict[str, str]:
    """Code -> evidence for every rule that fires on the row.

    Empty rows, unused template slots and "not applicable" answers on optional rows fire nothing
    (the guide labels them 0/0/0).
    """
    if ctx.is_unused_slot:
        return {}
    hits = {}
    for code, rule in RULES.items():
        evidence = rule(ctx)
        if evidence:
            hits[code] = evidence
    return hits


def keyword_baseline(level2: str, name: str, value: str) -> dict[str, bool]:
    """The simple baseline the trained models must beat: a family fires on any of its keywords.

    Only substring look-ups on the raw cells (declared 二级, name, value), no parsing and no
    context: what a reviewer with a word list would do.
    """
    spec = load_toml("lexicons/cues.toml")["baseline_keywords"]
    return {family: any(_keyword_entry_fires(entry, level2, name, value) for entry in entries)
            for family, entries in spec.items()}


def _keyword_entry_fires(entry: dict, level2: str, name: str, value: str) -> bool:
    if entry.get("level2", "") not in level2:
        return False
    return any(word in name for word in entry.get("name", ())) or any(word in value for word in entry.get("value", ()))
