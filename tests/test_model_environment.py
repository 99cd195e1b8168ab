"""A model built under other library versions loads with one line saying so, not four screens of
scikit-learn's warnings and not in silence."""
from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import joblib
import pytest
from sklearn.exceptions import InconsistentVersionWarning

from nlp import artifacts
from nlp.artifacts import MODEL_LIBRARIES, environment_note, library_versions, load_verified, read_manifest
from nlp.resources import models_path


def test_the_bundled_manifest_names_the_versions_it_was_built_with() -> None:
    assert set(read_manifest(models_path())["libraries"]) == set(MODEL_LIBRARIES)


def test_no_note_under_the_versions_the_model_was_built_with() -> None:
    assert environment_note({"libraries": library_versions()}) == ""


def test_no_note_for_a_manifest_that_does_not_say() -> None:
    assert environment_note({}) == ""
    assert environment_note({"libraries": None}) == ""


def test_the_note_names_each_differing_library_and_the_way_back() -> None:
    built = {**library_versions(), "scikit-learn": "0.0.1"}
    note = environment_note({"libraries": built})
    here = library_versions()["scikit-learn"]
    assert f"scikit-learn 0.0.1 (here {here})" in note
    assert "pip install scikit-learn==0.0.1" in note and "iqc train" in note
    assert "numpy" not in note and "\n" not in note


def test_scikit_learns_own_version_warnings_are_left_to_the_note(monkeypatch: pytest.MonkeyPatch) -> None:
    def unpickled_elsewhere(path: Path) -> object:
        warnings.warn(InconsistentVersionWarning(estimator_name="LogisticRegression",
                                                 current_sklearn_version="1.6.1", original_sklearn_version="1.9.1"))
        return "model"

    monkeypatch.setattr(joblib, "load", unpickled_elsewhere)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model, manifest = load_verified(models_path())
    assert model == "model" and manifest["libraries"]


@pytest.fixture
def models_built_elsewhere(tmp_path: Path) -> Path:
    models = tmp_path / "models"
    shutil.copytree(models_path(), models)
    manifest = read_manifest(models)
    manifest["libraries"]["numpy"] = "0.0.1"
    (models / artifacts.MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return models


def test_iqc_score_says_it_once_and_scores(iqc, models_built_elsewhere: Path, tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("level3,target_value\n质量指标,≥95%\n", encoding="utf-8")
    code, err = iqc("score", source, "-o", tmp_path / "out.csv", "--models-dir", models_built_elsewhere,
                    "--jobs", "1", "--quiet")
    assert code == 0 and (tmp_path / "out.csv").is_file()
    assert err.count("numpy 0.0.1") == 1 and "Traceback" not in err and "InconsistentVersionWarning" not in err


def test_iqc_serve_says_it_at_start_up_and_the_api_names_the_versions(monkeypatch: pytest.MonkeyPatch,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    from fastapi.testclient import TestClient

    from nlp.api import ApiSettings, create_app

    monkeypatch.setattr(artifacts, "library_versions", lambda: dict.fromkeys(MODEL_LIBRARIES, "0.0.1"))
    settings = ApiSettings.from_env({"IQC_REQUEST_HELPERS": "0"})
    with caplog.at_level("WARNING"), TestClient(create_app(settings=settings)) as client:
        info = client.get("/v1/model").json()
    assert info["libraries"] == read_manifest(models_path())["libraries"]
    said = [record.getMessage() for record in caplog.records if "0.0.1" in record.getMessage()]
    assert len(said) == 1 and "scikit-learn" in said[0]
