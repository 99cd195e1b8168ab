"""Tables copied between projects, documents and departments, found across a whole batch.

Reviewers send back a table copied from another project as readily as one bad row, and the copy
is often in another department's file. A table's signature is the set of its indicators (name and
value, digits masked, so a copy with trivially changed numbers still matches), each hashed to 64
bits. Tables with the same signature are grouped; the pairs of different signatures that share
enough are found exactly, without comparing every table with every other (:func:`similar_pairs`).

A table is *copied* when at least ``copied_share`` of its indicators (``data/tables.toml``) are
also in a table of **another project** with at least ``min_rows`` of them: the same project
submitted twice, or a training copy of a table, is not a copy of someone else's work.

The batch scorer feeds every chunk to one :class:`CopyIndex` in a first pass and gives each chunk
the twins of its tables; ``Scorer.score_frame`` builds one over the frame itself. Both give the
same result for the same rows, whatever the files, chunks or workers.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from nlp.resources import load_toml
from nlp.schema import UNNAMED_PROJECT

_TABLE = load_toml("tables.toml")
#: Odd 64-bit multiplier that mixes a name's hash into its value's (the golden ratio's bits).
_MIX = np.uint64(0x9E3779B97F4A7C15)
#: Candidate entries expanded at once by :func:`similar_pairs`: bounds its memory (~100 MiB).
_BLOCK = 1 << 22

Edge = tuple[int, int, float, float]


@dataclass(frozen=True, slots=True)
class Twin:
    """The table another one was copied from (or into), as a reviewer identifies it."""

    project: str
    department: str
    file: str
    share: float  # share of this table's indicators found in the twin

    def describe(self) -> str:
        """How a reviewer finds the twin: 项目“乙项目”（乙局，乙县/b.csv）. The file as the batch names
        it (``source_file``): its base name alone was ``t.csv`` for both 甲县/t.csv and 乙县/t.csv."""
        return _described(self)


@lru_cache(maxsize=65_536)
def _described(twin: Twin) -> str:
    where = "，".join(part for part in (twin.department, twin.file) if part)
    return f"项目“{twin.project or UNNAMED_PROJECT}”（{where or '同一批次'}）"


@dataclass(frozen=True, slots=True)
class TableRef:
    """One table of the batch: its key and how a reviewer finds it."""

    key: str
    project: str
    department: str
    file: str


def indicator_hashes(names: np.ndarray, values: np.ndarray) -> np.ndarray:
    """One 64-bit hash per (name, value): pandas hashes a chunk's strings in C, where a Python
    hash per row and a cache to spare it cost ~12 µs and ~200 bytes a row in the batch's parent."""
    return pd.util.hash_array(names) * _MIX ^ pd.util.hash_array(values)


