"""The review page: its JSON endpoints, the API hiding rejected findings, and the page end to end
in headless Chromium (upload, filter, decide by keyboard, reload: the decision is still there)."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from fake_scorer import FakeScorer
from nlp.api import create_app
from test_report_html import _chromium

TABLE = """department,project_name,level1,level2,level3,target_value
文化局,广播剧创作,产出指标,质量指标,质量指标,≥95%
文化局,广播剧创作,产出指标,数量指标,完成剧目,提升
文化局,演出补贴,产出指标,数量指标,惠民演出场次,**
教育局,校舍维修,产出指标,数量指标,维修合格率,≥98%
教育局,校舍维修,效益指标,社会效益指标,改善办学条件,明显改善
"""


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("IQC_REVIEW_DB", str(tmp_path / "review.sqlite3"))
    return TestClient(create_app(FakeScorer()))


def _upload(client: TestClient) -> tuple[str, list[dict]]:
    made = client.post("/review/api/batches", files={"file": ("表.csv", TABLE.encode())}).json()
    return made["id"], client.get(f"/review/api/batches/{made['id']}").json()["items"]


def test_batch_items_are_ordered_by_risk_with_cells(client: TestClient) -> None:
    batch, items = _upload(client)
    assert len(items) >= 4 and [i["risk"] for i in items] == sorted((i["risk"] for i in items), reverse=True)
    assert {i["cells"]["department"] for i in items} == {"文化局", "教育局"}
    assert all(i["decision"] is None for i in items)
    assert client.get("/review/api/batches").json()[0]["id"] == batch


def test_rejected_finding_leaves_the_api_results_for_identical_rows(client: TestClient) -> None:
    batch, items = _upload(client)
    target = next(i for i in items if i["code"] == "B1")
    row = {name: target["cells"][name] for name in ("project_name", "level1", "level2", "level3", "target_value")}
    assert "B1" in client.post("/v1/score", json=row).json()["rows"][0]["codes"]
    saved = client.put(f"/review/api/batches/{batch}/decisions/{target['key']}", json={"decision": "reject"})
    assert saved.status_code == 200
    assert "B1" not in client.post("/v1/score", json={**row, "row_id": "elsewhere"}).json()["rows"][0]["codes"]
    file_rows = client.post("/v1/score/file", files={"file": ("again.csv", TABLE.encode())}).json()["rows"]
    assert "B1" not in [code for r in file_rows for code in r["codes"]]


def test_a_comment_alone_leaves_the_decision_another_reviewer_made(client: TestClient) -> None:
    """Two reviewers on one batch: 王 rejects; 李's page, loaded before, sends a comment with the
    decision it knew of (none), and the rejection was erased: the finding came back in /v1."""
    batch, items = _upload(client)
    target = next(i for i in items if i["code"] == "B1")
    url = f"/review/api/batches/{batch}/decisions/{target['key']}"
    assert client.put(url, json={"decision": "reject", "reviewer": "王"}).status_code == 200
    saved = client.put(url, json={"decision": None, "comment": "请再核实", "reviewer": "李"}).json()
    assert (saved["decision"], saved["comment"]) == ("reject", "请再核实")
    assert client.get(f"/review/api/batches/{batch}").json()["items"][items.index(target)]["decision"] == "reject"


def test_a_save_from_a_page_loaded_before_another_decision_is_refused_saying_who_and_when(
        client: TestClient) -> None:
    """李's page, loaded before 王 rejected a finding, still showed it undecided; 李's 采纳 replaced
    王's newer 驳回 without a word. The page sends what it showed as the base of its change."""
    batch, items = _upload(client)
    target = next(i for i in items if i["code"] == "B1")
    url = f"/review/api/batches/{batch}/decisions/{target['key']}"
    shown = {"decision": target["decision"], "comment": target["comment"], "decided_at": target["decided_at"]}
    assert shown == {"decision": None, "comment": "", "decided_at": ""}
    rejected = client.put(url, json={"decision": "reject", "reviewer": "王", "base": shown})
    assert rejected.status_code == 200

    stale = client.put(url, json={"decision": "accept", "reviewer": "李", "base": shown})
    assert stale.status_code == 409
    error, current = stale.json()["error"], stale.json()["current"]
    assert error["code"] == "decision_changed" and error["field"] == "body.base"
    when = rejected.json()["decided_at"]
    assert error["message"] == (f"this finding's review changed after this page showed it: now 驳回, by 王 at {when}; "
                                "see it and decide again")
    assert (current["decision"], current["reviewer"], current["decided_at"]) == ("reject", "王", when)
    assert client.get(f"/review/api/batches/{batch}").json()["items"][items.index(target)]["decision"] == "reject"

    fresh = {"decision": "reject", "comment": "", "decided_at": when}
    saved = client.put(url, json={"decision": "accept", "reviewer": "李", "base": fresh})
    assert (saved.status_code, saved.json()["decision"]) == (200, "accept")
    no_base = client.put(url, json={"decision": "reject"})  # an old page: saved as before
    assert (no_base.status_code, no_base.json()["decision"]) == (200, "reject")


