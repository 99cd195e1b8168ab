"""The HTML report: one self-contained page a reviewer can open offline or mail around.

Everything is inline (CSS, JS, SVG) and a Content-Security-Policy forbids any network fetch, so the
page works air-gapped and injected markup could not phone home anyway. All cell text comes from
untrusted files and is escaped. The page is built from the accumulator only, so it costs the same
for 1,000 or 10,000,000 rows; the filterable table embeds just the top rows by risk.
"""
from __future__ import annotations

import os
from collections import Counter
from datetime import datetime
from importlib.resources import files
from typing import Any

import pandas as pd

from nlp.codes import catalogue
from nlp.report.accumulator import GroupStats, ReportAccumulator, ScoredRow, department_name, project_name
from nlp.report.rows import display, html_text, split_codes
from nlp.report.settings import ReportSettings
from nlp.report.svg import bar_chart
from nlp.report.writer import ReportWriter
from nlp.schema import FAMILIES, OUTPUT_WORKBOOK_MARK

DEFAULT_TITLE = "预算绩效目标表审核报告"
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


class HtmlReportWriter(ReportWriter):
    """Collect scored chunks; :meth:`close` renders the page and publishes it atomically."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        settings: ReportSettings | None = None,
        accumulator: ReportAccumulator | None = None,
        title: str = DEFAULT_TITLE,
    ) -> None:
        self.title = title
        super().__init__(path, settings, accumulator)

    def write_chunk(self, chunk: pd.DataFrame) -> None:
        self.accumulator.add(chunk)

    def _finish(self) -> None:
        page = render_html(self.accumulator, self.settings, self.title)
        self.target.tmp.write_text(page, encoding="utf-8")


def render_html(acc: ReportAccumulator, settings: ReportSettings, title: str = DEFAULT_TITLE) -> str:
    """The whole page as a string."""
    sections = [
        _header(acc, title),
        _totals(acc, settings),
        _reading(acc, settings),
        _rates(acc, settings),
        _department_chart(acc, settings),
        _projects(acc, settings),
        _tables(acc),
        _row_table(acc, settings),
    ]
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta name="generator" content="{OUTPUT_WORKBOOK_MARK}">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{html_text(title)}</title>\n<style>\n{_css(settings)}</style>\n</head>\n<body>\n"
        + "\n".join(sections)
        + f"\n<script>\n{_asset('report.js')}</script>\n</body>\n</html>\n"
    )


def _header(acc: ReportAccumulator, title: str) -> str:
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    departments = len(acc.departments())
    return (
        f"<header><h1>{html_text(title)}</h1>"
        f'<p class="meta">生成时间 {stamp} · 共 {acc.total.rows:,} 行指标 · {departments:,} 个部门 · '
        "由 indicator-qc 自动生成，结论供审核人员复核参考。</p></header>"
    )


def _totals(acc: ReportAccumulator, settings: ReportSettings) -> str:
    total = acc.total
    cards = [_card("flagged", "存在问题的指标行", total.flagged, total.rows)]
    cards += [
        _card(family, settings.family_label(family), total.families[family], total.rows)
        for family in FAMILIES
    ]
    rows_card = f'<div class="card"><div class="num">{total.rows:,}</div><div>指标行数</div></div>'
    return f'<section id="totals"><div class="cards">{rows_card}{"".join(cards)}</div></section>'


def _reading(acc: ReportAccumulator, settings: ReportSettings) -> str:
    """What reading the inputs noticed and findings left out (rejected in review, in the baseline),
    near the top: what the totals do not count, or were read with a caveat. Nothing when every
    input was read as it is. Each file is named as the command line and the workbook name it: its
    base name alone did not tell 甲县/t.csv from 乙县/t.csv."""
    notes = acc.reading_notes
    if not notes:
        return ""
    shown = notes[:settings.html_rows]
    kinds = "，".join(f"{settings.note_kind(kind)} {count:,} 条" for kind, count in Counter(n.kind for n in notes).items())
    rows = "".join(f"<tr><td>{html_text(settings.note_kind(n.kind))}</td><td>{html_text(n.file)}</td>"
                   f"<td>{html_text(n.location)}</td><td>{html_text(n.message)}</td></tr>" for n in shown)
    more = (f'<p class="note">另有 {len(notes) - len(shown):,} 条未列出（见命令行输出）。</p>'
            if len(notes) > len(shown) else "")
    return ('<section id="reading"><h2>读取和未列出说明</h2>'
            f'<p class="note">{kinds}。未能读取、未读的行和未列出的问题都不在上面的统计里。</p>'
            "<table><thead><tr><th>类型</th><th>文件</th><th>位置</th><th>说明</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>{more}</section>")


def _card(css: str, label: str, count: int, rows: int) -> str:
    return (
        f'<div class="card {css}"><div class="num">{count:,}</div><div>{html_text(label)}</div>'
        f'<div class="sub">占全部行 {_pct(count, rows)}</div></div>'
    )


def _rates(acc: ReportAccumulator, settings: ReportSettings) -> str:
    total = acc.total
    family_rows = "".join(
        f"<tr><td>{_family_tag(family, settings)}</td>{_count_cells(total.families[family], total.rows)}</tr>"
        for family in FAMILIES
    )
    code_rows = "".join(
        f"<tr><td>{_code_tag(code, settings)}</td><td>{html_text(_title(code))}</td>"
        f"<td>{_family_tag(_family(code), settings)}</td>{_count_cells(count, total.rows)}</tr>"
        for code, count in sorted(acc.code_rows(), key=lambda row: -row[1]) if count
    )
    return (
        '<section id="rates"><h2>问题类别与代码</h2>'
        '<table class="families"><thead><tr><th>类别</th><th class="num">问题行数</th>'
        f'<th>占全部行</th></tr></thead><tbody>{family_rows}</tbody></table>'
        '<table class="codes"><thead><tr><th>代码</th><th>名称</th><th>类别</th>'
        f'<th class="num">命中行数</th><th>占全部行</th></tr></thead><tbody>{code_rows}</tbody></table>'
        f'<p class="note">“{html_text(settings.family_label("advisory"))}”类代码（如 B9、M5）只作提醒，不计入问题行；'
        f'“{html_text(settings.family_label("table"))}”代码（T1、T2）说的是整张表，按该表的行数计。</p></section>'
    )


def _count_cells(count: int, rows: int) -> str:
    width = 160 * count / rows if rows else 0
    return (
        f'<td class="num">{count:,}</td>'
        f'<td><span class="bar" style="width:{width:.0f}px"></span>{_pct(count, rows)}</td>'
    )


def _department_chart(acc: ReportAccumulator, settings: ReportSettings) -> str:
    departments = acc.departments()
    shown = departments[: settings.chart_departments]
    items = [(d.department, d.share, f"{d.share:.1%}（{d.flagged:,}/{d.rows:,}）") for d in shown]
    note = ""
    if len(departments) > len(shown):
        note = f'<p class="note">仅显示问题行占比最高的 {len(shown)} 个部门（共 {len(departments)} 个）。</p>'
    chart = bar_chart(items, "各部门问题行占比")
    return f'<section id="departments"><h2>各部门问题行占比</h2>{chart}{note}</section>'


def _projects(acc: ReportAccumulator, settings: ReportSettings) -> str:
    blocks = [
        _project(stats, rows, settings)
        for stats, rows in acc.riskiest_projects(settings.top_projects, settings.rows_per_project)
    ]
    return (
        '<section id="projects"><h2>风险最高的项目</h2>'
        f'<p class="note">按项目内最高风险分排序，每个项目列出风险最高的 {settings.rows_per_project} 行。</p>'
        + "".join(blocks)
        + "</section>"
    )


def _tables(acc: ReportAccumulator) -> str:
    """Tables copied from one another across the batch, and tables missing required dimensions. A
    table's file is named as its rows' ``source_file`` (as the workbook's copies sheet does): its
    base name alone was ``t.csv`` for both ``甲县/t.csv`` and ``乙县/t.csv``."""
    clusters = "".join(
        f"<li>第{number}组：" + "；".join(f"{html_text(project_name(t.project))}（{html_text(department_name(t.department))}，"
                                          f"{html_text(t.file)}）" for t in cluster) + "</li>"
        for number, cluster in enumerate(acc.copy_clusters, start=1))
    gaps = "".join(f"<li>{html_text(department)} / {html_text(project)}：{html_text(codes)}</li>"
                   for (department, project), codes in sorted(acc.table_codes.items()))
    return ('<section id="tables"><h2>整表问题</h2><h3>雷同表（跨项目、部门、文件）</h3>'
            + (f"<ul>{clusters}</ul>" if clusters else '<p class="note">未发现雷同表。</p>')
            + "<h3>缺少必要维度或指标过少的表（T1/T2）</h3>"
            + (f"<ul>{gaps}</ul>" if gaps else '<p class="note">没有。</p>') + "</section>")


def _project(stats: GroupStats, rows: list[ScoredRow], settings: ReportSettings) -> str:
    head = (
        f"<h3>{html_text(stats.project)} <span class=\"meta\">{html_text(stats.department)}</span></h3>"
        f'<p class="meta">指标 {stats.rows:,} 行，问题 {stats.flagged:,} 行（{stats.share:.1%}），'
        f"最高风险分 {stats.risk_max:.2f}</p>"
    )
    body = "".join(
        f"<tr><td>{_cell(row, 'level2')}</td><td>{_cell(row, 'level3')}</td><td>{_value(row)}</td>"
        f'<td class="num">{row.risk:.2f}</td><td>{_tags(row, settings)}</td>'
        f"<td>{html_text(_explanation(row))}</td></tr>"
        for row in rows
    )
    return (
        f'<div class="project">{head}<table><thead><tr><th>二级指标</th><th>三级指标</th>'
        '<th>指标值</th><th class="num">风险分</th><th>问题代码</th><th>说明</th></tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _row_table(acc: ReportAccumulator, settings: ReportSettings) -> str:
    rows = acc.top_rows(settings.html_rows)
    body = "".join(_table_row(row, settings) for row in rows)
    return (
        '<section id="table"><h2>指标明细（可筛选）</h2>'
        f'<p class="note">本页嵌入风险最高的 {len(rows):,} 行（共 {acc.total.rows:,} 行；问题行优先，'
        f"上限 {settings.html_rows:,} 行）。完整结果请查看 XLSX/CSV 输出。</p>"
        f"{_filters(acc, settings)}"
        '<table id="rows"><thead><tr><th class="num">风险分</th><th>部门</th><th>项目</th>'
        '<th>二级指标</th><th>三级指标</th><th>指标值</th><th>问题代码</th><th>说明</th>'
        f"<th>来源</th></tr></thead><tbody>{body}</tbody></table></section>"
    )


def _filters(acc: ReportAccumulator, settings: ReportSettings) -> str:
    families = "".join(
        f'<option value="{family}">{html_text(settings.family_label(family))}</option>'
        for family in (*FAMILIES, "advisory", "table")
    )
    codes = "".join(
        f'<option value="{html_text(code)}">{html_text(code)} {html_text(_title(code))}</option>'
        for code in sorted({*acc.total.codes, *acc.table_code_rows})
    )
    return (
        '<div class="filters">'
        f'<label>类别 <select id="filter-family"><option value="">全部</option>{families}</select></label>'
        f'<label>代码 <select id="filter-code"><option value="">全部</option>{codes}</select></label>'
        '<label>搜索 <input id="filter-text" type="search" placeholder="项目、指标或说明"></label>'
        '<span>显示 <strong id="filter-count">0</strong> 行</span></div>'
    )


def _table_row(row: ScoredRow, settings: ReportSettings) -> str:
    codes = _shown_codes(row)
    families = " ".join(dict.fromkeys(_family(code) for code in codes))
    source = f"{display(row.values.get('source_file'))}:{display(row.values.get('source_line'))}"
    return (
        f'<tr data-families="{html_text(families)}" data-codes="{html_text(" ".join(codes))}">'
        f'<td class="num">{row.risk:.2f}</td><td>{_cell(row, "department")}</td>'
        f'<td>{_cell(row, "project_name")}</td><td>{_cell(row, "level2")}</td>'
        f'<td>{_cell(row, "level3")}</td><td>{_value(row)}</td><td>{_tags(row, settings)}</td>'
        f'<td class="expl">{html_text(_explanation(row))}</td><td>{html_text(source.strip(":"))}</td></tr>'
    )


def _shown_codes(row: ScoredRow) -> list[str]:
    """The row's codes and its table's (T1/T2), so the code and family filters find a table's rows too."""
    return [*row.codes, *split_codes(row.values.get("table_codes"))]


def _tags(row: ScoredRow, settings: ReportSettings) -> str:
    return "".join(_code_tag(code, settings) for code in _shown_codes(row))


def _code_tag(code: str, settings: ReportSettings) -> str:
    family = _family(code)
    label = f"{settings.family_label(family)}：{_title(code)}"
    return f'<span class="tag {html_text(family)}" title="{html_text(label)}">{html_text(code)}</span>'


def _family_tag(family: str, settings: ReportSettings) -> str:
    return f'<span class="tag {html_text(family)}">{html_text(settings.family_label(family))}</span>'


def _explanation(row: ScoredRow) -> str:
    """The scorer's explanation, or the findings' messages when the frame has none."""
    text = display(row.values.get("explanation"))
    return text or "".join(finding.get("message", "") for finding in row.findings)


def _value(row: ScoredRow) -> str:
    return html_text(display(row.values.get("target_value")) + display(row.values.get("unit")))


def _cell(row: ScoredRow, column: str) -> str:
    return html_text(display(row.values.get(column)))


def _family(code: str) -> str:
    return _entry(code).get("family", "advisory")


def _title(code: str) -> str:
    return _entry(code).get("title", code)


def _entry(code: str) -> dict[str, Any]:
    return catalogue().get(code, {})


def _pct(count: int, rows: int) -> str:
    return f"{count / rows:.1%}" if rows else "–"


def _css(settings: ReportSettings) -> str:
    colours = "".join(f"--{name}: {value}; " for name, value in settings.colours.items())
    return f":root {{ {colours}}}\n{_asset('report.css')}"


def _asset(name: str) -> str:
    return files("nlp.report").joinpath(name).read_text(encoding="utf-8")