@dataclass(frozen=True)
class Signatures:
    """Tables' distinct indicator hashes, each table's sorted, end to end: table t's are
    ``hashes[offsets[t]:offsets[t + 1]]``. Eight bytes an indicator, where Python sets took ~60."""

    hashes: np.ndarray
    offsets: np.ndarray

    @classmethod
    def of_rows(cls, tables: np.ndarray, hashes: np.ndarray, count: int) -> Signatures:
        """The signatures of tables ``0 … count - 1`` from rows (table, hash), duplicates dropped."""
        order = np.lexsort((hashes, tables))
        tables, hashes = tables[order], hashes[order]
        new = np.ones(len(tables), dtype=bool)
        new[1:] = (tables[1:] != tables[:-1]) | (hashes[1:] != hashes[:-1])
        return cls(hashes[new], np.searchsorted(tables[new], np.arange(count + 1)))

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    def owners(self) -> np.ndarray:
        """The table of every hash."""
        return np.repeat(np.arange(len(self.offsets) - 1), self.sizes)

    def of(self, table: int) -> np.ndarray:
        return self.hashes[self.offsets[table]:self.offsets[table + 1]]

    def subset(self, tables: np.ndarray) -> Signatures:
        """The signatures of ``tables`` only, renumbered 0 … len(tables) - 1."""
        sizes = self.sizes[tables]
        return Signatures(self.hashes[_ranges(self.offsets[tables], sizes)],
                          np.concatenate(([0], np.cumsum(sizes))))


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``start, start + 1, …`` for every (start, length), end to end (concatenated aranges)."""
    ends = np.cumsum(lengths)
    return np.repeat(starts - ends + lengths, lengths) + np.arange(ends[-1] if len(ends) else 0)


def _blocks(weights: np.ndarray) -> list[slice]:
    """Consecutive slices of items whose weights add up to about ``_BLOCK`` (bounded memory)."""
    block = (np.cumsum(weights) - weights) // _BLOCK
    cuts = [0, *(np.flatnonzero(np.diff(block)) + 1).tolist(), len(weights)]
    return [slice(start, stop) for start, stop in zip(cuts[:-1], cuts[1:])]


def similar_pairs(signatures: Signatures) -> list[Edge]:
    """(a, b, share of a in b, share of b in a), a < b, for every pair of signatures sharing at
    least ``copied_share`` of one of them: exact (MinHash LSH could miss a small table inside a
    large one), without comparing all pairs, in memory bounded by ``_BLOCK``.

    Prefix filtering (the all-pairs similarity join): with each signature ordered rarest indicator
    first, a signature of n that has ``need(n)`` of its indicators in another has one of its first
    n - need(n) + 1 there. Only the pairs meeting in such a prefix are candidates (an indicator of
    one table meets none, a rare one few), and each candidate is then counted exactly.
    """
    join = _Join(signatures)
    prefixes = join.prefixes()
    found = [join.copied(join.candidates(prefixes[part]))
             for part in _blocks(join.counts[join.codes[prefixes]])]
    rows = np.unique(np.concatenate([np.zeros((0, 3), dtype=np.int64), *found]), axis=0)
    a, b, common = rows.T
    return list(zip(a.tolist(), b.tolist(), (common / join.sizes[a]).tolist(),
                    (common / join.sizes[b]).tolist()))


def _needed(sizes: np.ndarray) -> np.ndarray:
    """A lower bound of the shared indicators that make ``copied_share`` of a table of each size
    (the 1e-9 keeps a product like 0.8 × 5 = 4.000…01 from asking for one more)."""
    return np.ceil(_TABLE["copied_share"] * sizes - 1e-9).astype(np.int64)


class _Join:
    """The hashes that more than one signature has (no other can be in common), coded by value
    (0 for the smallest hash of all, …), for :func:`similar_pairs`. In a batch of never-seen
    tables that is few of them, and the join's arrays stay small."""

    def __init__(self, signatures: Signatures) -> None:
        self.sizes = signatures.sizes
        owners = signatures.owners()
        _, codes, self.counts = np.unique(signatures.hashes, return_inverse=True, return_counts=True)
        shared = self.counts[codes] > 1
        self.alone = np.bincount(owners[~shared], minlength=len(self.sizes))  # per table: hashes no other has
        self.owners, self.codes = owners[shared], codes[shared]
        self.offsets = np.concatenate(([0], np.cumsum(self.sizes - self.alone)))  # of each table's shared hashes
        self.keys = self.owners * len(self.counts) + self.codes  # (table, code) of every shared hash, sorted
        self.holders = self.owners[np.argsort(self.codes, kind="stable")]  # the tables of each code, by code
        held = np.where(self.counts > 1, self.counts, 0)
        self.starts = np.cumsum(held) - held  # where each code's tables start in holders

    def prefixes(self) -> np.ndarray:
        """Shared hashes among each table's first n - need(n) + 1, rarest first (its hashes no other
        table has come first, and are left out)."""
        rarest = np.lexsort((self.codes, self.counts[self.codes], self.owners))
        tables = self.owners[rarest]
        position = self.alone[tables] + np.arange(len(rarest)) - self.offsets[tables]
        sizes = self.sizes[tables]
        return rarest[position <= sizes - _needed(sizes)]

    def candidates(self, prefixes: np.ndarray) -> np.ndarray:
        """(a, b), a < b, once each: every table of ``prefixes`` with every other holder of the hash."""
        codes = self.codes[prefixes]
        pairs = np.stack((np.repeat(self.owners[prefixes], self.counts[codes]),
                          self.holders[_ranges(self.starts[codes], self.counts[codes])]), axis=1)
        return np.unique(np.sort(pairs[pairs[:, 0] != pairs[:, 1]], axis=1), axis=0)

    def copied(self, pairs: np.ndarray) -> np.ndarray:
        """(a, b, shared hashes) of the pairs sharing ``copied_share`` of their smaller table."""
        smaller = np.where(self.sizes[pairs[:, 0]] <= self.sizes[pairs[:, 1]], pairs[:, 0], pairs[:, 1])
        others = pairs[:, 0] + pairs[:, 1] - smaller
        common = np.concatenate([np.zeros(0, dtype=np.int64), *(
            self.common(smaller[part], others[part]) for part in _blocks(np.diff(self.offsets)[smaller]))])
        copied = common / self.sizes[smaller] >= _TABLE["copied_share"]
        return np.column_stack((pairs[copied], common[copied]))

    def common(self, tables: np.ndarray, others: np.ndarray) -> np.ndarray:
        """How many hashes of each table its other also has: (other, code) looked up in ``keys``."""
        sizes = self.offsets[tables + 1] - self.offsets[tables]
        wanted = np.repeat(others, sizes) * len(self.counts) + self.codes[_ranges(self.offsets[tables], sizes)]
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        hits = np.bincount(np.repeat(np.arange(len(tables)), sizes), weights=self.keys[at] == wanted,
                           minlength=len(tables))
        return hits.astype(np.int64)


