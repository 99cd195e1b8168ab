"""Target-value parser (指标值): comparator, number, unit, dates, qualitative and relative values.

INTERFACE CONTRACT (other modules depend on exactly these names; ``date_high`` and
``period_end`` were added after the first version, with defaults, at the end of ParsedValue):

``parse_value(text: str, unit: str = "", value_type: str = "") -> ParsedValue``

``unit`` is the separate 度量单位 cell and ``value_type`` the 指标值类型/指标性质 cell (often a
comparator such as ``≥`` or ``定性``/``定量``) when the source has them; they are merged with the
value text (e.g. value "250", unit "期", value_type "≥" parses as ≥250期). Natures
(定性/定量/正向/反向) are never comparators; a leading nature word in the value text is skipped.

The parser *recognises* broken forms (≥9%%, 二100百分比, ≧ %) and says so in ``malformed``; it
never repairs the text, and it does not judge plausibility (≥100%, 292% or "=0" on a cost are
valid syntax -- M6 decides with the indicator name). Every lexicon lives in
``data/lexicons/values.toml`` so reviewers can extend it without touching code. Results are
memoised because the batch scorer sees the same few hundred value forms millions of times.
"""
from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache, lru_cache
from typing import Any

from nlp.resources import load_toml
from nlp.memo import CELL_CACHE_ENTRIES

#: Every value falls in exactly one kind.
KINDS: tuple[str, ...] = (
    "empty",        # nothing, or only "/", "无", "-"
    "percent",      # ≥95%, 100%, 95%以上, ≥100百分比, 90%-95%, ±3%以内
    "money",        # ≤80万元, 1600元/亩, ≤28.40/株 (head-less unit price), 250万
    "count",        # ≥48期, 500篇, 2人, 1次/月; also ≥365天 / =300天 (a count of days: unit_class time)
    "duration",     # ≤7工作日, ≤24小时, ≤60毫秒, ≤1月, ≤12个月, ≤3天, 3-5天 (a time limit: ≤, < or a range)
    "date",         # 2023年6月30日前, 2023年底, 2021年12月31日, 2023.07-2024.01, = 44,561 (Excel serial)
    "deadline",     # 年底前完成, 12月底前, 年内, ≤12月, 1-12月, 规定时间内完成 (no calendar year)
    "number",       # a bare number with no unit: 90, 800, 1200, >=85
    "measure",      # a physical measure: ≥10兆/秒, ≥80M, ≥266米, ≥2级, 3500公斤, ≤593平方米
    "relative",     # 比上年提升, 较上年增长5%, 上年提升, 同比下降
    "qualitative",  # 合格, 及时, 优良, 达标, 效果明显, 长远, 提升, 有所提升, 高中低, 不超预算
    "text",         # any other sentence-like text (activities, repeats of the name)
)


