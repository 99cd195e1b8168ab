"""``iqc train`` rebuilds ``models/`` bit for bit from ``data/``, and reports the fresh-source figure."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlp.artifacts import environment_note, read_manifest
from nlp.resources import models_path
from nlp.train import FRESH_SOURCE_SPLITS


@pytest.fixture(scope="module")
def retrained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``iqc train`` as a user runs it: a fresh process, so no other test's state can leak in."""
    models = tmp_path_factory.mktemp("models")
    done = subprocess.run([sys.executable, "-c", "from nlp.cli import main; raise SystemExit(main())",
                           "train", "--models-dir", str(models)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return models


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_train_rebuilds_the_bundled_models_bit_for_bit(retrained: Path) -> None:
    bundled = sorted(p.name for p in models_path().iterdir() if p.is_file())
    assert sorted(p.name for p in retrained.iterdir()) == bundled
    elsewhere = environment_note(read_manifest(models_path()))  # other versions fit other bytes
    for name in bundled:
        assert _digest(retrained / name) == _digest(models_path(name)), f"{name} {elsewhere}"


def test_the_manifest_reports_fresh_source_figures_in_both_directions(retrained: Path) -> None:
    metrics = json.loads((retrained / "manifest.json").read_text(encoding="utf-8"))["metrics"]
    assert len(metrics["fresh_source"]) == len(FRESH_SOURCE_SPLITS) == 2
    for result in [*metrics["fresh_source"].values(), metrics["grouped_cv"]]:
        for key in ("model", "model_flag_or_review", "keyword_baseline"):
            assert 0.0 <= result[key]["macro_f1"] <= 1.0
        low, high = result["macro_f1_90pct_interval"]
        assert low <= result["model"]["macro_f1"] <= high
        assert result["codes"]