@dataclass(frozen=True)
class TableRows:
    """One chunk's named rows as :class:`CopyIndex` keeps them, made wherever the chunk is read:
    its tables in order of first appearance (with where a reviewer finds each), each row's table
    (an index into them) and its indicator's hash. Only numbering the tables needs the batch's
    order, so a reading process makes these and the batch's process adds them in input order
    (:meth:`CopyIndex.add_rows`)."""

    tables: tuple[TableRef, ...]
    table_of_row: np.ndarray
    hashes: np.ndarray

    @classmethod
    def of(cls, keys: list[str], names: list[str], values: list[str], projects: list[str],
           departments: list[str], files: list[str]) -> TableRows:
        """Rows of one chunk: their table keys, normalised names, digit-masked values and context."""
        cells = np.asarray(names, dtype=object)
        named = np.flatnonzero(cells != "")
        codes, uniques = pd.factorize(np.asarray(keys, dtype=object)[named])
        firsts = named[np.unique(codes, return_index=True)[1]].tolist()
        tables = tuple(TableRef(key, projects[i].strip(), departments[i].strip(), files[i])
                       for key, i in zip(uniques, firsts))  # where a table is found: its first row with a name
        return cls(tables, codes, indicator_hashes(cells[named], np.asarray(values, dtype=object)[named]))


