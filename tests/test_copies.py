"""The copy index: identical and nearly identical tables of different projects, never the same
project twice, and the same twins however the rows arrive."""
from __future__ import annotations

from nlp.copies import CopyIndex

NAMES = ["培训人次", "培训合格率", "培训完成时间", "学员满意度", "人均培训成本"]
VALUES = ["≥000人次", "≥00%", "≤0月", "≥00%", "≤000元"]


def _table(index: CopyIndex, key: str, project: str, values: list[str] = VALUES, department: str = "局") -> None:
    n = len(NAMES)
    index.add([key] * n, NAMES, values, [project] * n, [department] * n, [f"{key}.csv"] * n)


def test_identical_tables_of_two_projects_are_twins_of_each_other() -> None:
    index = CopyIndex()
    _table(index, "a", "甲项目", department="甲局")
    _table(index, "b", "乙项目", department="乙局")
    twins = index.twins()
    assert twins["a"].project == "乙项目" and twins["a"].department == "乙局" and twins["a"].share == 1.0
    assert twins["b"].project == "甲项目"
    assert [[t.key for t in cluster] for cluster in index.clusters()] == [["a", "b"]]


def test_the_same_project_submitted_twice_is_not_a_copy() -> None:
    index = CopyIndex()
    _table(index, "a", "甲项目")
    _table(index, "a-again", "甲项目")
    assert index.twins() == {} and index.clusters() == []


def test_a_near_copy_with_one_value_changed_is_found_through_lsh() -> None:
    index = CopyIndex()
    _table(index, "a", "甲项目")
    _table(index, "c", "丙项目", VALUES[:-1] + ["≤00万元"])
    twins = index.twins()
    assert twins["a"].project == "丙项目" and twins["a"].share == 0.8


def test_a_table_sharing_little_is_not_a_copy() -> None:
    index = CopyIndex()
    _table(index, "a", "甲项目")
    _table(index, "d", "丁项目", ["x", "y", "z", "w", "≤000元"])
    assert index.twins() == {}


def test_rows_added_in_any_chunks_give_the_same_twins() -> None:
    whole, pieces = CopyIndex(), CopyIndex()
    for index in (whole,):
        _table(index, "a", "甲项目")
        _table(index, "b", "乙项目")
    n = len(NAMES)
    for start, stop in ((0, 2), (2, n)):  # table a arrives in two chunks
        pieces.add(["a"] * (stop - start), NAMES[start:stop], VALUES[start:stop], ["甲项目"] * (stop - start),
                   ["局"] * (stop - start), ["a.csv"] * (stop - start))
    _table(pieces, "b", "乙项目")
    assert whole.twins() == pieces.twins()
