"""indicator-qc: flag boilerplate, category-mismatched and unmeasurable budget performance indicators.

>>> import nlp
>>> scorer = nlp.load()                      # verifies the model's SHA-256 against the manifest
>>> scorer.score([{"level2": "数量指标", "level3": "完成项目数量", "target_value": "≥95%"}])  # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nlp.config import Config
    from nlp.scorer import Scorer

__version__ = "0.2.0"


def load(models_dir: Path | None = None, memo_bytes: int | None = None, config: "Config | None" = None) -> "Scorer":
    """Load the bundled model (or the one in ``models_dir``) and return a :class:`~nlp.scorer.Scorer`.

    ``memo_bytes``: how much memory the scorer's remembered rows may take (``0`` scores every row
    afresh; :mod:`nlp.memo`).
    ``config``: an ``iqc.toml`` (``nlp.config.load_config(path)``) applied to every result.
    """
    from nlp.scorer import DEFAULT_MEMO_BYTES, load as _load

    return _load(models_dir, DEFAULT_MEMO_BYTES if memo_bytes is None else memo_bytes, config)
