"""Remembered results bounded by bytes, which stop remembering while they are not reused.

Real batches repeat rows massively (the same 满意度/完成率 rows in every department), so a
scorer remembers what it computed. A province's never-seen tables repeat almost nothing: there a
cache bounded by entries filled up with results never asked for again (about 600 MiB a worker
at 1M cold rows, issue 15) and cost time to fill. So a :class:`Memo`

* is bounded by an estimate of the bytes it holds (an entry's size depends on its text: a long
  explanation costs ten times a short one), dropping its oldest entries when full, and
* watches its hit rate: over each ``window`` of look-ups made while it holds something, below
  ``min_hit_rate`` it empties itself and only keeps the hashes of recent keys (a few bytes each)
  to see whether reuse comes back; when it does, it remembers again.

A result never depends on whether it was remembered, so none of this changes an output.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from functools import wraps
from itertools import islice
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Entries of each per-cell ``lru_cache`` (a name's type, its normalised form, a value's parse, a
#: cell in simplified characters, a project's domain). A batch's real repetition -- the same rows
#: again -- is remembered whole by the scorer's memo and the cue cache, which switch off on cold
#: input; these only need the cells of the tables at hand. At 50,000-65,536 entries each they kept
#: a cold batch's never-reused cells, and the memory did not come back when they were cleared.
CELL_CACHE_ENTRIES = 4096
#: Look-ups between decisions to switch remembering off or on again. Few enough that a server
#: whose traffic turns cold stops filling its memory soon: with 10,000, the rows it kept in the
#: meantime (tens of thousands of result objects) were walked by every full garbage collection,
#: 30-70 ms pauses that made the API's p99 (new rows, 32 connections: 63-76 ms, now 30-36 ms);
#: 50 hits in 1,000 still tell reuse from none.
WINDOW = 1_000
#: Below this share of look-ups answered from memory, remembering costs more than it saves.
MIN_HIT_RATE = 0.05
#: Bytes a key hash costs in the probe kept while off (a dict slot and an int).
_PROBE_ENTRY_BYTES = 100
#: Recent keys whose hashes the probe keeps while off (fewer if ``max_bytes`` is small): reuse that
#: comes back (the same rows in the next department's tables) recurs within far fewer look-ups.
#: Bounded by ``max_bytes`` alone, the scorer's probe held up to 671k hashes (~40 MiB a worker)
#: through a cold batch.
PROBE_KEYS = 50_000


class Memo(Generic[K, V]):
    """A dict of results bounded by ``max_bytes`` (as estimated by ``size(key, value)``).

    ``max_bytes=0`` never remembers. Safe to share between threads (the API server's): every
    operation is a single dict operation or tolerates a concurrent one.
    """

    def __init__(self, max_bytes: int, size: Callable[[K, V], int], *, window: int = WINDOW,
                 min_hit_rate: float = MIN_HIT_RATE) -> None:
        self.max_bytes = max_bytes
        self._size = size
        self._window, self._min_hit_rate = window, min_hit_rate
        self._entries: dict[K, V] = {}
        self._probe: dict[int, None] = {}  # hashes of recent keys, while off
        self.bytes = 0
        self.on = max_bytes > 0
        self._lookups = self._hits = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        """The remembered value of ``key``, else ``None`` (counted for the hit rate)."""
        if not self.max_bytes:
            return None
        if self.on and not self._entries:
            # An empty memory answers nothing, so its misses say nothing about reuse. The scorer
            # looks up a whole chunk before remembering any of it: counted, the first chunk of a
            # warm batch (and the chunk after each switch back on) turned the memo off, and a
            # 100k-row warm batch scored 27,268 rows for its 15,167 distinct ones.
            return None
        value = self._entries.get(key) if self.on else None
        hit = value is not None or (not self.on and self._probed(hash(key)))
        self._count(hit)
        return value

    def update(self, fresh: Mapping[K, V]) -> None:
        """Remember ``fresh`` (while on), dropping the oldest entries past ``max_bytes``."""
        if not self.on:
            return
        added = sum(self._size(key, value) for key, value in fresh.items())
        if added > self.max_bytes:
            return  # one call larger than the whole memory: keep what is remembered
        self._entries.update(fresh)
        self._grown(added)

    def put(self, key: K, value: V) -> None:
        """Remember one result (while on)."""
        if self.on:
            self._entries[key] = value
            self._grown(self._size(key, value))

    def _grown(self, added: int) -> None:
        self.bytes += added
        if self.bytes > self.max_bytes:
            self._shrink(self.max_bytes * 3 // 4)

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0

    def _shrink(self, target: int) -> None:
        """Drop the oldest entries (dicts keep insertion order) until at most ``target`` bytes."""
        while self.bytes > target and self._entries:
            for key in list(islice(self._entries, 1024)):
                value = self._entries.pop(key, None)
                if value is not None:
                    self.bytes -= self._size(key, value)
                if self.bytes <= target:
                    return

    def _probed(self, digest: int) -> bool:
        """Was a key with this hash looked up recently? (Remembers it; the probe stays bounded.)"""
        seen = digest in self._probe
        self._probe[digest] = None
        if len(self._probe) > min(PROBE_KEYS, self.max_bytes // _PROBE_ENTRY_BYTES):
            for old in list(islice(self._probe, len(self._probe) // 4)):
                self._probe.pop(old, None)
        return seen

    def _count(self, hit: bool) -> None:
        self._lookups += 1
        self._hits += hit
        if self._lookups < self._window:
            return
        reused = self._hits >= self._min_hit_rate * self._lookups
        if self.on and not reused:
            self.on = False
            self.clear()
        elif not self.on and reused:
            self.on = True
            self._probe.clear()
        self._lookups = self._hits = 0


def cached(max_bytes: int, size: Callable[[K, V], int]) -> Callable[[Callable[[K], V]], Callable[[K], V]]:
    """``functools.lru_cache`` for a one-argument function, as a :class:`Memo` of ``max_bytes``
    (the wrapper's ``memo``); results must not be ``None``."""
    def decorate(function: Callable[[K], V]) -> Callable[[K], V]:
        memo: Memo[K, V] = Memo(max_bytes, size)

        @wraps(function)
        def remembered(key: K) -> V:
            value = memo.get(key)
            if value is None:
                value = function(key)
                memo.put(key, value)
            return value

        remembered.memo = memo  # type: ignore[attr-defined]
        return remembered
    return decorate
