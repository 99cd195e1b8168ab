"""The wheel works away from the checkout: built, installed into a fresh venv, it scores the samples.

A plain ``pip install .`` used to give a package without ``data/`` and ``models/`` that failed
with ``FileNotFoundError`` on first use; nothing in an editable checkout would notice. The venv
sees the system site-packages so the dependencies are not downloaded again; only the build
backend (``setuptools``, as ``pip install .`` fetches it) may be.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
_OFFLINE = ("Could not find a version that satisfies the requirement", "NewConnectionError",
            "Temporary failure in name resolution")


def _run(*args: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _clean_env() -> dict[str, str]:
    """No PYTHONPATH (a worktree on it would shadow the installed package), no IQC_HOME."""
    return {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "IQC_HOME"}}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    shutil.copytree(ROOT, source, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".git", "build", "*.egg-info", "__pycache__", ".*cache"))
    dist = tmp_path_factory.mktemp("dist")
    built = _run(sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", dist, cwd=source, env=_clean_env())
    if built.returncode and any(marker in built.stdout + built.stderr for marker in _OFFLINE):
        pytest.skip("the build backend cannot be fetched (offline)")
    assert built.returncode == 0, built.stdout + built.stderr
    return next(dist.glob("indicator_qc-*.whl"))


def test_wheel_carries_data_and_models_and_scores_the_samples(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    env = _clean_env()
    installed = _run(python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", wheel, cwd=tmp_path, env=env)
    assert installed.returncode == 0, installed.stderr

    elsewhere = tmp_path / "elsewhere"
    samples = elsewhere / "samples"
    shutil.copytree(ROOT / "data" / "samples", samples, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    located = _run(python, "-c", "import nlp.resources as r; print(r.models_path('manifest.json'))", cwd=elsewhere, env=env)
    manifest = Path(located.stdout.strip())
    assert manifest.is_relative_to(env_dir) and manifest.parts[-4:] == ("nlp", "_home", "models", "manifest.json")

    scored = _run(env_dir / "bin" / "iqc", "score", samples, "-o", "scored.csv", "--quiet", cwd=elsewhere, env=env)
    assert scored.returncode == 0, scored.stderr
    result = pd.read_csv(elsewhere / "scored.csv", dtype=str, keep_default_na=False)
    assert len(result) > 200 and {"flag_boilerplate", "codes", "risk"} <= set(result.columns)
    assert result["risk"].astype(float).between(0, 1).all()