class CopyIndex:
    """Signatures of every table seen (:meth:`add_rows`), then the twins and clusters they form.

    Tables are numbered in input order; a row costs 12 bytes (its table's number and its
    indicator's hash) and a table one :class:`TableRef`.
    """

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self._refs: list[TableRef] = []
        self._rows: list[tuple[np.ndarray, np.ndarray]] = []  # per chunk: table numbers, indicator hashes
        self._edges: list[Edge] | None = None

    def add_rows(self, rows: TableRows) -> None:
        """The next chunk of the batch, in input order."""
        self._edges = None
        numbers = np.array([self._number(table) for table in rows.tables], dtype=np.int32)
        self._rows.append((numbers[rows.table_of_row], rows.hashes))

    def _number(self, table: TableRef) -> int:
        """The table's number, given when it is first seen."""
        number = self._numbers.setdefault(table.key, len(self._refs))
        if number == len(self._refs):
            self._refs.append(table)
        return number

    def edges(self) -> list[tuple[str, str, float, float]]:
        """(table a, table b, share of a in b, share of b in a) for every copied pair, by key, a
        before b in input order. Identical tables of different projects are chained to the first of
        them (share 1); tables whose signatures differ are paired by :func:`similar_pairs` over one
        table per signature."""
        refs = self._refs
        return [(refs[a].key, refs[b].key, share_a, share_b) for a, b, share_a, share_b in self._numbered()]

    def _numbered(self) -> list[Edge]:
        """:meth:`edges` by table number (input order)."""
        if self._edges is None:
            self._edges = self._find_edges()
        return self._edges

    def _signatures(self) -> Signatures:
        rows = self._rows or [(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.uint64))]
        return Signatures.of_rows(np.concatenate([t for t, _ in rows]), np.concatenate([h for _, h in rows]),
                                  len(self._refs))

    @staticmethod
    def _groups(signatures: Signatures) -> list[list[int]]:
        """Tables with at least ``min_rows`` indicators, grouped by identical signature, input order."""
        groups: dict[bytes, list[int]] = defaultdict(list)
        for table in np.flatnonzero(signatures.sizes >= _TABLE["min_rows"]).tolist():
            groups[signatures.of(table).tobytes()].append(table)
        return list(groups.values())

    def _find_edges(self) -> list[Edge]:
        signatures = self._signatures()
        groups = self._groups(signatures)
        found = [edge for members in groups for edge in self._identical(members)]
        firsts = [members[0] for members in groups]
        for a, b, share_a, share_b in similar_pairs(signatures.subset(np.array(firsts, dtype=np.int64))):
            pair = self._first_of_other_projects(groups[a], groups[b])
            if pair is not None:
                x, y = pair
                found.append((x, y, share_a, share_b) if x < y else (y, x, share_b, share_a))
        return sorted(found, key=lambda edge: edge[:2])

    def _first_of_other_projects(self, xs: list[int], ys: list[int]) -> tuple[int, int] | None:
        """The first pair, one table from each group, of two different projects."""
        return next(((x, y) for x in xs for y in ys if not self._same_project(x, y)), None)

    def _identical(self, members: list[int]) -> list[Edge]:
        """Each table of an identical group linked to the first one of another project."""
        edges = []
        for later in members[1:]:
            first = next((m for m in members if m != later and not self._same_project(m, later)), None)
            if first is not None:
                a, b = sorted((first, later))
                edges.append((a, b, 1.0, 1.0))
        return edges

    def _same_project(self, a: int, b: int) -> bool:
        return self._refs[a].project == self._refs[b].project

    def twins(self) -> dict[str, Twin]:
        """Per copied table (by key), the twin holding the largest share of it (earliest on ties)."""
        best: dict[str, Twin] = {}
        for a, b, share_a, share_b in self._numbered():  # by table number: a table's twins in input order
            pair = self._refs[a], self._refs[b]
            for (this, other), share in ((pair, share_a), (pair[::-1], share_b)):
                kept = round(share, 4)  # compared as kept, or a later equal share would win by rounding
                if share >= _TABLE["copied_share"] and (this.key not in best or kept > best[this.key].share):
                    best[this.key] = Twin(other.project, other.department, other.file, kept)
        return best

    def clusters(self) -> list[list[TableRef]]:
        """Groups of tables copied from one another (connected by copy edges), largest first."""
        parent: dict[int, int] = {}

        def root(table: int) -> int:
            while parent.setdefault(table, table) != table:
                table = parent[table]
            return table

        for a, b, _, _ in self._numbered():
            parent[root(b)] = root(a)
        groups: dict[int, list[TableRef]] = defaultdict(list)
        for table in sorted(parent):
            groups[root(table)].append(self._refs[table])
        return sorted(groups.values(), key=len, reverse=True)