@dataclass(frozen=True, slots=True)
class ParsedValue:
    """A parsed target value.

    Attributes
    ----------
    raw : the original cell text (value-type, value and unit cells joined by a space when given).
    normalized : NFKC-folded, LaTeX removed (``$\\geq 90\\%$`` -> ``≥90%``), ``>=``/``≧`` folded to
        ``≥``, whitespace removed, separate cells merged (``≥250期``). Words are not rewritten.
    kind : one of :data:`KINDS`.
    comparator : one of ``≥ ≤ = > <`` or "" (不低于/不少于/以上/达到 -> ≥; 不超过/以内/控制在/前 -> ≤).
        Ranges (90%-95%, ±3%以内) have "" -- the two bounds say it all.
    number : the (first) number, as printed in ``unit`` (5 for 5万次 with unit 万次); for a deadline
        without a year the month (12 for ≤12月 / 12月底前); for ±N the lower bound -N; else None.
    number_high : upper end of a range (90%-95%, 1-12月, ±3%), else None.
    unit : normalised unit ("%" also for 百分比, "万元", "元", "元/人*月", "/株", "期", "天" also
        for 日, "工作日", "月", "个月", "M", …) or "".
    unit_class : "percent" | "money" | "count" | "time" | "measure" | "" -- what the unit measures.
    date : ISO 8601 at the precision printed: "2021-12-31", "2021-07", "2025"; month-day without a
        year as "--12-31" / "--12" (deadlines); Excel serials converted. "" when there is none.
    excel_serial : the value was an Excel date serial (integer 40000-50000 without a unit, not a
        round thousand), which reviewers flag (M6).
    malformed : the form is broken (≥9%% doubled %, 二100百分比 garbled comparator, ≧ % or a bare
        unit without a number, conflicting comparators) -- recognised, never silently repaired.
    malformed_reason : short Chinese reason when ``malformed``.
    qualitative : the qualitative word(s) when kind is qualitative ("及时", "进一步提升") or the
        baseline phrase when kind is relative ("比上年提升", "较上年增长").
    has_amount : for relative values, whether a magnitude is given (较上年增长5% -> True).
    date_high : end of a date range (2023.07-2024.01 -> "2024-01"), same format as ``date``.
    period_end : the deadline is the end of the budget year or of the project period (年底前, 年内,
        ≤12月, ≤12个月, 12月31日前, 2023年底, 1-12月, 在项目计划完成时间内完成) -- the B9 signal.
    """

    raw: str
    normalized: str
    kind: str
    comparator: str = ""
    number: float | None = None
    number_high: float | None = None
    unit: str = ""
    unit_class: str = ""
    date: str = ""
    excel_serial: bool = False
    malformed: bool = False
    malformed_reason: str = ""
    qualitative: str = ""
    has_amount: bool = False
    date_high: str = ""
    period_end: bool = False


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_PLACEHOLDER = r"[Xx×*]+"
_CJK = r"[\u4e00-\u9fff]"
_LATEX = (
    (re.compile(r"\\(?:geqslant|geq|ge)(?![A-Za-z])"), "≥"),
    (re.compile(r"\\(?:leqslant|leq|le)(?![A-Za-z])"), "≤"),
    (re.compile(r"\\(?:pm)(?![A-Za-z])"), "±"),
    (re.compile(r"\\(?:sim)(?![A-Za-z])"), "~"),
    (re.compile(r"\\(?:text|mathrm|mbox)\{([^}]*)\}"), r"\1"),
    (re.compile(r"\\([%$])"), r"\1"),
    (re.compile(r"\\[,;:! ]|\\quad|\$"), ""),
)
_SPACES = re.compile(r"\s+")
_EXCEL_EPOCH = date(1899, 12, 30)
_DATE_SUFFIX = r"(?P<suf>之前|以前|前|止)?"
_UNIT_SEPARATORS = re.compile(r"[/每*·×]")
_ENDS_IN_NUMBER = re.compile(r"[\dXx*]$")
_DIGITS = re.compile(r"\d+")
_YEAR_END = re.compile(r"\d{4}年?(?:年底|年末|年终|底|末)")
_UNIT_PIECES = re.compile(r"[^/每*·×]+")


def _alternation(words: list[str] | dict[str, Any]) -> str:
    """A regex alternation that prefers the longest entry (Python alternation is first-match)."""
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True) if word)


@dataclass(frozen=True)
class _Grammar:
    """The value lexicons compiled once into regexes and lookup tables."""

    lex: dict[str, Any]
    comparators: dict[str, str]
    prefix: re.Pattern[str]
    suffix: re.Pattern[str]
    suffix_head: re.Pattern[str]
    unit_class: dict[str, str]
    quantity: re.Pattern[str]
    embedded: re.Pattern[str]
    numbers: re.Pattern[str]
    chinese_number: re.Pattern[str]
    percent_words: re.Pattern[str]
    date_range: re.Pattern[str]
    month_deadline: re.Pattern[str]
    quarter_deadline: re.Pattern[str]
    word_deadline: re.Pattern[str]
    relative: re.Pattern[str]
    qual_prefix: re.Pattern[str]
    qual_ending: re.Pattern[str]
    nature: re.Pattern[str]


