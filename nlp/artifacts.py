"""Model artifacts on disk: the manifest, and loading that refuses files it cannot vouch for.

Unpickling a joblib file runs code, so an artifact is loaded only if its SHA-256 matches the
manifest written by ``iqc train``. Anything else (missing manifest, edited or swapped file) is an
:class:`ArtifactError` with a message saying what to do.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from importlib.metadata import version
from pathlib import Path
from typing import Any

import joblib

MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"
HASHED_FILES = (MODEL_FILE,)
#: The libraries whose objects are pickled in the model and whose arithmetic fitted it: under other
#: versions a model loads at scikit-learn's "use at your own risk", its scores may move in the last
#: decimals (and a finding's ranked evidence with them), and ``iqc train`` rebuilds other bytes.
MODEL_LIBRARIES = ("scikit-learn", "numpy", "scipy")


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
    """Load an artifact after checking its hash against the manifest; returns (object, manifest).

    scikit-learn's warning for each estimator pickled under another version (four screens of text)
    is left out: :func:`environment_note` says it once, in a line naming the versions, where a
    user will read it."""
    from sklearn.exceptions import InconsistentVersionWarning  # not in the batch's reading process

    manifest = verified_manifest(models_dir, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InconsistentVersionWarning)
        return joblib.load(models_dir / name), manifest


def library_versions() -> dict[str, str]:
    """The installed versions of :data:`MODEL_LIBRARIES` (``iqc train`` records them in the manifest)."""
    return {library: version(library) for library in MODEL_LIBRARIES}


def environment_note(manifest: dict[str, Any]) -> str:
    """One line if this environment's :data:`MODEL_LIBRARIES` differ from those the model was
    built with ("" if they are the same, or the manifest does not say)."""
    built = manifest.get("libraries")
    if not isinstance(built, dict):
        return ""
    here = library_versions()
    differing = {library: built[library] for library in MODEL_LIBRARIES
                 if built.get(library, here[library]) != here[library]}
    if not differing:
        return ""
    listed = ", ".join(f"{library} {built_with} (here {here[library]})" for library, built_with in differing.items())
    wanted = " ".join(f"{library}=={built_with}" for library, built_with in differing.items())
    return (f"the model was built with {listed}: its scores may differ slightly from its model card's; "
            f"`pip install {wanted}` loads it as built, or `iqc train` rebuilds it here")
