"""Pairs of rows in a table: the indexed search finds exactly the pair the definitions name.

The definitions are written here again, pair by pair, from the docstrings of
:mod:`nlp.table_pairs`; tables are drawn over a five-character alphabet so that names inside
other names and near copies are common, and large enough to take the indexed path.
"""
from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.table_pairs import (PAIRWISE_ROWS, _earlier_twins_indexed, _earlier_twins_pairwise, _near_copies_indexed,
                             _near_copies_pairwise, first_earlier_twins, first_near_copies, near_copy)

SHARE = 0.85

#: Names made of shared pieces, so that names inside names are common; single characters among
#: them make near copies (a character more, fewer or swapped), up to lengths of 20 and more.
names_drawn = st.lists(st.sampled_from(["甲乙丙丁", "戊己", "甲", "乙", "丙丁戊己庚", "辛"]), max_size=8).map("".join)
tables = st.lists(st.tuples(names_drawn, st.sampled_from(["", "100%", "≥95%"])), max_size=90)


def defined_earlier_twins(names: list[str], values: list[str]) -> dict[int, int]:
    """First earlier row, same value, and the same name or one name inside the other (the shorter ≥ 4)."""
    found = {}
    for i, (name, value) in enumerate(zip(names, values)):
        for j in range(i):
            shorter, longer = sorted((name, names[j]), key=len)
            if name and value == values[j] and (name == names[j] or (len(shorter) >= 4 and shorter in longer)):
                found[i] = j
                break
    return found


def defined_near_copies(queries: list[int], targets: list[int], names: list[str]) -> dict[int, int]:
    """First target whose name is the same, or shares ≥ 85 % of the longer name's characters (the shorter ≥ 4)."""
    found = {}
    for i in queries:
        for j in targets:
            a, b = names[i], names[j]
            shorter, longer = sorted((a, b), key=len)
            common = sum((Counter(a) & Counter(b)).values())
            if a and b and (a == b or (len(shorter) >= 4 and common / len(longer) >= SHARE)):
                found[i] = j
                break
    return found


@settings(max_examples=300, deadline=None)
@given(tables)
def test_earlier_twins_are_the_first_by_definition_on_both_paths(table: list[tuple[str, str]]) -> None:
    names, values = [name for name, _ in table], [value for _, value in table]
    rows = list(range(len(table)))
    expected = defined_earlier_twins(names, values)
    assert _earlier_twins_pairwise(names, values, rows) == expected
    assert _earlier_twins_indexed(names, values, rows) == expected
    assert first_earlier_twins(names, values, rows) == expected


@settings(max_examples=300, deadline=None)
@given(tables, st.lists(st.booleans(), min_size=90, max_size=90))
def test_near_copies_are_the_first_by_definition_on_both_paths(table: list[tuple[str, str]],
                                                              is_query: list[bool]) -> None:
    names = [name for name, _ in table]
    queries = [i for i in range(len(names)) if is_query[i]]
    targets = [i for i in range(len(names)) if not is_query[i]]
    expected = defined_near_copies(queries, targets, names)
    assert _near_copies_pairwise(queries, targets, names, SHARE) == expected
    assert _near_copies_indexed(queries, targets, names, SHARE) == expected
    assert first_near_copies(queries, targets, names, SHARE) == expected


def test_rows_of_a_table_keep_their_positions_in_the_frame() -> None:
    """Tables are subsets of a frame's rows: the answers are frame positions, in table order."""
    names = ["其他表", "群众满意度", "其他表", "辖区群众满意度", "群众满意度"]
    values = ["1", "≥90%", "1", "≥90%", "≥90%"]
    table = [1, 3, 4]
    assert first_earlier_twins(names, values, table) == {3: 1, 4: 1}


def test_a_large_table_takes_the_indexed_path(monkeypatch) -> None:
    """Above :data:`PAIRWISE_ROWS` rows no pair-by-pair scan runs, and the answers are the definitions'."""
    def refused(*_):
        raise AssertionError("compared pair by pair")

    monkeypatch.setattr("nlp.table_pairs._earlier_twins_pairwise", refused)
    monkeypatch.setattr("nlp.table_pairs._near_copies_pairwise", refused)
    count = 2 * PAIRWISE_ROWS
    names = [f"第{k}项培训人次" for k in range(count)] + [f"第{k}项培训人次数" for k in range(count)]
    values = ["≥95%"] * len(names)
    rows, restated = list(range(count)), list(range(count, 2 * count))
    assert first_earlier_twins(names, values, rows + restated) == defined_earlier_twins(names, values)
    assert first_near_copies(restated, rows, names, SHARE) == defined_near_copies(restated, rows, names)
    assert len(defined_near_copies(restated, rows, names)) == count


def test_near_copy_needs_the_bar_on_the_longer_name() -> None:
    assert near_copy("播出广播剧集数", "播出广播剧集数", SHARE)
    assert near_copy("人数", "人数", SHARE)  # the same name, however short
    assert not near_copy("人数", "人次", SHARE)
    assert not near_copy("播出广播剧", "播出广播剧集数", SHARE)  # 5 of 7 characters
    assert not near_copy("", "", SHARE)


def test_a_near_copy_found_only_by_the_last_character_of_each_prefix() -> None:
    """The tight case of prefix filtering: two names of 20 characters sharing exactly 17 (85 %),
    where the only shared character among the rarest of each is the last one a prefix holds."""
    shared = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午"  # 17; 午 is rarer than the rest among the targets
    restated, original = shared + "黄宇宙", shared + "天地玄"
    fillers = [shared[:16] + tail for tail in ("一二三四", "五六七八", "九十百千")] + ["午" + "万亿兆京垓秭穰沟涧正载极"]
    names = [restated, original, *fillers]
    targets = list(range(1, len(names)))
    assert near_copy(restated, original, SHARE)
    assert defined_near_copies([0], targets, names) == {0: 1}
    assert _near_copies_indexed([0], targets, names, SHARE) == {0: 1}