def _unit_pattern(unit_class: dict[str, str], magnitudes: list[str]) -> str:
    """Unit = optional 万/亿/千 + a known unit, then any "per" parts (元/人*月, 人/天, /株)."""
    base = _alternation(unit_class)
    part = rf"(?:{base}|{_CJK})"
    per = rf"(?:[/每]{part}(?:[*·×]{part})?)"
    headless = rf"(?:/{part}(?:[*·×]{part})?)+"
    return rf"(?:(?:{_alternation(magnitudes)})?(?:{base}){per}*|{headless})"


def _date_patterns(separators: str, tail: str) -> tuple[str, str, str]:
    """Calendar dates with a year, yearless month deadlines and quarter deadlines."""
    one = (r"(?:(?:19|20)\d\d)(?:年(?:\d{1,2}月(?:\d{1,2}[日号]|底|末)?|年底|年末|年终|底|末)?"
           r"|[./-](?:0?[1-9]|1[0-2])(?:[./-]\d{1,2})?)")
    date_range = rf"(?P<d1>{one})(?:(?:{separators})(?P<d2>{one}))?{_DATE_SUFFIX}(?:{tail})?"
    month = (rf"(?P<m1>\d{{1,2}})(?:(?:{separators})(?P<m2>\d{{1,2}}))?月"
             rf"(?:(?P<day>\d{{1,2}})[日号]|(?P<end>底|末|份))?{_DATE_SUFFIX}(?:{tail})?")
    quarter = rf"第?(?P<q>[1-4])季度(?P<end>末|底)?{_DATE_SUFFIX}(?:{tail})?"
    return date_range, month, quarter


@cache
def _grammar() -> _Grammar:
    """Compile the lexicons once per process (the TOML is the single source of words)."""
    lex = load_toml("lexicons/values.toml")
    units, comps, qual = lex["units"], lex["comparators"], lex["qualitative"]
    unit_class = {u: cls for cls in ("percent", "money", "count", "time", "measure") for u in units[cls]}
    unit = _unit_pattern(unit_class, units["magnitudes"])
    seps = _alternation(lex["numbers"]["range_separators"])
    tail = lex["dates"]["completion_tail"]
    date_range, month, quarter = _date_patterns(seps, tail)
    deadline_words = lex["dates"]["period_end_words"] + lex["dates"]["vague_deadline_words"]
    cn = "".join(lex["numbers"]["digits"]) + "".join(lex["numbers"]["multipliers"])
    return _Grammar(
        lex=lex,
        comparators={**comps["symbols"], **comps["prefix_words"], **comps["suffix_words"]},
        prefix=re.compile(rf"(?:{_alternation(comps['symbols'])}|{_alternation(comps['prefix_words'])})"),
        suffix=re.compile(rf"(?:{_alternation(comps['suffix_words'])})$"),
        suffix_head=re.compile(_alternation(comps["suffix_words"])),
        unit_class=unit_class,
        quantity=re.compile(
            rf"(?P<pm>±)?(?P<num>-?(?:{_NUM})|{_PLACEHOLDER})?(?P<unit>{unit})?(?P<dup>%+)?"
            rf"(?:(?:{seps})(?P<num2>{_NUM})(?P<unit2>{unit})?)?"),
        embedded=re.compile(rf"(?P<num>{_NUM})(?P<unit>{unit})"),
        numbers=re.compile(r"\d+(?:[.,]\d+)*"),
        chinese_number=re.compile(rf"(?<!\d)[{cn}]+(?!分比|分点)(?=(?:{unit})|[月日号年]|季度)"),
        percent_words=re.compile(rf"百分之([\d.]+|[{cn}]+)"),
        date_range=re.compile(date_range),
        month_deadline=re.compile(month),
        quarter_deadline=re.compile(quarter),
        word_deadline=re.compile(rf"在?(?P<w>{_alternation(deadline_words)}){_DATE_SUFFIX}(?:{tail})?"),
        relative=re.compile(_alternation(lex["relative"]["markers"])),
        qual_prefix=re.compile(
            rf"(?:(?:{_alternation(qual['degree_adverbs'])})*(?:{_alternation(qual['direction_verbs'])})"
            rf"|{_alternation(qual['process_prefixes'])})"),
        qual_ending=re.compile(rf"(?:{_alternation(qual['outcome_endings'])})$"),
        nature=re.compile(rf"(?:{_alternation(lex['natures']['words'])})(?=.)"),
    )


