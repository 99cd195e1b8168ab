"""A number as a spreadsheet shows it through its cell's number format, where that changes what
the cell says.

A workbook stores 0.95 and shows ``95%`` (format ``0%``), or stores 95 and shows ``95%``
(``0"%"``: a quoted percent sign is text and does not multiply), or stores 500 and shows
``≥500人次`` (``"≥"0"人次"``). Reading the stored number alone changes the target a department
wrote: 9500% for the second (an "impossible number" flag on a correct row), a bare 500 for the
third. So the text a format adds — its percent sign, quoted text, escaped characters — and its
scaling by 100 (``%``) or by 1000 (a trailing ``,``) are imitated, following Excel's number-format
grammar (ECMA-376 §18.8.31): up to four sections for positive, negative, zero and text; ``"…"``
and ``\\x`` are literal; ``[…]`` holds a colour or a condition; ``_x`` pads and ``*x`` fills.
Digit grouping, fractions and exponents are not imitated: a format using them shows the number
as :func:`~nlp.readers.base.number_text` gives it, with the format's percent scaling, as before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nlp.readers.base import number_text

_PLACEHOLDERS = "0#?"
#: Characters Excel shows as they are without quotes around them.
_PLAIN_LITERALS = set("$-+/():!^&'~{}<>= ")
_NOT_IMITATED = re.compile(r"[eE][+-]|/")  # exponent or fraction
_FORMAT_CACHE = 4096


@dataclass(frozen=True)
class _Section:
    """One section of a format: the text before and after its number, the digits after the
    decimal point, how many times it divides by 1000 and multiplies by 100."""

    before: str
    after: str
    decimals: int | None  # None: the number as General shows it
    thousands: int
    percents: int
    imitated: bool  # False for a fraction or an exponent
    has_number: bool  # False for a section of text alone ("无" for zero)


def changes_what_is_shown(number_format: str) -> bool:
    """Does ``number_format`` show a number otherwise than as the number itself (a percent sign,
    text around it, a scaling)? Only such formats need a cell's format read at all."""
    first = _section(_sections(number_format)[0])
    return bool(first.before or first.after or first.thousands or first.percents)


def shown_number(value: float, number_format: str) -> str:
    """``value`` as ``number_format`` shows it: ``shown_number(0.95, "0%") == "95%"``,
    ``shown_number(95, '0"%"') == "95%"``, ``shown_number(500, '"≥"0"人次"') == "≥500人次"``."""
    sections = _sections(number_format)
    negative = value < 0
    if negative and len(sections) > 1:
        section, value, sign = _section(sections[1]), -value, ""  # the section says how a negative looks
    elif value == 0 and len(sections) > 2:
        section, sign = _section(sections[2]), ""
    else:
        section, sign = _section(sections[0]), "-" if negative else ""
        value = abs(value)
    scaled = float(value * 100 ** section.percents / 1000 ** section.thousands)
    if not section.has_number:
        return section.before
    if not section.imitated:
        return sign + number_text(scaled) + "%" * section.percents
    number = number_text(scaled) if section.decimals is None else f"{scaled:.{section.decimals}f}"
    return f"{section.before}{sign}{number}{section.after}"


@lru_cache(maxsize=_FORMAT_CACHE)
def _sections(number_format: str) -> tuple[str, ...]:
    """The format split at its semicolons (those outside quotes and after no backslash)."""
    sections, current, quoted, escaped = [], [], False, False
    for character in number_format:
        if escaped:
            escaped = False
        elif character == "\\" and not quoted:
            escaped = True
        elif character == '"':
            quoted = not quoted
        elif character == ";" and not quoted:
            sections.append("".join(current))
            current = []
            continue
        current.append(character)
    sections.append("".join(current))
    return tuple(sections)


@lru_cache(maxsize=_FORMAT_CACHE)
def _section(section: str) -> _Section:
    """Read one section: its literal text before and after the digits, and its scalings."""
    before, after, digits = [], [], []
    target = before
    percents, general = 0, False
    index = 0
    while index < len(section):
        character = section[index]
        if character == '"':
            end = section.find('"', index + 1)
            end = len(section) if end < 0 else end
            target.append(section[index + 1:end])
            index = end + 1
            continue
        if character == "\\" and index + 1 < len(section):
            target.append(section[index + 1])
            index += 2
            continue
        if character == "[":
            end = section.find("]", index)
            index = len(section) if end < 0 else end + 1
            continue
        if character in "_*":
            index += 2  # padding as wide as the next character, or that character repeated: no text
            continue
        if character == "%":
            percents += 1
            target.append("%")
        elif character in _PLACEHOLDERS or (character in ".," and (digits or _next_is_placeholder(section, index))):
            digits.append(character)
            target = after
        elif character in _PLAIN_LITERALS or not character.isascii():
            target.append(character)
        elif section[index:index + 7].lower() == "general":
            general, target = True, after
            index += 7
            continue
        index += 1
    number = "".join(digits)
    decimals = None if general else sum(character in _PLACEHOLDERS for character in number.partition(".")[2])
    thousands = len(number) - len(number.rstrip(","))
    has_number = general or bool(number)
    imitated = not _NOT_IMITATED.search(section)
    return _Section("".join(before), "".join(after), decimals, thousands, percents, imitated, has_number)


def _next_is_placeholder(section: str, index: int) -> bool:
    return index + 1 < len(section) and section[index + 1] in _PLACEHOLDERS
