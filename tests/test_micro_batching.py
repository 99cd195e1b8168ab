"""Requests scored together (``Scorer.score_requests``, the API's micro-batches) get exactly the
results they get scored one by one."""
from __future__ import annotations

import asyncio
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