# ---------------------------------------------------------------------------------------------
# Normalisation and merging of the separate cells


def _fold(text: str) -> str:
    """NFKC, LaTeX commands to symbols, no whitespace, comparator digraphs to one symbol."""
    folded = unicodedata.normalize("NFKC", text or "")
    for pattern, repl in _LATEX:
        folded = pattern.sub(repl, folded)
    folded = _SPACES.sub("", folded)
    for digraph in (">=", "=>", "<=", "=<", "≧", "≦", "⩾", "⩽"):
        folded = folded.replace(digraph, _grammar().comparators[digraph])
    return folded


def _merge(text: str, unit: str, value_type: str) -> str:
    """Put the value-type comparator in front and the unit cell behind a bare number."""
    grammar = _grammar()
    merged, unit, vt = _fold(text), _fold(unit), _fold(value_type)
    if unit in grammar.lex["empty"]["tokens"] or not _ENDS_IN_NUMBER.search(merged):
        unit = ""
    comparator = grammar.comparators.get(vt, "") if vt not in grammar.lex["natures"]["words"] else ""
    if comparator and merged and not grammar.prefix.match(merged):
        merged = comparator + merged
    return merged + unit


def _chinese_to_int(numeral: str) -> int:
    """一千二百 -> 1200, 十二 -> 12, 二〇二三 -> 2023 (digit strings without multipliers)."""
    digits, multipliers = _grammar().lex["numbers"]["digits"], _grammar().lex["numbers"]["multipliers"]
    if not any(ch in multipliers for ch in numeral):
        return int("".join(str(digits[ch]) for ch in numeral))
    total, current = 0, 0
    for ch in numeral:
        if ch in digits:
            current = digits[ch]
        else:
            total += (current or 1) * multipliers[ch]
            current = 0
    return total + current


def _arabic(core: str) -> str:
    """Chinese numerals before a unit or date part become digits (三个月 -> 3个月, 百分之九十 -> 90%)."""
    grammar = _grammar()

    def percent(match: re.Match[str]) -> str:
        value = match.group(1)
        return (value if value[0].isdigit() else str(_chinese_to_int(value))) + "%"

    core = grammar.percent_words.sub(percent, core)
    return grammar.chinese_number.sub(lambda m: str(_chinese_to_int(m.group(0))), core)


# ---------------------------------------------------------------------------------------------
# Comparators


@dataclass(frozen=True)
class _Core:
    """The value with its comparator words taken off both ends."""

    text: str
    comparator: str = ""
    garbled: bool = False
    conflict: bool = False


def _add_comparator(core: _Core, text: str, symbol: str, garbled: bool = False) -> _Core:
    if core.comparator and symbol != core.comparator:
        return replace(core, text=text, conflict=True)
    return replace(core, text=text, comparator=symbol, garbled=core.garbled or garbled)


def _strip_prefix(text: str) -> _Core:
    """Take comparator symbols/words (and a garbled 二 before digits) off the front."""
    grammar, core = _grammar(), _Core(text)
    while True:
        match = grammar.prefix.match(core.text)
        if match and match.end() < len(core.text):
            core = _add_comparator(core, core.text[match.end():], grammar.comparators[match.group(0)])
        elif core.text[:1] in grammar.lex["comparators"]["garbled"] and core.text[1:2].isdigit():
            core = _add_comparator(core, core.text[1:], grammar.lex["comparators"]["garbled"][core.text[0]], True)
        else:
            return core


