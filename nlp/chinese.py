"""Traditional Chinese -> simplified, for analysis only.

Tables reach reviewers from mirror sites and Hong Kong/Taiwan copies in traditional characters
(項目名稱, 滿意度). The lexicons, the jieba dictionary and the models all know simplified text, so
a cell is analysed in its simplified form; the cell itself is never rewritten, and every output
keeps what the source says. OpenCC's ``t2s`` conversion is phrase-aware (乾隆 stays, 乾燥 -> 干燥),
which a character table is not.
"""
from __future__ import annotations

from functools import lru_cache

from nlp.memo import CELL_CACHE_ENTRIES


@lru_cache(maxsize=1)
def _converter() -> object:
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=CELL_CACHE_ENTRIES)
def to_simplified(text: str) -> str:
    """``text`` in simplified characters; ASCII and already-simplified text come back unchanged."""
    if text.isascii():
        return text
    return _converter().convert(text)  # type: ignore[attr-defined]
