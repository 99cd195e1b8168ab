"""Helper processes share a large call's never-seen rows and change nothing but where they are scored."""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import psutil
import pytest
from fastapi.testclient import TestClient

import nlp
from nlp.api.app import create_app
from nlp.api.settings import ApiSettings
from nlp.corpus import load_corpus
from nlp.helper_pool import TAKEN_SLOTS, HelperError, HelperPool, _bounds
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


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_helpers_end_with_their_server(stop: signal.Signals) -> None:
    """``iqc serve`` stopped by the service manager (SIGTERM: uvicorn shuts down and ends by the
    signal) or killed outright: no helper lives on with a model's memory."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", "import sys; from nlp.cli import main; sys.exit(main())",
                               "serve", "--port", str(port), "--request-helpers", "1"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not _healthy(port):
            assert server.poll() is None and time.monotonic() < deadline, "iqc serve did not start"
            time.sleep(0.2)
        helpers = helper_processes(psutil.Process(server.pid))
        assert len(helpers) == 1
        server.send_signal(stop)
        server.wait(timeout=30)
        _, alive = psutil.wait_procs(helpers, timeout=10)
        assert not alive, "a helper outlived its server"
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
