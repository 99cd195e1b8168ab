"""The copy index: identical and nearly identical tables of different projects, never the same
project twice, and the same twins however the rows arrive."""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp import copies
from nlp.batch import score_batch
from nlp.context import index_tables, table_keys
from nlp.copies import CopyIndex, Signatures, TableRows, similar_pairs
from nlp.resources import load_toml

ROOT = Path(__file__).resolve().parents[1]

NAMES = ["培训人次", "培训合格率", "培训完成时间", "学员满意度", "人均培训成本"]
VALUES = ["≥000人次", "≥00%", "≤0月", "≥00%", "≤000元"]


def _table(index: CopyIndex, key: str, project: str, values: list[str] = VALUES, department: str = "局") -> None:
    n = len(NAMES)
    index.add_rows(TableRows.of([key] * n, NAMES, values, [project] * n, [department] * n, [f"{key}.csv"] * n))


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


def test_of_twins_with_equal_shares_the_earliest_is_named() -> None:
    """Shares are kept rounded (5/6 -> 0.8333); an equal share later in the batch must not win
    because its unrounded value is larger than the kept one."""
    names = [*NAMES, "培训课程数"]
    values = [*VALUES, "≥0门"]

    def table(key: str, project: str, left_out: int) -> None:
        kept = [i for i in range(len(names)) if i != left_out]
        index.add_rows(TableRows.of([key] * 5, [names[i] for i in kept], [values[i] for i in kept], [project] * 5,
                                    ["局"] * 5, [f"{key}.csv"] * 5))

    index = CopyIndex()
    index.add_rows(TableRows.of(["a"] * 6, names, values, ["甲项目"] * 6, ["局"] * 6, ["a.csv"] * 6))
    table("b", "乙项目", left_out=0)
    table("c", "丙项目", left_out=1)
    twin = index.twins()["a"]
    assert twin.project == "乙项目" and twin.share == round(5 / 6, 4)


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
        size = stop - start
        pieces.add_rows(TableRows.of(["a"] * size, NAMES[start:stop], VALUES[start:stop], ["甲项目"] * size,
                                     ["局"] * size, ["a.csv"] * size))
    _table(pieces, "b", "乙项目")
    assert whole.twins() == pieces.twins()


# --- the exact pair search against all pairs ------------------------------------------------------

COPIED = load_toml("tables.toml")["copied_share"]


def all_pairs(signatures: Signatures) -> list[tuple[int, int, float, float]]:
    """The straightforward definition :func:`similar_pairs` must equal: every pair, Python sets."""
    sets = [set(signatures.of(t).tolist()) for t in range(len(signatures.sizes))]
    pairs = []
    for a, b in itertools.combinations(range(len(sets)), 2):
        common = len(sets[a] & sets[b])
        share_a, share_b = common / len(sets[a]), common / len(sets[b])
        if max(share_a, share_b) >= COPIED:
            pairs.append((a, b, share_a, share_b))
    return pairs


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sets(st.integers(0, 40), min_size=1, max_size=25), max_size=30))
def test_similar_pairs_are_exactly_all_pairs_sharing_enough(tables: list[set[int]]) -> None:
    owners = np.repeat(np.arange(len(tables)), [len(t) for t in tables]).astype(np.int32)
    hashes = np.array([h for t in tables for h in t], dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    signatures = Signatures.of_rows(owners, hashes, len(tables))
    assert similar_pairs(signatures) == all_pairs(signatures)


def generated_batch(seed: int) -> dict[str, list[str]]:
    """Tables over a shared vocabulary (generic indicators common to many), with planted copies:
    whole (numbers changed), partial, a small table inside a large one, the same project twice."""
    rng = np.random.default_rng(seed)
    vocabulary = [(f"指标{stem}{branch}", f"≥{rng.integers(1, 99)}%") for stem in "甲乙丙丁戊己庚辛壬癸"
                  for branch in "子丑寅卯辰巳午未申酉戌亥"]
    tables: list[tuple[str, list[tuple[str, str]]]] = []
    for t in range(60):
        size = int(rng.integers(3, 24))
        pool = 12 if t % 4 == 0 else len(vocabulary)  # every 4th table of generic indicators only
        picks = rng.choice(pool, size=min(size, pool), replace=False)
        base = [vocabulary[i] for i in picks]
        tables.append((f"项目{t}", base))
        kind = t % 5
        if kind == 0:  # a whole copy with other numbers
            tables.append((f"项目{t}乙", [(n, v.replace("%", "0%")) for n, v in reversed(base)]))
        elif kind == 1:  # a partial copy: some rows dropped, some new
            kept = [row for row in base if rng.random() < 0.85] + [vocabulary[int(rng.integers(len(vocabulary)))]]
            tables.append((f"项目{t}丙", kept))
        elif kind == 2 and len(base) >= 12:  # a small table inside a large one
            tables.append((f"项目{t}丁", base[:4]))
        elif kind == 3:  # the same project submitted twice, and copied by another
            tables.append((f"项目{t}", list(base)))
            tables.append((f"项目{t}戊", base[1:]))
    rows = [(f"k{i}", project, name, value) for i, (project, table) in enumerate(tables) for name, value in table]
    keys, projects, names, values = map(list, zip(*rows))
    return {"table_id": keys, "project_name": projects, "level3": names, "target_value": values,
            "department": ["局"] * len(keys), "source_file": ["b.csv"] * len(keys), "doc_id": [""] * len(keys)}


def indexed(columns: dict[str, list[str]], chunk: int) -> CopyIndex:
    index = CopyIndex()
    for start in range(0, len(columns["table_id"]), chunk):
        index_tables(index, {name: values[start:start + chunk] for name, values in columns.items()})
    return index


@pytest.mark.parametrize("seed", range(5))
def test_the_copy_index_finds_what_all_pairs_find(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    columns = generated_batch(seed)
    found = indexed(columns, 97)
    edges, twins, clusters = found.edges(), found.twins(), found.clusters()
    monkeypatch.setattr(copies, "similar_pairs", all_pairs)
    reference = indexed(columns, 10_000)
    assert (edges, twins, clusters) == (reference.edges(), reference.twins(), reference.clusters())
    assert any(share_a == 1.0 and share_b < COPIED for _, _, share_a, share_b in edges)  # small inside large
    assert any(COPIED <= share < 1.0 for twin in twins.values() for share in [twin.share])  # partial copies
    same_project = dict(zip(table_keys(columns), columns["project_name"]))
    assert all(same_project[a] != same_project[b] for a, b, _, _ in edges)


def test_small_blocks_find_the_same_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = indexed(generated_batch(7), 500).edges()
    monkeypatch.setattr(copies, "_BLOCK", 16)
    assert indexed(generated_batch(7), 500).edges() == whole and whole


def test_the_sample_batch_scores_the_same_with_all_pairs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    samples = sorted(p for p in (ROOT / "data" / "samples").iterdir() if p.suffix in {".tsv", ".xlsx"})
    score_batch(samples, tmp_path / "exact.csv")
    monkeypatch.setattr(copies, "similar_pairs", all_pairs)
    score_batch(samples, tmp_path / "all_pairs.csv")
    exact = (tmp_path / "exact.csv").read_bytes()
    assert exact == (tmp_path / "all_pairs.csv").read_bytes() and "B4".encode() in exact
