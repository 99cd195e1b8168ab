"""Target-value parser (指标值): comparator, number, unit, dates, qualitative and relative values.

INTERFACE CONTRACT (other modules depend on exactly these names; the implementation is being
written -- keep the fields and kinds stable):

``parse_value(text: str, unit: str = "", value_type: str = "") -> ParsedValue``

``unit`` is the separate 度量单位 cell and ``value_type`` the 指标值类型/指标性质 cell (often a
comparator such as ``≥`` or ``定性``/``定量``) when the source has them; they are merged with the
value text (e.g. value "250", unit "期", value_type "≥" parses as ≥250期).
"""
from __future__ import annotations

from dataclasses import dataclass

#: Every value falls in exactly one kind.
KINDS: tuple[str, ...] = (
    "empty",        # nothing, or only "/", "无", "-"
    "percent",      # ≥95%, 100%, 95%以上, ≥100百分比 (malformed but a percent)
    "money",        # ≤80万元, 1600元/亩, ≤28.40/株 with 元 context
    "count",        # ≥48期, 500篇, 2人, 365天 used as a count of days? (see unit_class)
    "duration",     # ≤7工作日, ≤24小时, ≤60毫秒, ≤1月, ≤12个月, ≤3天 with a comparator ≤
    "date",         # 2023年6月30日前, 2023年底, 2021年12月31日, 2023.07-2024.01, 44561 (Excel serial)
    "deadline",     # 年底前完成, 12月底前, 年内, ≤12月 (fiscal-year-end style)
    "number",       # a bare number with no unit: 90, 800, 1200
    "measure",      # a physical measure: ≥10兆/秒, ≥80M, ≥266米, ≥2级
    "relative",     # 比上年提升, 较上年增长5%, 上年提升, 同比下降
    "qualitative",  # 合格, 及时, 优良, 达标, 效果明显, 长远, 提升, 有所提升, 高中低
    "text",         # any other sentence-like text (activities, repeats of the name)
)


@dataclass(frozen=True, slots=True)
class ParsedValue:
    """A parsed target value.

    Attributes
    ----------
    raw : the original cell text (value, unit and type cells joined when given separately).
    normalized : full-width folded, LaTeX removed (``$\\geq 90\\%$`` -> ``≥90%``), spaces squeezed.
    kind : one of :data:`KINDS`.
    comparator : one of ``≥ ≤ = > <`` or "" (不低于/不少于/以上/达到 -> ≥; 不超过/以内/控制在 -> ≤).
    number : the (first) number, as printed in ``unit`` (5 for 5万次 with unit 万次), or None.
    number_high : upper end of a range (90%-95%), else None.
    unit : normalised unit ("%", "万元", "元", "期", "篇", "个", "人次", "天", "工作日", "月", …), "".
    unit_class : "percent" | "money" | "count" | "time" | "measure" | "" -- what the unit measures.
    date : ISO date (YYYY-MM-DD) when a calendar date was recognised (incl. Excel serials), else "".
    excel_serial : the value was an Excel date serial (40000-50000), which reviewers flag (M6).
    malformed : the form is broken (≥9%%, ≥100百分比 on a rate is fine syntactically but
        ``≥100百分比`` is recognised as percent; ``≥9%%``, ``二100百分比``, ``≧ %``, ``292%``
        are malformed) -- recognised, never silently repaired.
    malformed_reason : short Chinese reason when ``malformed``.
    qualitative : the qualitative word(s) when kind is qualitative/relative ("及时", "比上年提升").
    has_amount : for relative values, whether a magnitude is given (较上年增长5% -> True).
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


def parse_value(text: str, unit: str = "", value_type: str = "") -> ParsedValue:
    """Parse one target value. Never raises; unparseable input is kind ``text``."""
    raise NotImplementedError("value parser is being implemented")
