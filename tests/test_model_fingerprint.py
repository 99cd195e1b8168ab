"""A model is only loaded with the rules, lexicons and data it was trained with."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nlp
from nlp import fingerprint
from nlp.artifacts import ArtifactError
from nlp.resources import models_path


def test_the_bundled_model_matches_todays_rules_and_data() -> None:
    nlp.load()  # raises if anything scoring depends on changed since `iqc train`


@pytest.mark.parametrize("changed", ["data/lexicons/cues.toml", "data/taxonomy.toml", "nlp/rules.py"])
def test_a_changed_lexicon_or_rule_is_refused_with_what_to_do(changed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    files = fingerprint.scoring_files()
    files[changed] = "0" * 64
    monkeypatch.setattr(fingerprint, "scoring_files", lambda: files)
    with pytest.raises(ArtifactError, match=f"{re.escape(changed)}.*iqc train"):
        nlp.load()


def test_a_manifest_without_a_fingerprint_is_refused(tmp_path: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(models_path(), models)
    manifest = (models / "manifest.json").read_text(encoding="utf-8")
    start = manifest.index('"fingerprint"')
    end = manifest.index('"metrics"')
    (models / "manifest.json").write_text(manifest[:start] + manifest[end:], encoding="utf-8")
    with pytest.raises(ArtifactError, match="iqc train"):
        nlp.load(models)


def test_the_cli_says_so_in_one_line(iqc, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    files = fingerprint.scoring_files()
    files["data/taxonomy.toml"] = "0" * 64
    monkeypatch.setattr(fingerprint, "scoring_files", lambda: files)
    source = tmp_path / "rows.csv"
    source.write_text("level3,target_value\n质量指标,≥95%\n", encoding="utf-8")
    code, err = iqc("score", source, "-o", tmp_path / "out.csv", "--quiet")
    assert code != 0
    assert "iqc train" in err and "Traceback" not in err


def test_a_stale_model_stops_a_parallel_batch_at_once(tmp_path: Path) -> None:
    """With ``--jobs 2`` the model is loaded in the workers; a worker that cannot load it dies and
    its pool starts another, forever. The batch must refuse before any worker starts."""
    models = tmp_path / "models"
    shutil.copytree(models_path(), models)
    manifest = (models / "manifest.json").read_text(encoding="utf-8")
    recorded = re.search(r'"sha256": "([0-9a-f]{64})"', manifest[manifest.index('"fingerprint"'):]).group(1)
    (models / "manifest.json").write_text(manifest.replace(recorded, "0" * 64), encoding="utf-8")
    source = tmp_path / "rows.csv"
    source.write_text("level3,target_value\n质量指标,≥95%\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "nlp.cli", "score", str(source), "-o", str(tmp_path / "out.csv"),
                           "--jobs", "2", "--models-dir", str(models), "--quiet"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert done.stderr.count("iqc train") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "out.csv").exists()


def test_a_damaged_manifest_is_refused_in_one_line(iqc, tmp_path: Path) -> None:
    """A manifest cut short (``iqc train`` on a full disk) must not become a traceback in every command."""
    models = tmp_path / "models"
    shutil.copytree(models_path(), models)
    manifest = models / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8")[:500], encoding="utf-8")
    with pytest.raises(ArtifactError, match="damaged model manifest.*iqc train"):
        nlp.load(models)
    source = tmp_path / "rows.csv"
    source.write_text("level3,target_value\n质量指标,≥95%\n", encoding="utf-8")
    code, err = iqc("score", source, "-o", tmp_path / "out.csv", "--models-dir", models)
    assert code != 0 and "damaged model manifest" in err and "Traceback" not in err


@pytest.mark.parametrize("text", ["[]\n", "null\n", '{"artifacts": null}\n', '{"artifacts": ["model.joblib"]}\n'],
                         ids=["a list", "null", "artifacts null", "artifacts a list"])
def test_a_manifest_that_is_not_a_table_of_artifacts_is_refused_in_one_line(iqc, tmp_path: Path, text: str) -> None:
    """Valid JSON of another shape (edited by hand, written by something else) must not become an
    AttributeError in every command."""
    models = tmp_path / "models"
    shutil.copytree(models_path(), models)
    (models / "manifest.json").write_text(text, encoding="utf-8")
    with pytest.raises(ArtifactError, match="damaged model manifest.*iqc train"):
        nlp.load(models)
    for command in (("config", "show"), ("score", tmp_path / "none.csv", "-o", tmp_path / "out.csv")):
        code, err = iqc(*command, "--models-dir", models)
        assert code != 0 and "damaged model manifest" in err and "Traceback" not in err
