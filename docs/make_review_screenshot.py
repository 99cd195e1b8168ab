"""Re-make ``docs/review-screenshot.png``: the review page on the bundled sample batch, real model.

Run from the checkout (needs chromium and chromedriver): ``python docs/make_review_screenshot.py``.
The store is a temporary file; two findings are decided so the queue shows both states.
"""
from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "samples" / "sample_zh.xlsx"


def main() -> int:
    from selenium import webdriver
    from selenium.webdriver.common.by import By

    from nlp.api import create_app

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["IQC_REVIEW_DB"] = str(Path(tmp) / "review.sqlite3")
        os.environ["SE_OFFLINE"] = "true"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.1)
        base = f"http://127.0.0.1:{port}"
        made = httpx.post(f"{base}/review/api/batches", files={"file": (SAMPLE.name, SAMPLE.read_bytes())},
                          timeout=120).json()
        items = httpx.get(f"{base}/review/api/batches/{made['id']}").json()["items"]
        for item, decision, comment in ((items[0], "accept", ""), (items[2], "reject", "口径已在指标解释中说明")):
            httpx.put(f"{base}/review/api/batches/{made['id']}/decisions/{item['key']}",
                      json={"decision": decision, "comment": comment})
        options = webdriver.ChromeOptions()
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,860",
                     f"--user-data-dir={Path(tmp) / 'profile'}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options)
        try:
            driver.get(f"{base}/review")
            while not driver.find_elements(By.CSS_SELECTOR, "#queue li"):
                time.sleep(0.1)
            driver.find_element(By.TAG_NAME, "body").send_keys("j")
            time.sleep(0.3)
            driver.save_screenshot(str(ROOT / "docs" / "review-screenshot.png"))
        finally:
            driver.quit()
            server.should_exit = True
    return 0


if __name__ == "__main__":
    sys.exit(main())
