"""Helper processes share a large call's never-seen rows and change nothing but where they are scored."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import psutil
import pytest
from fastapi.testclient import TestClient

import nlp
from nlp.api.app import create_app
from nlp.api.batching import MicroBatcher
from nlp.api.routes import INLINE_BODY_BYTES
from nlp.api.settings import ApiSettings
from nlp.corpus import load_corpus
from nlp.helper_pool import TAKEN_SLOTS, HelperError, HelperPool, _bounds
from nlp.lanes import LanePipes, serve_lane
from nlp.records import INTERCHANGE_COLUMNS

ROOT = Path(__file__).resolve().parent.parent


def helper_processes(parent: psutil.Process) -> list[psutil.Process]:
    """The spawned helpers among ``parent``'s children (not multiprocessing's resource tracker)."""
    return [child for child in parent.children() if "spawn_main" in " ".join(child.cmdline())]


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    """Every corpus row, as the API receives rows: interchange fields with text."""
    corpus = load_corpus().astype(str)
    fields = [c for c in INTERCHANGE_COLUMNS if c in corpus.columns]
    return [{k: v for k, v in row.items() if v} for row in corpus[fields].to_dict("records")]


@pytest.fixture(scope="module")
def pool() -> Any:
    with HelperPool(1, min_rows=2) as helpers:
        yield helpers


def test_parts_cover_every_row_once() -> None:
    for total in (0, 1, 2, 7, 1000):
        for parts in (1, 2, 3):
            covered = [i for part in _bounds(total, parts) for i in range(total)[part]]
            assert covered == list(range(total))


def test_findings_and_table_facts_cross_processes_whole() -> None:
    """They cross as class and field values (``_by_fields``): every field comes back."""
    import pickle
    from multiprocessing.reduction import ForkingPickler

    from nlp.completeness import TableGaps
    from nlp.context import TableFacts
    from nlp.schema import Finding

    finding = Finding(code="B4", family="boilerplate", severity="high", title="t", message="m", evidence="e",
                      suggestion="s", field="level3", source="model", quote="q", start=2, end=5)
    facts = TableFacts(rows_in_table=9, value_share=0.5, duplicate_earlier="a", same_as_output_row="b",
                       copied_share=0.75, gaps=TableGaps(framework="101", missing=("成本",), indicators=3, too_few=True))
    for value in (finding, facts, [facts, facts]):
        copy = pickle.loads(ForkingPickler.dumps(value))
        assert copy == value and type(copy) is type(value)


def test_shared_rows_score_as_rows_scored_here(pool: HelperPool, rows: list[dict[str, str]]) -> None:
    alone = nlp.load(memo_bytes=0).score(rows)
    shared = pool.attach(nlp.load(memo_bytes=0))
    assert shared.helpers is pool and pool.worth_sharing(len(rows))
    assert shared.score(rows) == alone
    frame = pd.DataFrame(rows)
    pd.testing.assert_frame_equal(shared.score_frame(frame), nlp.load(memo_bytes=0).score_frame(frame))


def test_small_calls_stay_in_the_process(rows: list[dict[str, str]]) -> None:
    with HelperPool(1, min_rows=200) as helpers:
        assert not helpers.worth_sharing(199) and helpers.worth_sharing(200)
    assert not helpers.worth_sharing(10_000)  # closed


def test_a_helper_with_another_model_is_refused() -> None:
    other = SimpleNamespace(model_info={"version": "0.0.0", "created": "", "training_data_sha256": "0" * 64},
                            helpers=None)
    with HelperPool(1) as helpers:
        with pytest.raises(HelperError, match="instead of"):
            helpers.attach(other)
        assert other.helpers is None and not helpers.worth_sharing(10_000)


def test_a_dead_helper_costs_only_speed(rows: list[dict[str, str]], caplog: pytest.LogCaptureFixture) -> None:
    alone = nlp.load(memo_bytes=0).score(rows)
    with HelperPool(1, min_rows=2) as helpers:
        scorer = helpers.attach(nlp.load(memo_bytes=0))
        helpers._executor.submit(os._exit, 1)  # the helper dies, as under the OOM killer
        with caplog.at_level(logging.WARNING, logger="nlp.helper_pool"):
            assert scorer.score(rows) == alone  # the dead helper's part scored here
            assert scorer.score(rows) == alone  # and every call after it
        assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
        assert "scoring in this process" in caplog.records[0].message
        assert not helpers.worth_sharing(10_000)


def test_a_part_cancelled_by_another_request_is_scored_here(rows: list[dict[str, str]], monkeypatch) -> None:
    """When a helper dies while serving one request, closing the pool cancels the parts other
    requests had sent: they are scored in the server, not failed."""
    from concurrent.futures import Future

    alone = nlp.load(memo_bytes=0).score(rows)
    with HelperPool(1, min_rows=2) as helpers:
        scorer = helpers.attach(nlp.load(memo_bytes=0))
        cancelled: Future = Future()
        cancelled.cancel()
        monkeypatch.setattr(helpers, "_submit", lambda *args: cancelled)
        assert scorer.score(rows) == alone


def test_a_call_waits_for_idle_helpers_to_take_their_parts(pool: HelperPool, rows: list[dict[str, str]],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The server scores its own part once the helper has taken its one: started at once, it held
    the GIL the executor's threads need to send the part, and the helper began ~20 ms late."""
    scorer = pool.attach(nlp.load(memo_bytes=0))
    score_records, untaken = scorer.score_records, []

    def score_here(records: list[dict[str, str]], facts: list[Any]) -> list[tuple]:
        untaken.append(pool._taken[pool._sent % TAKEN_SLOTS] != pool._sent)
        return score_records(records, facts)

    monkeypatch.setattr(scorer, "score_records", score_here)
    scorer.score(rows)
    assert untaken == [False]


