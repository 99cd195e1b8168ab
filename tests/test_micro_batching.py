"""Requests scored together (``Scorer.score_requests``, the API's micro-batches) get exactly the
results they get scored one by one."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

import nlp
from nlp.api.batching import MicroBatcher
from nlp.corpus import load_corpus
from nlp.records import ALL_COLUMNS


@pytest.fixture(scope="module")
def requests() -> list[list[dict[str, Any]]]:
    """Corpus rows cut into requests of 1 to 7 rows (whole tables, parts of tables, several tables),
    plus repeats of earlier requests, so rows recur within and across a batch."""
    corpus = load_corpus()
    records = corpus[[c for c in ALL_COLUMNS if c in corpus.columns]].astype(str).to_dict("records")
    cut, start = [], 0
    while start < len(records):
        size = 1 + len(cut) % 7
        cut.append(records[start:start + size])
        start += size
    return cut + cut[::5]


def test_score_requests_equals_each_request_alone(requests) -> None:
    together, alone = nlp.load(memo_bytes=0), nlp.load(memo_bytes=0)
    got = [row for batch in range(0, len(requests), 16) for row in together.score_requests(requests[batch:batch + 16])]
    want = [alone.score(rows) for rows in requests]
    assert len(got) == len(want)
    for got_rows, want_rows in zip(got, want):
        pd.testing.assert_frame_equal(pd.DataFrame(got_rows), pd.DataFrame(want_rows))


class _Recording:
    """A scorer wrapper recording how many requests each ``score_requests`` call carried, and
    failing on a row whose level3 is ``boom``."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, []

    def score_requests(self, requests):
        requests = [list(rows) for rows in requests]
        self.calls.append(len(requests))
        if any(row.get("level3") == "boom" for rows in requests for row in rows):
            raise ValueError("boom")
        return self.inner.score_requests(requests)


def test_concurrent_requests_share_a_call_and_get_their_own_results(requests) -> None:
    scorer, reference = _Recording(nlp.load()), nlp.load(memo_bytes=0)
    batcher = MicroBatcher()

    async def all_at_once() -> list:
        return await asyncio.gather(*(batcher.score(scorer, rows) for rows in requests[:40]))

    got = asyncio.run(all_at_once())
    assert scorer.calls == [40]
    for got_rows, rows in zip(got, requests[:40]):
        pd.testing.assert_frame_equal(pd.DataFrame(got_rows), pd.DataFrame(reference.score(rows)))


def test_a_failing_request_fails_alone(requests) -> None:
    scorer, batcher = _Recording(nlp.load()), MicroBatcher()
    bad = [{"level3": "boom", "target_value": "1"}]

    async def with_a_bad_one() -> list:
        return await asyncio.gather(*(batcher.score(scorer, rows) for rows in (requests[0], bad, requests[1])),
                                    return_exceptions=True)

    first, failed, last = asyncio.run(with_a_bad_one())
    assert isinstance(failed, ValueError) and isinstance(first, list) and isinstance(last, list)
    assert scorer.calls == [3, 1, 1, 1]  # the batch, then each request alone


class _Lane:
    """A helper's lane of one part that the test answers: with the part's outputs (scored by
    ``scorer``), or ``None`` as a lane whose helper failed."""

    def __init__(self, scorer: Any) -> None:
        self.scorer, self.parts = scorer, []

    @property
    def full(self) -> bool:
        return any(not future.done() for future, _, _ in self.parts)

    def send(self, records: list, facts: list) -> asyncio.Future | None:
        if self.full:
            return None
        self.parts.append((asyncio.get_running_loop().create_future(), records, facts))
        return self.parts[-1][0]

    def answer(self, failed: bool = False) -> None:
        future, records, facts = self.parts[-1]
        future.set_result(None if failed else self.scorer.score_records(records, facts))


async def _turns(count: int = 5) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


@pytest.mark.parametrize("failed", [False, True], ids=["helper", "failed helper"])
def test_requests_wait_for_a_full_lane_and_join_one_batch(requests, failed: bool) -> None:
    """A batch's never-seen rows go down the lane; requests arriving while it is full wait and
    are sent together once it is free (a request whose client went away meanwhile is left out);
    a part the helper failed is scored here; either way the rows are remembered."""
    scorer, reference = nlp.load(), nlp.load(memo_bytes=0)
    lane = _Lane(nlp.load(memo_bytes=0))
    scorer.helpers = SimpleNamespace(lanes=lane, worth_sharing=lambda rows: False)
    batcher = MicroBatcher()

    async def in_two_waves() -> list:
        first = [asyncio.ensure_future(batcher.score(scorer, rows)) for rows in requests[:3]]
        await _turns()
        second = [asyncio.ensure_future(batcher.score(scorer, rows)) for rows in requests[3:6]]
        await _turns()
        assert len(lane.parts) == 1 and not any(task.done() for task in first + second)
        second[1].cancel()  # its client went away
        lane.answer(failed)
        await _turns()
        assert len(lane.parts) == 2 and len(lane.parts[1][1]) == len(requests[3]) + len(requests[5])
        lane.answer(failed)
        got = await asyncio.gather(*first, second[0], second[2])
        again = await batcher.score(scorer, requests[0])
        return [*got, again]

    got = asyncio.run(in_two_waves())
    assert len(lane.parts) == 2  # the repeated request: remembered, wherever it was scored
    for got_rows, rows in zip(got, [*requests[:4], requests[5], requests[0]]):
        pd.testing.assert_frame_equal(pd.DataFrame(got_rows), pd.DataFrame(reference.score(rows)))
