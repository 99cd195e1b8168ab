"""Numbers read as their cell's number format shows them (ECMA-376 §18.8.31), from examples of
Excel's format grammar: what a department sees in the sheet is what is scored."""
from __future__ import annotations

import pytest

from nlp.readers.number_formats import changes_what_is_shown, shown_number

SHOWN = [
    # a percent sign outside quotes multiplies by 100
    (0.95, "0%", "95%"),
    (0.955, "0.0%", "95.5%"),
    (1, "0.00%;[Red]-0.00%", "100.00%"),
    (-0.05, "0.00%;[Red]-0.00%", "-5.00%"),
    (-0.05, "0%", "-5%"),
    # a quoted or escaped percent sign is text: it does not multiply
    (95, '0"%"', "95%"),
    (95, "0\\%", "95%"),
    (95.5, '0.0"%"', "95.5%"),
    (95.5, 'General"%"', "95.5%"),
    # text around the number: a comparator, a unit
    (500, '"≥"0"人次"', "≥500人次"),
    (12, '"≤"0"个月"', "≤12个月"),
    (80, '0"万元"', "80万元"),
    (3, "[Blue]0\\ \\台", "3 台"),
    # a trailing comma divides by 1000
    (1_234_567, '#,##0,"千元"', "1235千元"),
    # sections for negative numbers and zero
    (-3, '0"人";"减少"0"人"', "减少3人"),
    (0, '0"人";-0"人";"无"', "无"),
    # padding and fill characters add no text
    (3, '0"台"_)', "3台"),
    # fractions and exponents are not imitated: the number as it is (with a percent's scaling)
    (0.5, '# ?/?"%"', "0.5"),
    (12345, "0.00E+00", "12345"),
]


@pytest.mark.parametrize("value, number_format, expected", SHOWN)
def test_a_number_reads_as_its_format_shows_it(value: float, number_format: str, expected: str) -> None:
    assert shown_number(value, number_format) == expected


@pytest.mark.parametrize("number_format", ["0%", '0"%"', "0\\%", '"≥"0', '0"人次"', "#,##0,", "[Red]0.0%"])
def test_formats_that_change_what_a_number_says_are_read(number_format: str) -> None:
    assert changes_what_is_shown(number_format)


@pytest.mark.parametrize("number_format", ["General", "0", "0.00", "#,##0", "#,##0.00_);[Red](#,##0.00)", "@", ""])
def test_formats_that_show_the_number_itself_are_not(number_format: str) -> None:
    """Digits, decimals and grouping say the same number: such cells are read as before."""
    assert not changes_what_is_shown(number_format)
