"""nlp.memo: remembered results stay within their bytes and stop being kept while not reused."""
from __future__ import annotations

import pytest

from nlp import memo as memo_module
from nlp.memo import Memo, cached


def _memo(max_bytes: int = 1_000, window: int = 100) -> Memo[int, str]:
    return Memo(max_bytes, lambda key, value: 10, window=window, min_hit_rate=0.05)


def test_bounded_by_bytes_dropping_the_oldest() -> None:
    memo = _memo()
    for start in range(0, 500, 50):
        memo.update({k: str(k) for k in range(start, start + 50)})
        assert memo.bytes <= 1_000 and memo.bytes == 10 * len(memo)
    assert memo.get(499) == "499" and memo.get(0) is None


def test_a_batch_larger_than_the_memory_is_not_kept() -> None:
    memo = _memo(max_bytes=100)
    memo.update({k: "x" for k in range(5)})
    memo.update({k: "y" for k in range(100, 120)})
    assert memo.get(0) == "x" and memo.get(100) is None


def test_switches_off_without_reuse_and_on_again_with_it() -> None:
    memo = _memo(max_bytes=100_000)
    memo.update({-1: "v"})  # a memory holding something: an empty one's misses are not counted
    for key in range(100):  # a window of keys never seen again
        assert memo.get(key) is None
        memo.update({key: "v"})
    assert not memo.on and len(memo) == 0 and memo.bytes == 0
    memo.update({1: "v"})
    assert len(memo) == 0  # off: nothing is kept
    for _ in range(2):  # the same 50 keys over and over: reuse is back
        for key in range(50):
            memo.get(key)
    assert memo.on
    memo.update({7: "v"})
    assert memo.get(7) == "v"


def test_while_off_it_probes_a_bounded_number_of_recent_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold batch turns the memo off for good: what it keeps meanwhile must not grow with the
    batch, however large the memo's bytes."""
    monkeypatch.setattr(memo_module, "PROBE_KEYS", 500)
    memo = _memo(max_bytes=10**9)
    memo.update({-1: "v"})
    for key in range(20_000):
        memo.get(key)
    assert not memo.on and len(memo._probe) <= 500
    for key in [*range(20_000, 20_200), *range(20_000, 20_100)]:  # a window of recent keys again
        memo.get(key)
    assert memo.on  # reuse within the probed keys still turns it back on


def test_chunks_looked_up_whole_before_they_are_remembered_keep_it_on() -> None:
    """The scorer looks up a chunk's keys, then remembers the ones it computed. The misses of the
    first chunk (and of the rest of a chunk after switching back on) came from an empty memory:
    counted, they switched off a memo that would have answered half of each next chunk."""
    memo = _memo(max_bytes=100_000)
    answered = []
    # each later chunk: half of the keys before it and half new ones, mixed as a batch's rows are
    mixed = [[key for pair in zip(range(start - 150, start), range(start, start + 150)) for key in pair]
             for start in (300, 450)]
    chunks = [list(range(300)), *mixed]
    for chunk in chunks:
        missed = [key for key in chunk if memo.get(key) is None]
        answered.append(len(chunk) - len(missed))
        memo.update({key: "v" for key in missed})
    assert answered == [0, 150, 150] and memo.on


def test_zero_bytes_never_remembers() -> None:
    memo = _memo(max_bytes=0)
    memo.update({1: "v"})
    assert memo.get(1) is None and not memo.on


def test_cached_computes_each_key_once_while_reused() -> None:
    calls: list[int] = []

    @cached(1_000, lambda key, value: 10)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    assert [square(x) for x in (3, 3, 4, 3)] == [9, 9, 16, 9]
    assert calls == [3, 4] and len(square.memo) == 2
