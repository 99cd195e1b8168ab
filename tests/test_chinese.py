"""nlp.chinese.to_simplified: traditional cells read as simplified, simplified ones untouched."""
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
