"""The analysed view of a cell: traditional cells read as simplified (nlp.chinese.to_simplified),
simplified ones untouched, invisible characters left out (nlp.context.visible)."""
from __future__ import annotations

import pandas as pd
import pytest

from nlp.chinese import to_simplified


@pytest.mark.parametrize(("traditional", "simplified"), [
    ("項目名稱", "项目名称"),
    ("服務對象滿意度", "服务对象满意度"),
    ("≥95%", "≥95%"),
    ("縣級儲備糧管理制度嚴格執行率", "县级储备粮管理制度严格执行率"),
    ("乾燥", "干燥"),  # phrase-aware: 乾 is 干 here ...
    ("乾隆", "乾隆"),  # ... and stays in a name
    ("", ""),
    ("level3", "level3"),
])
def test_converts_traditional_text(traditional: str, simplified: str) -> None:
    assert to_simplified(traditional) == simplified


def test_corpus_rows_are_already_simplified_and_come_back_unchanged(public_tables: pd.DataFrame) -> None:
    cells = {cell for column in ("level1", "level2", "level3", "target_value") for cell in public_tables[column]}
    changed = {cell: to_simplified(cell) for cell in cells if to_simplified(cell) != cell}
    assert not changed


def test_traditional_copy_of_the_corpus_reads_as_the_corpus(public_tables: pd.DataFrame) -> None:
    from opencc import OpenCC

    to_traditional = OpenCC("s2t").convert
    names = public_tables["level3"].drop_duplicates()
    traditional = names.map(to_traditional)
    assert (traditional != names).mean() > 0.5  # the copy really is in traditional characters
    assert (traditional.map(to_simplified) == names).mean() > 0.97  # round trip, bar s2t ambiguities


def test_repeated_cells_are_remembered() -> None:
    to_simplified.cache_clear()
    for _ in range(3):
        to_simplified("滿意度")
    assert to_simplified.cache_info().hits == 2


def test_invisible_characters_do_not_change_a_row(public_tables: pd.DataFrame) -> None:
    """A zero-width space, a word joiner or a BOM pasted into cells: the reviewer sees the same
    row, so it scores the same; its output keeps the cells as written."""
    import nlp

    rows = public_tables.head(40).reset_index(drop=True)
    pasted = rows.copy()
    for column, mark in (("level3", "\u200b"), ("target_value", "\u2060"), ("level2", "\ufeff"), ("description", "\u200d")):
        pasted[column] = pasted[column] + mark
    scorer = nlp.load()
    plain, copied = scorer.score_frame(rows), scorer.score_frame(pasted)
    compared = ["flag_boilerplate", "flag_mismatch", "flag_unmeasurable", "score_boilerplate", "score_mismatch",
                "score_unmeasurable", "codes"]
    pd.testing.assert_frame_equal(copied[compared], plain[compared])
    assert copied["level3"].str.endswith("\u200b").all()
    row = rows.iloc[0].to_dict()
    [alone] = scorer.score([row])
    [record] = scorer.score([{**row, "level3": row["level3"] + "\u200b"}])  # the API's path
    assert (record["codes"], record["score_boilerplate"]) == (alone["codes"], alone["score_boilerplate"])
