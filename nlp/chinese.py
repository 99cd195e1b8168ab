"""Traditional -> simplified Chinese for analysis (OpenCC), never for output.

Mirror sites and Hong Kong/Taiwan copies publish the same tables in traditional characters; the
lexicons, the taxonomy and the models are simplified, so text is converted before it is analysed.
Cells in every output stay as written.
"""
from __future__ import annotations

from functools import lru_cache

import opencc

_CONVERTER = opencc.OpenCC("t2s")


@lru_cache(maxsize=100_000)
def to_simplified(text: str) -> str:
    """``text`` in simplified characters (unchanged when it already is)."""
    return _CONVERTER.convert(text) if text else text