def _strip_suffix(core: _Core) -> _Core:
    """Take 以上/以内/以下/内 off the end (dates keep their 前; they are matched before this)."""
    grammar = _grammar()
    match = grammar.suffix.search(core.text)
    while match and match.start() > 0:
        core = _add_comparator(core, core.text[: match.start()], grammar.comparators[match.group(0)])
        match = grammar.suffix.search(core.text)
    return core


def _suffix_comparator(match: re.Match[str], comparator: str) -> str:
    """A date's 前/之前/以前 reads as ≤ unless the value already had a comparator."""
    return comparator or ("≤" if match.group("suf") in ("前", "之前", "以前") else "")


# ---------------------------------------------------------------------------------------------
# Dates and deadlines


def _iso(token: str) -> tuple[str, bool]:
    """One date token to ISO at its precision, and whether it is a year end."""
    year = int(token[:4])
    parts = [int(p) for p in _DIGITS.findall(token[4:])]
    if _YEAR_END.fullmatch(token):
        return f"{year}-12-31", True
    if not parts:
        return f"{year}", False
    month = parts[0]
    if len(parts) > 1:
        return f"{year}-{month:02d}-{parts[1]:02d}", (month, parts[1]) == (12, 31)
    if token.endswith(("底", "末")):
        return f"{year}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}", month == 12
    return f"{year}-{month:02d}", month == 12


def _calendar_date(core: _Core) -> dict[str, Any] | None:
    match = _grammar().date_range.fullmatch(core.text)
    if not match:
        return None
    start, start_end = _iso(match.group("d1"))
    high, high_end = _iso(match.group("d2")) if match.group("d2") else ("", False)
    return {"kind": "date", "date": start, "date_high": high, "comparator": _suffix_comparator(match, core.comparator),
            "period_end": high_end if high else start_end, "unit_class": "time"}


def _month_deadline(core: _Core) -> dict[str, Any] | None:
    """N月 / N月底前 / 12月31日前 / 1-12月; "≤N月" with N < 12 is a duration, not a deadline."""
    match = _grammar().month_deadline.fullmatch(core.text)
    if not match:
        return None
    first, last = int(match.group("m1")), int(match.group("m2") or match.group("m1"))
    day = match.group("day")
    limit_only = core.comparator in ("≤", "<") and not (day or match.group("end") or match.group("suf"))
    if not 1 <= first <= last <= 12 or (limit_only and last != 12 and not match.group("m2")):
        return None
    return {"kind": "deadline", "comparator": _suffix_comparator(match, core.comparator),
            "number": float(first), "number_high": float(last) if match.group("m2") else None,
            "unit": "月", "unit_class": "time",
            "date": f"--{first:02d}-{int(day):02d}" if day else f"--{first:02d}",
            "date_high": f"--{last:02d}" if match.group("m2") else "",
            "period_end": last == 12 and (not day or int(day) == 31)}


def _quarter_deadline(core: _Core) -> dict[str, Any] | None:
    match = _grammar().quarter_deadline.fullmatch(core.text)
    if not match:
        return None
    quarter = int(match.group("q"))
    return {"kind": "deadline", "comparator": _suffix_comparator(match, core.comparator),
            "number": float(quarter), "unit": "季度", "unit_class": "time", "period_end": quarter == 4}


def _word_deadline(core: _Core) -> dict[str, Any] | None:
    """年底前完成, 年内, 在项目计划完成时间内完成, 规定时间内完成节目."""
    match = _grammar().word_deadline.fullmatch(core.text)
    if not match:
        return None
    word = match.group("w")
    comparator = core.comparator or ("≤" if word.endswith("内") else _suffix_comparator(match, ""))
    return {"kind": "deadline", "comparator": comparator, "unit_class": "time",
            "period_end": word in _grammar().lex["dates"]["period_end_words"]}


