"""The HTML report: totals, well-formed, self-contained, escaped, and error-free in a browser."""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from nlp.copies import TableRef
from nlp.report import HtmlReportWriter, ReportAccumulator, XlsxReportWriter, load_settings, render_html
from nlp.report.synthetic import synthetic_scored_frame
from nlp.schema import FAMILIES

SETTINGS = load_settings().with_limits(html_rows=150)
ROWS = 400
INJECTED = "<script>alert('x')</script><img src=x onerror=alert(1)>"
VOID = {"meta", "link", "br", "input", "img", "hr", "rect", "col", "wbr"}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    df = synthetic_scored_frame(ROWS, departments=5, seed=3)
    riskiest = int(df["risk"].idxmax())
    df.loc[riskiest, "level3"] = INJECTED
    df.loc[riskiest, "explanation"] = INJECTED
    return df


@pytest.fixture(scope="module")
def report(frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    writer = HtmlReportWriter(tmp_path_factory.mktemp("html") / "report.html", SETTINGS)
    for start in range(0, ROWS, 90):
        writer.write_chunk(frame.iloc[start : start + 90])
    return writer.close()


@pytest.fixture(scope="module")
def page(report: Path) -> str:
    return report.read_text(encoding="utf-8")


class _TagBalance(HTMLParser):
    """Fails on a closing tag that does not match the innermost open element."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def test_well_formed(page: str) -> None:
    checker = _TagBalance()
    checker.feed(page)
    checker.close()
    assert checker.stack == []
    assert page.startswith("<!DOCTYPE html>")


def test_totals_and_chinese(page: str, frame: pd.DataFrame) -> None:
    flagged = int(frame[[f"flag_{f}" for f in FAMILIES]].any(axis=1).sum())
    assert '<meta charset="utf-8">' in page
    assert "Noto Sans CJK SC" in page and "WenQuanYi" in page
    assert f'<div class="num">{ROWS:,}</div><div>指标行数</div>' in page
    assert f'<div class="num">{flagged:,}</div><div>存在问题的指标行</div>' in page
    for department in frame["department"].unique():
        assert department in page


def test_the_report_is_not_taken_for_an_input(report: Path) -> None:
    """Its tables hold indicator columns; read as a web page, a report given back as input
    would be scored again as new rows."""
    from nlp.readers import read_file
    from nlp.readers.base import OUTPUT_REASON

    read = read_file(report)
    assert list(read.frames) == [] and [skip.reason for skip in read.skipped] == [OUTPUT_REASON]


def test_self_contained(page: str) -> None:
    assert not re.search(r"https?://", page)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(//|https?:)""", page, re.IGNORECASE)
    assert "Content-Security-Policy" in page


def test_cell_text_escaped(page: str) -> None:
    assert INJECTED not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert page.count("<script") == 1
    assert "<img" not in page


def test_embedded_rows_capped_and_said(page: str) -> None:
    body = page.split('<table id="rows">')[1]
    assert body.count("<tr data-families=") == SETTINGS.html_rows
    assert f"上限 {SETTINGS.html_rows:,} 行" in page and f"共 {ROWS:,} 行" in page


def test_chart_has_one_bar_per_department(page: str, frame: pd.DataFrame) -> None:
    chart = page.split('<svg class="chart"')[1].split("</svg>")[0]
    assert chart.count('class="fill"') == frame["department"].nunique()


def _chromium() -> tuple[str, str]:
    """Paths of chromium and chromedriver, or skip (install: see the skip reason)."""
    pytest.importorskip("selenium", reason="pip install selenium")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (browser and driver):
        pytest.skip("headless check needs `apt-get install -y chromium chromium-driver`")
    return browser, driver


