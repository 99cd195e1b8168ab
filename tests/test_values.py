"""Tests for the target-value parser (nlp/values.py).

The table ``fixtures/value_forms.tsv`` holds every distinct target value of the seed and public
corpora plus the forms named in the rules (§7) that the corpora lack, each with what a careful
reader takes it to mean. Columns kind, comparator, number and unit_expected are always asserted
(blank = empty / None); in the other columns blank means "don't care" and "-" means "must be
empty", booleans are 0/1.
"""
from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.values import KINDS, ParsedValue, _classify, _merge, parse_value

FIXTURE = Path(__file__).parent / "fixtures" / "value_forms.tsv"
CORPUS = Path("/work/shared/corpus")
ALWAYS = ("kind", "comparator", "number", "unit_expected")
FIELD = {"unit_expected": "unit"}


def _rows() -> list[dict[str, str]]:
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _expected(column: str, cell: str, actual: object) -> object:
    """The fixture cell in the type of the parsed field ('-' and required blanks mean empty)."""
    empty = cell == "-" or (cell == "" and column in ALWAYS)
    if isinstance(actual, bool):
        return False if empty else cell == "1"
    if column in ("number", "number_high"):
        return None if empty else float(cell)
    return "" if empty else cell


def _check(parsed: ParsedValue, row: dict[str, str]) -> list[str]:
    problems = []
    for column, cell in row.items():
        if column in ("text", "unit", "value_type") or (cell == "" and column not in ALWAYS):
            continue
        actual = getattr(parsed, FIELD.get(column, column))
        expected = _expected(column, cell, actual)
        same = math.isclose(actual, expected) if isinstance(actual, float) and expected is not None else actual == expected
        if not same:
            problems.append(f"{column}: expected {expected!r}, got {actual!r}")
    return problems


@pytest.mark.parametrize("row", _rows(), ids=lambda r: "|".join(v for v in (r["text"], r["unit"], r["value_type"]) if v) or "<empty>")
def test_value_forms(row: dict[str, str]) -> None:
    parsed = parse_value(row["text"], row["unit"], row["value_type"])
    assert not _check(parsed, row), (parsed, _check(parsed, row))


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not mounted")
def test_fixture_covers_every_corpus_value() -> None:
    forms = set()
    for name, columns in (("seed_rows.tsv", ("target_value", "unit", "value_type")), ("public_tables.tsv", ("target_value",))):
        with (CORPUS / name).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                forms.add(tuple(row[c] for c in columns) + ("",) * (3 - len(columns)))
    assert forms - {(r["text"], r["unit"], r["value_type"]) for r in _rows()} == set()


@pytest.mark.parametrize(("text", "reason"), [
    ("≥9%%", "百分号重复"),
    ("二100百分比", "比较符乱码"),
    ("≧ %", "缺少数值"),
    ("公里", "缺少数值"),
    ("≥X%", "数值为占位符"),
    ("≥90%以下", "比较符矛盾"),
])
def test_malformed_reasons(text: str, reason: str) -> None:
    parsed = parse_value(text)
    assert parsed.malformed and parsed.malformed_reason == reason


@pytest.mark.parametrize("text", ["≥100百分比", "292%", "≥100%", "=0万元"])
def test_implausible_but_wellformed_is_not_malformed(text: str) -> None:
    """Plausibility (≥100% on a rate, a rate above 100, a zero cost) is M6's call, not the parser's."""
    assert not parse_value(text).malformed


def test_text_is_not_repaired() -> None:
    assert parse_value("二100百分比").normalized == "二100百分比"
    assert parse_value("≥9%%").normalized == "≥9%%"


@pytest.mark.parametrize(("cells", "normalized"), [
    (("250", "期", "≥"), "≥250期"),
    (("90%", "%", "≥"), "≥90%"),
    (("及时", "无", "定性"), "及时"),
    (("$\\geq 90\\%$", "", ""), "≥90%"),
    (("$= 365$ 期", "", ""), "=365期"),
    (("＞９０％", "", ""), ">90%"),
    (("不低于90%", "", "≥"), "不低于90%"),
])
def test_normalized(cells: tuple[str, str, str], normalized: str) -> None:
    assert parse_value(*cells).normalized == normalized


@pytest.mark.parametrize("nature", ["定性", "定量", "正向", "反向"])
def test_natures_are_not_comparators(nature: str) -> None:
    parsed = parse_value("90", "%", nature)
    assert (parsed.kind, parsed.comparator, parsed.number) == ("percent", "", 90.0)


def test_raw_keeps_the_separate_cells() -> None:
    assert parse_value("250", "期", "≥").raw == "≥ 250 期"
    assert parse_value("≥ 500 篇").raw == "≥ 500 篇"


def test_excel_serial_window() -> None:
    assert parse_value("= 44,561").excel_serial
    assert not parse_value("45000").excel_serial, "round thousands are counts, not dates"
    assert not parse_value("44561人").excel_serial, "a unit makes it a count"
    assert not parse_value("≥44561").excel_serial, "a lower bound is a count"


@pytest.mark.parametrize("value", [None, float("nan"), 90.0, 12, ""])
def test_non_string_cells(value: object) -> None:
    parsed = parse_value(value)  # type: ignore[arg-type]
    assert parsed.kind in ("empty", "number")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.text(max_size=6), st.text(max_size=6))
def test_never_raises(text: str, unit: str, value_type: str) -> None:
    """Exercise the real grammar (not the safety net in parse_value) on arbitrary text."""
    fields = _classify(_merge(text, unit, value_type))
    assert fields["kind"] in KINDS
    assert parse_value(text, unit, value_type).kind in KINDS


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="≥≤=<>＞≧%％百分比万元期个天月年日前底内以上下至-~±.,0123456789二十XＸ$\\ 定性上年比提升", max_size=20))
def test_never_raises_on_value_alphabet(text: str) -> None:
    assert _classify(_merge(text, "", ""))["kind"] in KINDS


def test_cached_calls_are_fast() -> None:
    values = [row["text"] for row in _rows()]
    for value in values:
        parse_value(value)
    start = time.perf_counter()
    for _ in range(100):
        for value in values:
            parse_value(value)
    rate = 100 * len(values) / (time.perf_counter() - start)
    assert rate > 100_000, f"{rate:.0f} cached calls/s"
