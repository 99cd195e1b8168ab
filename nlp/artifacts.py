"""Model artifacts on disk: the manifest, and loading that refuses files it cannot vouch for.

Unpickling a joblib file runs code, so an artifact is loaded only if its SHA-256 matches the
manifest written by ``iqc train``. Anything else (missing manifest, edited or swapped file) is an
:class:`ArtifactError` with a message saying what to do.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import joblib

MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
HASHED_FILES = (MODEL_FILE,)


class ArtifactError(RuntimeError):
    """The model directory cannot be trusted or read."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(models_dir: Path, **fields: Any) -> dict[str, Any]:
    """Write ``manifest.json`` with the given fields plus the SHA-256 of every artifact."""
    manifest = dict(fields)
    manifest["artifacts"] = {name: sha256_of(models_dir / name) for name in HASHED_FILES}
    (models_dir / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                            encoding="utf-8")
    return manifest


def read_manifest(models_dir: Path) -> dict[str, Any]:
    path = models_dir / MANIFEST_FILE
    if not path.is_file():
        raise ArtifactError(f"{path}: no model manifest; run `iqc train` to build the model")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:  # cut short by a full disk, edited by hand
        raise ArtifactError(f"{path}: damaged model manifest ({error}); run `iqc train` to rebuild it") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("artifacts"), dict):  # else an AttributeError
        raise ArtifactError(f"{path}: damaged model manifest (not an object with an \"artifacts\" table); "
                            "run `iqc train` to rebuild it")
    return manifest


def verified_manifest(models_dir: Path, name: str = MODEL_FILE) -> dict[str, Any]:
    """The manifest, once the artifact's SHA-256 is checked against it (nothing is unpickled)."""
    manifest = read_manifest(models_dir)
    path = models_dir / name
    expected = manifest.get("artifacts", {}).get(name)
    if not path.is_file():
        raise ArtifactError(f"{path}: artifact missing; run `iqc train`")
    actual = sha256_of(path)
    if expected != actual:
        raise ArtifactError(f"{path}: SHA-256 {actual[:12]}… does not match the manifest "
                            f"({str(expected)[:12]}…); refusing to load it. Rebuild with `iqc train`.")
    return manifest


def load_verified(models_dir: Path, name: str = MODEL_FILE) -> tuple[Any, dict[str, Any]]:
    """Load an artifact after checking its hash against the manifest; returns (object, manifest)."""
    manifest = verified_manifest(models_dir, name)
    return joblib.load(models_dir / name), manifest
