"""``iqc review import`` of files reviewers have worked on: every decision lands on its own
finding, or a one-line problem names the file, sheet and row; nothing is dropped unsaid."""
from __future__ import annotations

from pathlib import Path

from nlp.review.exchange import read_decisions

KEY = "ab" * 32


def test_an_export_row_without_a_usable_key_or_code_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    """A short line (the reviewer moved the key column to the end) raised KeyError; a blank key
    or code was stored as a decision that no finding could ever match."""
    path = tmp_path / "export.csv"
    path.write_text(f"decision,code,key\n驳回,B1\n驳回,B1,\n驳回,,{KEY}\n驳回,B1,{KEY}\n", encoding="utf-8")
    imported = read_decisions(path)
    assert [(d.key, d.code, d.decision) for d in imported.decisions] == [(KEY, "B1", "reject")]
    assert imported.problems == ["export.csv:2: key must be the finding's 64-character key, not ''",
                                 "export.csv:3: key must be the finding's 64-character key, not ''",
                                 "export.csv:4: code is empty"]


def test_a_csv_saved_by_excel_in_the_chinese_ansi_encoding_imports(tmp_path: Path) -> None:
    """Excel's plain "CSV (逗号分隔)" save writes GBK on a Chinese Windows; the import read
    UTF-8 only and refused the file, so a reviewer's decisions could not be loaded at all."""
    path = tmp_path / "export.csv"
    path.write_bytes(f"key,code,decision,comment\n{KEY},B1,驳回,指标值已在说明中定义\n".encode("gb18030"))
    [decision] = read_decisions(path).decisions
    assert (decision.decision, decision.comment) == ("reject", "指标值已在说明中定义")
