"""Tables copied between projects, documents and departments, found across a whole batch.

Reviewers send back a table copied from another project as readily as one bad row, and the copy
is often in another department's file. A table's signature is the set of its indicators (name and
value, digits masked, so a copy with trivially changed numbers still matches); MinHash sketches of
the signatures go into an LSH index (datasketch), which finds the candidate pairs among millions of
rows without comparing every table with every other; each candidate is then checked exactly.

A table is *copied* when at least ``copied_share`` of its indicators (``data/tables.toml``) are
also in a table of **another project** with at least ``min_rows`` of them: the same project
submitted twice, or a training copy of a table, is not a copy of someone else's work.

The batch scorer feeds every chunk to one :class:`CopyIndex` in a first pass and gives each chunk
the twins of its tables; ``Scorer.score_frame`` builds one over the frame itself. Both give the
same result for the same rows, whatever the files, chunks or workers.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH

from nlp.resources import load_toml

_TABLE = load_toml("tables.toml")
NUM_PERM = 64
#: LSH recall threshold on Jaccard: low enough that a containment of copied_share is a candidate.
LSH_THRESHOLD = 0.5
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=1)


@dataclass(frozen=True, slots=True)
class Twin:
    """The table another one was copied from (or into), as a reviewer identifies it."""

    project: str
    department: str
    file: str
    share: float  # share of this table's indicators found in the twin

    def describe(self) -> str:
        """How a reviewer finds the twin: 项目“乙项目”（乙局，b.csv）."""
        return _described(self)


@lru_cache(maxsize=65_536)
def _described(twin: Twin) -> str:
    where = "，".join(part for part in (twin.department, Path(twin.file).name) if part)
    return f"项目“{twin.project or '（未填项目名）'}”（{where or '同一批次'}）"


@dataclass(frozen=True, slots=True)
class TableRef:
    """One table of the batch: its key and how a reviewer finds it."""

    key: str
    project: str
    department: str
    file: str


@lru_cache(maxsize=200_000)
def _indicator_hash(name: str, value: str) -> int:
    digest = hashlib.blake2b(f"{name}\x1f{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class CopyIndex:
    """Signatures of every table seen (:meth:`add`), then the twins and clusters they form."""

    def __init__(self) -> None:
        self._signatures: dict[str, set[int]] = defaultdict(set)
        self._refs: dict[str, TableRef] = {}
        self._edges: list[tuple[str, str, float, float]] | None = None
        self._positions: dict[str, int] | None = None

    def add(self, keys: list[str], names: list[str], values: list[str], projects: list[str],
            departments: list[str], files: list[str]) -> None:
        """Rows of one chunk: their table keys, normalised names, digit-masked values and context."""
        self._edges, self._positions = None, None
        for key, name, value, project, department, file in zip(keys, names, values, projects, departments, files):
            if not name:
                continue
            self._signatures[key].add(_indicator_hash(name, value))
            self._refs.setdefault(key, TableRef(key, project.strip(), department.strip(), file))

    def edges(self) -> list[tuple[str, str, float, float]]:
        """(table a, table b, share of a in b, share of b in a) for every copied pair, a before b in
        input order. Identical tables of different projects are chained to the first of them (share
        1); tables whose signatures differ are paired through LSH over one table per signature."""
        if self._edges is None:
            self._edges = self._find_edges()
        return self._edges

    def _groups(self) -> dict[bytes, list[str]]:
        """Tables with at least ``min_rows`` indicators, grouped by identical signature, input order."""
        groups: dict[bytes, list[str]] = defaultdict(list)
        for key, signature in self._signatures.items():
            if len(signature) >= _TABLE["min_rows"]:
                groups[np.fromiter(sorted(signature), dtype=np.uint64).tobytes()].append(key)
        return groups

    def _find_edges(self) -> list[tuple[str, str, float, float]]:
        groups = list(self._groups().items())
        members_of = {members[0]: members for _, members in groups}
        found = [edge for _, members in groups for edge in self._identical(members)]
        representatives = {members[0]: np.frombuffer(signature, dtype=np.uint64) for signature, members in groups}
        for a, b, share_a, share_b in self._similar(representatives):
            pair = self._first_of_other_projects(members_of[a], members_of[b])
            if pair is not None:
                x, y = pair
                found.append((x, y, share_a, share_b) if self._order[x] < self._order[y] else (y, x, share_b, share_a))
        return sorted(found, key=lambda e: (self._order[e[0]], self._order[e[1]]))

    def _first_of_other_projects(self, xs: list[str], ys: list[str]) -> tuple[str, str] | None:
        """The first pair, one table from each group, of two different projects."""
        return next(((x, y) for x in xs for y in ys if not self._same_project(x, y)), None)

    def _identical(self, members: list[str]) -> list[tuple[str, str, float, float]]:
        """Each table of an identical group linked to the first one of another project."""
        edges = []
        for later in members[1:]:
            first = next((m for m in members if m != later and not self._same_project(m, later)), None)
            if first is not None:
                a, b = sorted((first, later), key=self._order.__getitem__)
                edges.append((a, b, 1.0, 1.0))
        return edges

    def _similar(self, tables: dict[str, np.ndarray]) -> list[tuple[str, str, float, float]]:
        """Pairs of different signatures sharing at least ``copied_share`` of one of them."""
        lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        sketches = {}
        for key, signature in tables.items():
            sketch = _TEMPLATE.copy()
            sketch.update_batch([int(h).to_bytes(8, "little") for h in signature])
            sketches[key] = sketch
            lsh.insert(key, sketch)
        pairs = []
        for key in tables:
            for other in lsh.query(sketches[key]):
                if self._order[other] <= self._order[key]:
                    continue
                common = len(np.intersect1d(tables[key], tables[other], assume_unique=True))
                share_a, share_b = common / len(tables[key]), common / len(tables[other])
                if max(share_a, share_b) >= _TABLE["copied_share"]:
                    pairs.append((key, other, share_a, share_b))
        return pairs

    @property
    def _order(self) -> dict[str, int]:
        if self._positions is None:
            self._positions = {key: i for i, key in enumerate(self._refs)}
        return self._positions

    def _same_project(self, a: str, b: str) -> bool:
        return self._refs[a].project == self._refs[b].project

    def twins(self) -> dict[str, Twin]:
        """Per copied table, the twin holding the largest share of it (earliest on ties)."""
        best: dict[str, Twin] = {}
        for a, b, share_a, share_b in self.edges():
            for this, other, share in ((a, b, share_a), (b, a, share_b)):
                ref = self._refs[other]
                if share >= _TABLE["copied_share"] and (this not in best or share > best[this].share):
                    best[this] = Twin(ref.project, ref.department, ref.file, round(share, 4))
        return best

    def clusters(self) -> list[list[TableRef]]:
        """Groups of tables copied from one another (connected by copy edges), largest first."""
        parent: dict[str, str] = {}

        def root(key: str) -> str:
            while parent.setdefault(key, key) != key:
                key = parent[key]
            return key

        for a, b, _, _ in self.edges():
            parent[root(b)] = root(a)
        groups: dict[str, list[TableRef]] = defaultdict(list)
        for key in self._refs:
            if key in parent:
                groups[root(key)].append(self._refs[key])
        return sorted(groups.values(), key=len, reverse=True)

