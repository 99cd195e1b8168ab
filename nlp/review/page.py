"""The review page's HTML: a shell with the batches, filters and the labels ``review.js`` needs.

Labels and family names come from ``data/report.toml`` like the reports', handed to the script in
a ``data-`` attribute, so the page and the workbook never name a column differently. Everything
is escaped; the Content-Security-Policy allows only this server's script and style.
"""
from __future__ import annotations

import json
from html import escape
from importlib.resources import files
from string import Template

from nlp.fingerprints import KEY_CELLS
from nlp.report.settings import load_settings
from nlp.review.items import CONTEXT_CELLS
from nlp.schema import FAMILIES


def render_page(batches: list[dict[str, str]]) -> str:
    """The page, with ``batches`` (newest first) in the batch selector."""
    settings = load_settings()
    labels = {name: settings.label(name) for name in (*KEY_CELLS, *CONTEXT_CELLS)}
    families = {family: settings.family_label(family) for family in FAMILIES}
    options = "".join(f'<option value="{escape(b["id"])}">{escape(b["name"])} · {escape(b["created_at"])}</option>'
                      for b in batches)
    family_options = "".join(f'<option value="{f}">{escape(label)}</option>' for f, label in families.items())
    template = Template(files("nlp.review").joinpath("static", "page.html").read_text(encoding="utf-8"))
    return template.substitute(
        batches=options or '<option value="">（尚无批次，请上传）</option>',
        families=family_options,
        labels=escape(json.dumps({"cells": labels, "families": families}, ensure_ascii=False)),
    )