def test_a_change_of_the_store_within_one_time_stamp_tick_reaches_the_api(client: TestClient,
                                                                           tmp_path: Path) -> None:
    """The API re-read the rejections only when the store file's time stamp or size changed: a
    decision turned from 驳回 to 采纳 (by ``iqc review import`` beside the server) within the file
    system's time stamp resolution left the size and the time as they were, and the finding stayed
    hidden. Here the time stamp is put back after the change, as a coarse one would have it."""
    import os

    from nlp.review.store import ReviewStore

    batch, items = _upload(client)
    target = next(i for i in items if i["code"] == "B1")
    row = {name: target["cells"][name] for name in ("project_name", "level1", "level2", "level3", "target_value")}
    client.put(f"/review/api/batches/{batch}/decisions/{target['key']}", json={"decision": "reject"})
    assert "B1" not in client.post("/v1/score", json=row).json()["rows"][0]["codes"]
    path = tmp_path / "review.sqlite3"
    before = path.stat()
    ReviewStore(path).decide(target["key"], "B1", "accept", when=ReviewStore(path).decision(target["key"]).decided_at)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert "B1" in client.post("/v1/score", json=row).json()["rows"][0]["codes"]


def test_unknown_batch_or_finding_is_a_404_in_the_error_shape(client: TestClient) -> None:
    batch, _ = _upload(client)
    missing = client.put(f"/review/api/batches/{batch}/decisions/nope", json={"decision": "accept"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.get("/review/api/batches/nope").status_code == 404
    bad = client.put(f"/review/api/batches/{batch}/decisions/nope", json={"decision": "maybe"})
    assert bad.status_code == 422


@pytest.mark.parametrize("body", [{"decison": "reject"}, {"decision": "reject", "comments": "理由"},
                                  {"decision": "reject", "base": {"decison": None}}])
def test_a_misspelt_key_in_a_save_is_refused_not_saved_as_something_else(client: TestClient, body: dict) -> None:
    """``{"decison": "reject"}`` was 200 and stored a review with no decision (the finding stayed
    shown), and a ``comments`` key dropped the reason: a client's typo went unsaid."""
    batch, items = _upload(client)
    target = next(i for i in items if i["code"] == "B1")
    refused = client.put(f"/review/api/batches/{batch}/decisions/{target['key']}", json=body)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "unknown_field"
    assert refused.json()["error"]["field"].rsplit(".", 1)[-1] in {"decison", "comments"}
    assert client.get(f"/review/api/batches/{batch}").json()["items"][items.index(target)]["decided_at"] == ""


_FINDING = '{"code": "B1", "family": "boilerplate"}'


@pytest.mark.parametrize(("line", "why"), [
    ('{"level3": "a", "findings": [], "risk": "high", "codes": "B1"}', "risk must be a number"),
    ('{"level3": "a", "findings": [], "risk": NaN, "codes": "B1"}', "risk must be a number"),
    ('{"level3": "a", "findings": [1], "risk": 0.5, "codes": "B1"}', "findings must be a list of findings"),
    ('{"level3": "a", "findings": [{"code": 5}], "risk": 0.5, "codes": "B1"}', "findings must be a list"),
    ('{"level3": "a", "findings": [{"family": "boilerplate"}], "risk": 0.5}', "findings must be a list"),
])
def test_a_damaged_scored_jsonl_is_a_422_naming_its_line_not_a_500(client: TestClient, line: str, why: str) -> None:
    """A scored JSONL whose risk or findings were edited by hand was a 500 internal_error (or a
    review item keyed on no code); it is refused naming the line, and no batch is kept."""
    body = f'{{"level3": "b", "findings": [{_FINDING}], "risk": 0.9, "codes": "B1"}}\n{line}\n'.encode()
    refused = client.post("/review/api/batches", files={"file": ("scored.jsonl", body)})
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["field"]) == ("unreadable_file", "file")
    assert error["message"].startswith(f"scored.jsonl:line 2: {why}")
    assert client.get("/review/api/batches").json() == []


def test_an_upload_nested_too_deep_for_json_is_read_as_a_table_not_a_500(client: TestClient) -> None:
    """Deeply nested brackets overflowed the JSON decoder's recursion while the page looked for a
    scored JSONL: a 500. It is not one, and the readers say what it is instead."""
    refused = client.post("/review/api/batches", files={"file": ("deep.json", b"[" * 100_000 + b"]" * 100_000)})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "unreadable_file"


def test_page_is_self_contained_and_escapes_batch_names(client: TestClient) -> None:
    client.post("/review/api/batches", files={"file": ("<b>x</b>.csv", TABLE.encode())})
    page = client.get("/review").text
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;.csv" in page
    assert "http://" not in page and "https://" not in page and "Content-Security-Policy" in page
    for name in ("review.js", "review.css"):
        asset = client.get(f"/review/static/{name}")
        assert asset.status_code == 200 and "http" not in asset.text
    assert client.get("/review/static/page.html").status_code == 404


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a thread; yields its base URL."""
    import uvicorn

    monkeypatch.setenv("IQC_REVIEW_DB", str(tmp_path / "review.sqlite3"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(FakeScorer()), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    browser_path, driver_path = _chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def test_review_page_end_to_end_in_chromium(server: str, browser, tmp_path: Path) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,))  # the queue re-renders
    table = tmp_path / "绩效目标表.csv"
    table.write_text(TABLE, encoding="utf-8")

    def count() -> int:
        return int(browser.find_element(By.ID, "count").text)

    browser.get(f"{server}/review")
    browser.find_element(By.ID, "upload-file").send_keys(str(table))
    browser.find_element(By.CSS_SELECTOR, "#upload button").click()
    wait.until(lambda d: count() > 0)
    total = count()
    assert total == len(browser.find_elements(By.CSS_SELECTOR, "#queue li"))
    assert browser.find_element(By.CSS_SELECTOR, "#detail td.hit mark").text  # the flagged cell is marked

    Select(browser.find_element(By.ID, "f-department")).select_by_value("教育局")
    education = count()
    assert 0 < education < total
    first = browser.find_element(By.CSS_SELECTOR, "#queue li.selected")
    key = first.get_attribute("data-key")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("r")  # reject the selected finding; the selection moves on
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'#queue li[data-key="{key}"]').text.endswith("驳回"))
    body.send_keys("k")  # back to it, and comment
    assert browser.find_element(By.CSS_SELECTOR, "#queue li.selected").get_attribute("data-key") == key
    body.send_keys("c")
    comment = browser.switch_to.active_element
    assert comment.get_attribute("id") == "comment"
    comment.send_keys("本项目已在说明中定义口径")
    comment.send_keys(Keys.CONTROL, Keys.ENTER)
    wait.until(lambda d: httpx.get(f"{server}/review/export.csv").text.count("本项目已在说明中定义口径") == 1)

    browser.refresh()  # a new page load: everything below comes from the store
    wait.until(lambda d: count() == total)
    Select(browser.find_element(By.ID, "f-decided")).select_by_value("decided")
    wait.until(lambda d: count() == 1)
    only = browser.find_element(By.CSS_SELECTOR, "#queue li")
    assert only.get_attribute("data-key") == key and only.text.endswith("驳回")
    assert browser.find_element(By.ID, "comment").get_attribute("value") == "本项目已在说明中定义口径"
    assert browser.find_element(By.ID, "decision").text == "已驳回"
    Select(browser.find_element(By.ID, "f-decided")).select_by_value("open")
    assert count() == total - 1

    problems = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert problems == []


def test_an_unusable_store_is_a_503_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_bytes(b"garbage" * 200)
    monkeypatch.setenv("IQC_REVIEW_DB", str(bad))
    answer = TestClient(create_app(FakeScorer())).get("/review/api/batches")
    assert answer.status_code == 503 and "not-a-db.sqlite3" in answer.json()["error"]["message"]


def test_a_scoring_request_writes_nothing_into_another_database(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The rejected keys were read through a store opened to write: the first scoring request
    created the review tables in the database named, another program's too, and hid nothing."""
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE budget (project TEXT, amount REAL)")
    before = other.read_bytes()
    monkeypatch.setenv("IQC_REVIEW_DB", str(other))
    answer = TestClient(create_app(FakeScorer())).post("/v1/score", json={"level3": "质量指标", "target_value": "≥95%"})
    assert answer.status_code == 503 and "other.db: not a review store" in answer.json()["error"]["message"]
    assert other.read_bytes() == before


def test_a_scoring_request_while_the_first_review_action_creates_the_store_is_answered(
        client: TestClient, tmp_path: Path) -> None:
    """SQLite creates the file empty, then commits the tables: a scoring request reading the
    rejections (read-only) in between found no decisions table and was answered with a 503."""
    (tmp_path / "review.sqlite3").touch()
    answer = client.post("/v1/score", json={"level3": "质量指标", "target_value": "≥95%"})
    assert answer.status_code == 200 and answer.json()["rows"][0]["codes"], answer.text


def test_a_store_locked_by_another_program_is_a_503_saying_so(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Another program holding a write lock on the store answered each scoring request, after the
    wait, "not a usable review database (database is locked)", as if the file were damaged."""
    import sqlite3

    import nlp.review.store

    path = tmp_path / "review.sqlite3"
    nlp.review.store.ReviewStore(path)
    monkeypatch.setattr(nlp.review.store, "BUSY_SECONDS", 0.1)
    monkeypatch.setenv("IQC_REVIEW_DB", str(path))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        answer = TestClient(create_app(FakeScorer())).post("/v1/score", json={"level3": "质量指标"})
    finally:
        other.close()
    message = answer.json()["error"]["message"]
    assert answer.status_code == 503 and "review.sqlite3: the review database is locked by another program" in message
    assert "try again" in message and "not a usable" not in message


def test_a_full_disk_is_a_503_naming_the_store(client: TestClient, full_disk: None) -> None:
    answer = client.post("/review/api/batches", files={"file": ("表.csv", (TABLE * 40).encode())})
    error = answer.json()["error"]
    assert answer.status_code == 503 and error["code"] == "review_store_unavailable"
    assert "disk is full" in error["message"] and ".sqlite3" in error["message"]