# ---------------------------------------------------------------------------------------------
# Quantities


def _number(text: str | None) -> float | None:
    return float(text.replace(",", "")) if text and text[-1].isdigit() else None


def _unit_part(part: str) -> str:
    """Alias one piece of a unit, keeping a leading 万/亿/千 (万平米 -> 万平方米)."""
    grammar = _grammar()
    aliases = grammar.lex["units"]["aliases"]
    if part[:1] in grammar.lex["units"]["magnitudes"] and part[1:] in grammar.unit_class:
        return part[0] + aliases.get(part[1:], part[1:])
    return aliases.get(part, part)


def _unit_of(unit: str) -> tuple[str, str]:
    """Normalised unit and its class; "per" units (元/人, 人/天) take the class of their head."""
    grammar = _grammar()
    if not unit or unit in grammar.unit_class:
        return _unit_part(unit), grammar.unit_class.get(unit, "")
    normalised = _UNIT_PIECES.sub(lambda m: _unit_part(m.group(0)), unit)
    head = _UNIT_SEPARATORS.split(unit, maxsplit=1)[0]
    bare = head[1:] if head[:1] in grammar.lex["units"]["magnitudes"] and head[1:] in grammar.unit_class else head
    return normalised, grammar.unit_class.get(bare, "") if head else "money"


def _excel_date(number: float, core: _Core, num_text: str) -> dict[str, Any] | None:
    """An integer 40000-50000 with no unit is an Excel serial (M6); round thousands stay numbers."""
    numbers = _grammar().lex["numbers"]
    low, high = numbers["excel_serial_min"], numbers["excel_serial_max"]
    if "." in num_text or core.comparator not in ("", "=") or not low <= number <= high or number % 1000 == 0:
        return None
    serial = _EXCEL_EPOCH + timedelta(days=int(number))
    return {"kind": "date", "date": serial.isoformat(), "excel_serial": True, "unit_class": "time",
            "period_end": (serial.month, serial.day) == (12, 31)}


def _kind_for(unit_class: str, comparator: str, is_range: bool) -> str:
    """Time units are a duration when they bound (≤, <, a range), otherwise a count of days."""
    if unit_class == "time":
        return "duration" if comparator in ("≤", "<") or is_range else "count"
    return {"percent": "percent", "money": "money", "count": "count", "measure": "measure"}.get(unit_class, "number")


def _malformation(match: re.Match[str], core: _Core) -> str:
    if core.garbled:
        return "比较符乱码"
    if core.conflict:
        return "比较符矛盾"
    if match.group("dup"):
        return "百分号重复"
    if match.group("num") and not match.group("num")[-1].isdigit():
        return "数值为占位符"
    return "" if match.group("num") else "缺少数值"


def _quantity(core: _Core) -> dict[str, Any] | None:
    """comparator? ±? number unit? (range)? -- or a unit with its number missing."""
    match = _grammar().quantity.fullmatch(core.text)
    if not match or not (match.group("num") or match.group("unit")):
        return None
    unit, unit_class = _unit_of(match.group("unit2") or match.group("unit") or "")
    if match.group("num") and not match.group("num")[-1].isdigit() and not unit:
        return None
    number, high = _number(match.group("num")), _number(match.group("num2"))
    if match.group("pm") and number is not None:
        number, high = -number, number
    if number is not None and not unit and high is None:
        serial = _excel_date(number, core, match.group("num"))
        if serial:
            return {**serial, "comparator": core.comparator, "number": number}
    reason = _malformation(match, core)
    whole_year = unit in ("月", "个月") and (high or number) == 12 and core.comparator in ("≤", "<", "")
    return {"kind": _kind_for(unit_class, core.comparator, high is not None),
            "comparator": "" if high is not None else core.comparator, "number": number, "number_high": high,
            "unit": unit, "unit_class": unit_class, "malformed": bool(reason), "malformed_reason": reason,
            "period_end": whole_year}


