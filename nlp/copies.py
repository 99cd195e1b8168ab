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

    def add(self, keys: list[str], names: list[str], values: list[str], projects: list[str],
            departments: list[str], files: list[str]) -> None:
        """Rows of one chunk: their table keys, normalised names, digit-masked values and context."""
        self._edges = None
        for key, name, value, project, department, file in zip(keys, names, values, projects, departments, files):
            if not name:
                continue
            self._signatures[key].add(_indicator_hash(name, value))
            self._refs.setdefault(key, TableRef(key, project.strip(), department.strip(), file))

    def _candidates(self) -> dict[str, np.ndarray]:
        return {key: np.fromiter(sorted(signature), dtype=np.uint64) for key, signature in self._signatures.items()
                if len(signature) >= _TABLE["min_rows"]}

    def edges(self) -> list[tuple[str, str, float, float]]:
        """(table a, table b, share of a in b, share of b in a) for every copied pair, in input order."""
        if self._edges is None:
            self._edges = self._find_edges()
        return self._edges

    def _find_edges(self) -> list[tuple[str, str, float, float]]:
        tables = self._candidates()
        order = {key: i for i, key in enumerate(self._refs)}
        lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        sketches = {}
        for key, signature in tables.items():
            sketch = _TEMPLATE.copy()
            sketch.update_batch([int(h).to_bytes(8, "little") for h in signature])
            sketches[key] = sketch
            lsh.insert(key, sketch)
        found = []
        for key in tables:
            for other in sorted(lsh.query(sketches[key]), key=order.__getitem__):
                if order[other] <= order[key] or self._same_project(key, other):
                    continue
                common = len(np.intersect1d(tables[key], tables[other], assume_unique=True))
                share_a, share_b = common / len(tables[key]), common / len(tables[other])
                if max(share_a, share_b) >= _TABLE["copied_share"]:
                    found.append((key, other, share_a, share_b))
        return found

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