def test_opens_in_headless_chromium_without_console_errors(
    report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser, driver_path = _chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import Select

    monkeypatch.setenv("SE_OFFLINE", "true")  # never let Selenium Manager reach the network
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get(report.as_uri())
        count = driver.find_element("id", "filter-count")
        assert count.text == f"{SETTINGS.html_rows:,}"
        Select(driver.find_element("id", "filter-family")).select_by_value("mismatch")
        shown = driver.execute_script(
            "return document.querySelectorAll('#rows tbody tr:not([hidden])').length"
        )
        assert 0 < shown < SETTINGS.html_rows and count.text == str(shown)
        problems = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert problems == []
    finally:
        driver.quit()


def test_control_characters_show_as_their_pictures(tmp_path: Path) -> None:
    """A NUL in a cell vanished in the browser and ESC, DEL and the like were invisible: the
    report showed a clean cell where the CSV and JSONL outputs hold these characters."""
    df = synthetic_scored_frame(3, departments=1, seed=1)
    df.loc[0, "level3"], df.loc[0, "department"] = "培训\x00人\x1b数\x7f", "财政\x01局"
    writer = HtmlReportWriter(tmp_path / "report.html", SETTINGS)
    writer.write_chunk(df)
    page = writer.close().read_text(encoding="utf-8")
    assert "培训␀人␛数␡" in page and "财政␁局" in page
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", page)


def _code_table(page: str) -> dict[str, tuple[str, int]]:
    """The page's code table: code -> (family shown, rows)."""
    table = page.split('<table class="codes">')[1].split("</table>")[0]
    cells = re.findall(r'<tr><td><span[^>]*>([^<]+)</span></td><td>[^<]*</td><td><span[^>]*>([^<]+)</span></td>'
                       r'<td class="num">([\d,]+)</td>', table)
    return {code: (family, int(rows.replace(",", ""))) for code, family, rows in cells}


def test_code_table_counts_a_tables_codes_as_the_workbook_does(tmp_path: Path) -> None:
    """T1/T2 sit in ``table_codes`` on every row of their table: the workbook's legend counted
    them, the page's code table left them out."""
    df = synthetic_scored_frame(20, departments=2, seed=2).assign(table_codes=["T1;T2"] * 12 + ["T1"] * 3 + [""] * 5)
    writers = [HtmlReportWriter(tmp_path / "r.html", SETTINGS), XlsxReportWriter(tmp_path / "r.xlsx", SETTINGS)]
    for writer in writers:
        writer.write_chunk(df)
        writer.close()
    shown = _code_table((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert shown["T1"] == ("整表问题", 15) and shown["T2"] == ("整表问题", 12)
    header, *legend = openpyxl.load_workbook(tmp_path / "r.xlsx")[SETTINGS.sheets["codes"]].iter_rows(values_only=True)
    code, count = header.index(SETTINGS.label("code")), header.index(SETTINGS.label("count"))
    assert {k: n for k, (_, n) in shown.items()} == {row[code]: row[count] for row in legend if row[count]}


def test_the_row_filters_find_a_tables_codes(tmp_path: Path) -> None:
    """The code filter offered only the rows' own codes, so no T1/T2 row could be listed by it."""
    df = synthetic_scored_frame(20, departments=2, seed=2).assign(table_codes=["T1;T2"] * 12 + [""] * 8)
    writer = HtmlReportWriter(tmp_path / "r.html", SETTINGS)
    writer.write_chunk(df)
    writer.close()
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    offered = re.findall(r'<option value="([^"]*)"', page.split('id="filter-code"')[1].split("</select>")[0])
    assert {"T1", "T2"} <= set(offered)
    assert 'value="table"' in page.split('id="filter-family"')[1].split("</select>")[0]
    rows = re.findall(r'<tr data-families="([^"]*)" data-codes="([^"]*)">', page)
    assert sum("T1" in codes.split() and "table" in families.split() for families, codes in rows) == 12


def test_a_copied_table_without_a_project_or_department_name_is_said(frame: pd.DataFrame, tmp_path: Path) -> None:
    """The copied-tables section and the workbook's copies sheet named such a table by an empty
    string (or 部门未填) where the rest of the report says （未注明项目） and （未注明部门）."""
    acc = ReportAccumulator(5)
    acc.add(frame.head(5))
    acc.copy_clusters = [[TableRef("a", "", "甲局", "a.csv"), TableRef("b", " ", "", "b.csv")]]
    section = render_html(acc, SETTINGS).split('<section id="tables">')[1].split("</section>")[0]
    assert "（未注明项目）（甲局，a.csv）；（未注明项目）（（未注明部门），b.csv）" in section
    writer = XlsxReportWriter(tmp_path / "r.xlsx", SETTINGS)
    writer.accumulator.copy_clusters = acc.copy_clusters
    writer.write_chunk(frame.head(5))
    writer.close()
    rows = list(openpyxl.load_workbook(tmp_path / "r.xlsx")[SETTINGS.sheets["copies"]].iter_rows(values_only=True))
    assert rows[1:] == [(1, "（未注明项目）", "甲局", "a.csv"), (1, "（未注明项目）", "（未注明部门）", "b.csv")]