def _embedded(text: str) -> dict[str, Any] | None:
    """A sentence with exactly one number, which has a unit: 全年编发数达到48期以上 -> ≥48期."""
    grammar = _grammar()
    if len(grammar.numbers.findall(text)) != 1:
        return None
    match = grammar.embedded.search(text)
    if not match:
        return None
    words = grammar.prefix.findall(text[: match.start()])
    after = grammar.suffix_head.match(text[match.end():])
    comparator = grammar.comparators[words[-1]] if words else grammar.comparators[after.group(0)] if after else ""
    return _quantity(_Core(match.group(0), comparator))


# ---------------------------------------------------------------------------------------------
# Words: relative, qualitative


def _relative(text: str) -> dict[str, Any] | None:
    grammar = _grammar()
    if not grammar.relative.search(text):
        return None
    amount = grammar.embedded.search(text)
    fields = (_quantity(_Core(amount.group(0))) or {}) if amount else {}
    phrase = text.replace(amount.group(0), "") if amount else text
    return {"kind": "relative", "number": fields.get("number"), "unit": fields.get("unit", ""),
            "unit_class": fields.get("unit_class", ""), "qualitative": phrase,
            "has_amount": bool(amount or grammar.numbers.search(text)), "comparator": _strip_prefix(text).comparator}


def _qualitative(text: str, core: _Core) -> dict[str, Any] | None:
    """A grade or outcome word, a vague direction, a process phrase, or a short '…良好' statement."""
    grammar, qual = _grammar(), _grammar().lex["qualitative"]
    if grammar.numbers.search(text):
        return None
    if text in qual["bounded"]:
        return {"kind": "qualitative", "qualitative": text, "comparator": qual["bounded"][text]}
    for candidate, comparator in ((text, ""), (core.text, core.comparator)):
        if candidate in qual["words"]:
            return {"kind": "qualitative", "qualitative": candidate, "comparator": comparator}
    word = grammar.qual_prefix.match(text) or (
        len(text) <= qual["outcome_ending_max_len"] and grammar.qual_ending.search(text))
    return {"kind": "qualitative", "qualitative": word.group(0)} if word else None


# ---------------------------------------------------------------------------------------------
# Entry point


def _classify(text: str) -> dict[str, Any]:
    """Try the readings from the most specific to the least; the first that fits wins."""
    grammar = _grammar()
    nature = grammar.nature.match(text)
    text = text[nature.end():] if nature else text
    if text in grammar.lex["empty"]["tokens"]:
        return {"kind": "empty"}
    core = _strip_prefix(_arabic(text))
    found = (_relative(text) or _qualitative(text, core) or _calendar_date(core) or _month_deadline(core)
             or _quarter_deadline(core) or _word_deadline(core) or _quantity(_strip_suffix(core))
             or _embedded(text))
    if found:
        return found
    if grammar.prefix.fullmatch(text):
        return {"kind": "text", "malformed": True, "malformed_reason": "缺少数值"}
    return {"kind": "text"}


def _cell(value: object) -> str:
    """Readers may hand over None, NaN or an Excel number instead of text (90.0 -> "90")."""
    if value is None or value != value:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def parse_value(text: str, unit: str = "", value_type: str = "") -> ParsedValue:
    """Parse one target value. Never raises; unparseable input is kind ``text``."""
    return _parse_cells(_cell(text), _cell(unit), _cell(value_type))


@lru_cache(maxsize=CELL_CACHE_ENTRIES)
def _parse_cells(text: str, unit: str, value_type: str) -> ParsedValue:
    raw = " ".join(part for part in (value_type, text, unit) if part) if (unit or value_type) else text
    try:
        normalized = _merge(text, unit, value_type)
        return ParsedValue(raw=raw, normalized=normalized, **_classify(normalized))
    except Exception:  # noqa: BLE001 -- a safety net for the "never raises" contract; tests bypass it
        return ParsedValue(raw=raw, normalized=raw, kind="text")
