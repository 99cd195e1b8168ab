"""Inline SVG charts for the HTML report (no chart library, no network).

A horizontal bar chart is all the report needs; drawing it as SVG text keeps the page a single
self-contained file that prints and renders offline.
"""
from __future__ import annotations

from nlp.report.rows import html_text

LABEL_WIDTH = 200
VALUE_WIDTH = 110
BAR_WIDTH = 460
ROW_HEIGHT = 24
LABEL_CHARS = 14


def bar_chart(items: list[tuple[str, float, str]], title: str) -> str:
    """Bars for ``(label, share 0..1, caption)`` items, one row each, shares drawn to scale."""
    height = ROW_HEIGHT * len(items) + 8
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        f"<title>{html_text(title)}</title>",
    ]
    for index, (label, share, caption) in enumerate(items):
        parts.append(_bar(index * ROW_HEIGHT + 4, label, share, caption))
    parts.append("</svg>")
    return "\n".join(parts)


def _bar(y: int, label: str, share: float, caption: str) -> str:
    short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
    length = max(0.0, min(1.0, share)) * BAR_WIDTH
    middle = y + ROW_HEIGHT / 2
    return (
        f'<g><title>{html_text(label)}：{html_text(caption)}</title>'
        f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" dominant-baseline="middle">'
        f"{html_text(short)}</text>"
        f'<rect class="track" x="{LABEL_WIDTH}" y="{y + 3}" width="{BAR_WIDTH}" height="{ROW_HEIGHT - 6}"/>'
        f'<rect class="fill" x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" height="{ROW_HEIGHT - 6}"/>'
        f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{middle}" dominant-baseline="middle">'
        f"{html_text(caption)}</text></g>"
    )