def test_a_call_does_not_wait_for_helpers_busy_with_another_call(pool: HelperPool, rows: list[dict[str, str]],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import Future

    scorer, waits = pool.attach(nlp.load(memo_bytes=0)), []
    monkeypatch.setattr(pool, "_handed_over", waits.append)
    monkeypatch.setattr(pool, "_pending", [Future()])  # another call's part, its outputs not back
    scorer.score(rows)
    assert waits == []
    monkeypatch.setattr(pool, "_pending", [])
    scorer.score(rows)
    assert waits == [pool._sent]


def test_the_api_shares_large_requests_and_stops_its_helpers(rows: list[dict[str, str]]) -> None:
    """Every corpus row in one request: the same bytes with a helper as without."""
    settings = ApiSettings(max_rows=5000, max_body_bytes=20 << 20, max_cell_chars=2000, request_helpers=1)
    app = create_app(settings=settings)
    others = set(helper_processes(psutil.Process()))  # the module's pool
    with TestClient(app) as client:
        helpers = app.state.scorer.helpers
        assert helpers is not None and helpers.worth_sharing(len(rows))
        running = [p for p in helper_processes(psutil.Process()) if p not in others]
        assert len(running) == 1
        response = client.post("/v1/score", json=rows)
    assert response.status_code == 200 and helpers._sent == 1  # one part scored by the helper
    assert not helpers.worth_sharing(10_000) and not running[0].is_running()  # stopped with the app
    with TestClient(create_app(settings=ApiSettings(max_rows=5000, max_body_bytes=20 << 20,
                                                    max_cell_chars=2000))) as client:
        assert client.post("/v1/score", json=rows).content == response.content


def test_concurrent_small_requests_through_a_helper_give_the_same_bytes(rows: list[dict[str, str]],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests of one to three rows sent at once from eight threads: their micro-batches' never-seen
    rows go down the helper's lane, and every answer has the bytes of a server without helpers."""
    bodies = [body for i in range(0, 240, 3) if len(json.dumps(
              body := [dict(row, row_id=f"r{i}-{j}") for j, row in enumerate(rows[i:i + 1 + i % 3])],
              ensure_ascii=False).encode()) <= INLINE_BODY_BYTES]
    limits = {"max_rows": 5000, "max_body_bytes": 20 << 20, "max_cell_chars": 2000}
    app = create_app(settings=ApiSettings(**limits, request_helpers=1))
    with TestClient(app) as client:
        lanes, parts = app.state.scorer.helpers.lanes, []
        send = lanes.send
        monkeypatch.setattr(lanes, "send", lambda records, facts: parts.append(send(records, facts)) or parts[-1])
        with ThreadPoolExecutor(8) as threads:
            helped = list(threads.map(lambda body: client.post("/v1/score", json=body).content, bodies))
    with TestClient(create_app(settings=ApiSettings(**limits))) as client:
        alone = [client.post("/v1/score", json=body).content for body in bodies]
    assert len(bodies) > 60 and helped == alone
    assert any(part is not None and part.result() is not None for part in parts)  # the helper scored


def test_a_helper_killed_with_a_part_on_its_lane_costs_only_speed(rows: list[dict[str, str]],
                                                                    caplog: pytest.LogCaptureFixture,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The part on the dead helper's lane and every later batch are scored in the server, with
    the results a server without helpers gives; the pool is closed with one warning."""
    requests = [[row] for row in rows[:150]]
    reference = nlp.load(memo_bytes=0)
    want = [reference.score(rows) for rows in requests]
    others = set(helper_processes(psutil.Process()))
    with HelperPool(1) as helpers:
        scorer, batcher, parts = helpers.attach(nlp.load(memo_bytes=0)), MicroBatcher(), []
        [helper] = [p for p in helper_processes(psutil.Process()) if p not in others]

        async def killed_meanwhile() -> tuple[list, list]:
            await helpers.connect_lanes()
            send = helpers.lanes.send
            monkeypatch.setattr(helpers.lanes, "send", lambda records, facts: parts.append(send(records, facts)) or parts[-1])
            tasks = [asyncio.ensure_future(batcher.score(scorer, rows)) for rows in requests]
            for _ in range(5):
                await asyncio.sleep(0)  # flushed: the batch's 150 rows on the lane, ~50 ms of scoring
            helper.kill()
            got = await asyncio.gather(*tasks)
            after = await asyncio.gather(*(batcher.score(scorer, rows) for rows in requests[:20]))
            helpers.close()
            return got, after

        with caplog.at_level(logging.WARNING, logger="nlp.helper_pool"):
            got, after = asyncio.run(killed_meanwhile())
    assert got == want and after == want[:20]
    assert parts[0] is not None and parts[0].result() is None and parts[1:] == [None]  # lost, then shut
    messages = [record.message for record in caplog.records]
    assert len(messages) == 1 and "scoring in this process" in messages[0]
    assert not helpers.worth_sharing(10_000)


def test_a_lane_answers_in_order_and_a_part_its_helper_failed_with_none() -> None:
    """The lane's framing and failure, both ends in this process: the helper's thread scores the
    parts in order; one whose scoring raised is answered ``None`` and the lane goes on."""
    def score(records: list[dict[str, str]], facts: list[Any]) -> list[tuple]:
        if records == [{"level3": "boom"}]:
            raise ValueError("boom")
        return [(record["level3"] * 5000, fact) for record, fact in zip(records, facts)]  # long: frames in pieces

    pipes = LanePipes(1)
    serve_lane(pipes.for_helpers, score)
    pipes.spawned()

    async def three_parts() -> list:
        lanes = await pipes.connect(lambda: None)
        parts = [lanes.send([{"level3": text}], [i]) for i, text in enumerate(["甲", "boom"])]
        assert lanes.full and lanes.send([{"level3": "丙"}], [9]) is None  # LANE_DEPTH parts at once
        answers = [await parts[0]]
        parts.append(lanes.send([{"level3": "乙"}], [2]))
        answers += [await part for part in parts[1:]]
        lanes.close()
        return answers

    assert asyncio.run(three_parts()) == [[("甲" * 5000, 0)], None, [("乙" * 5000, 2)]]


def test_a_lane_whose_helper_answers_nothing_is_shut_after_the_stall_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hung helper (here: its scoring blocks) held its lane's requests for ever; now the parts are
    answered ``None`` (their callers score them) once :data:`STALL_SECONDS` pass, and the lane is
    given up with its reason."""
    import threading

    import nlp.lanes

    monkeypatch.setattr(nlp.lanes, "STALL_SECONDS", 0.3)
    release = threading.Event()

    def score(records: list[dict[str, str]], facts: list[Any]) -> list[tuple]:
        release.wait(10)
        return [("late",)]

    pipes, reasons = LanePipes(1), []
    serve_lane(pipes.for_helpers, score)
    pipes.spawned()

    async def stalled() -> tuple[list, float]:
        lanes = await pipes.connect(reasons.append)
        started = time.monotonic()
        parts = [lanes.send([{"level3": "甲"}], [0]), lanes.send([{"level3": "乙"}], [1])]
        answers = [await part for part in parts]
        waited = time.monotonic() - started
        assert lanes.send([{"level3": "丙"}], [2]) is None  # the lane is shut
        lanes.close()
        return answers, waited

    try:
        answers, waited = asyncio.run(stalled())
    finally:
        release.set()
    assert answers == [None, None] and 0.25 < waited < 5
    assert reasons == ["a helper answered no part for 0.3 s"]


def test_a_stopped_helper_costs_only_speed_and_is_killed(rows: list[dict[str, str]], caplog: pytest.LogCaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A helper stopped (SIGSTOP: alive, answering nothing) with a large call's part held that
    call for ever; now the part is scored here after the stall bound, with the answer a server
    without helpers gives, one warning, and the helper killed."""
    import nlp.lanes

    monkeypatch.setattr(nlp.lanes, "STALL_SECONDS", 1.0)
    reference = nlp.load(memo_bytes=0)
    large = rows[:400]
    others = set(helper_processes(psutil.Process()))
    with HelperPool(1, min_rows=2) as helpers:
        scorer = helpers.attach(nlp.load(memo_bytes=0))
        [helper] = [p for p in helper_processes(psutil.Process()) if p not in others]
        helper.suspend()
        try:
            with caplog.at_level(logging.WARNING, logger="nlp.helper_pool"):
                assert scorer.score(large) == reference.score(large)
            helper.wait(timeout=10)  # killed, not left stopped
        finally:
            if helper.is_running():
                helper.kill()
    messages = [record.message for record in caplog.records]
    assert len(messages) == 1 and "answered no part for 1 s" in messages[0]
    assert not helpers.worth_sharing(10_000)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_helpers_end_with_their_server(stop: signal.Signals) -> None:
    """``iqc serve`` stopped by the service manager (SIGTERM: uvicorn shuts down and ends by the
    signal) or killed outright: no helper lives on with a model's memory."""
    with _serving(stderr=subprocess.DEVNULL) as server:
        helpers = helper_processes(psutil.Process(server.pid))
        assert len(helpers) == 1
        server.send_signal(stop)
        server.wait(timeout=30)
        _, alive = psutil.wait_procs(helpers, timeout=10)
        assert not alive, "a helper outlived its server"


def test_a_server_stopped_with_its_process_group_reports_no_lost_helper() -> None:
    """``timeout 5 iqc serve`` or a service manager sends SIGTERM to the helpers too: they left at
    once, and the server printed "helper processes stopped (a helper's lane closed)" while it
    shut down normally. Now the helpers wait for the server to stop them, and it says nothing."""
    with _serving(stderr=subprocess.PIPE, text=True, start_new_session=True) as server:
        helpers = helper_processes(psutil.Process(server.pid))
        os.killpg(server.pid, signal.SIGTERM)
        _, errors = server.communicate(timeout=30)
        _, alive = psutil.wait_procs(helpers, timeout=5)
    assert "Shutting down" in errors and "helper" not in errors
    assert not alive, "a helper outlived its server"


@contextmanager
def _serving(**popen: Any) -> Iterator[subprocess.Popen]:
    """``iqc serve`` with one helper, once it answers; killed on the way out if still running."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", "import sys; from nlp.cli import main; sys.exit(main())",
                               "serve", "--port", str(port), "--request-helpers", "1"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, **popen)
    try:
        deadline = time.monotonic() + 120
        while not _healthy(port):
            assert server.poll() is None and time.monotonic() < deadline, "iqc serve did not start"
            time.sleep(0.2)
        yield server
    finally:
        server.kill()
        server.wait()


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def test_no_helpers_on_a_single_core(monkeypatch: pytest.MonkeyPatch) -> None:
    from nlp.api.app import helper_count

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert helper_count(1) == 0 and helper_count(3) == 0
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert helper_count(1) == 1 and helper_count(0) == 0


@pytest.mark.parametrize("value, ok", [("0", True), ("2", True), ("-1", False), ("many", False)])
def test_request_helpers_setting(value: str, ok: bool) -> None:
    if ok:
        assert ApiSettings.from_env({"IQC_REQUEST_HELPERS": value}).request_helpers == int(value)
    else:
        with pytest.raises(ValueError, match="IQC_REQUEST_HELPERS"):
            ApiSettings.from_env({"IQC_REQUEST_HELPERS": value})
