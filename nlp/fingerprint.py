"""The fingerprint of everything scoring depends on besides the model's own weights.

A model's weights are only right for the rules, lexicons, taxonomy and thresholds it was trained
with: the ``rule=C8`` weight means nothing once C8's definition changes, and an edited lexicon
silently moves every cue feature. ``iqc train`` records this fingerprint in the manifest and
:func:`check` refuses a model whose fingerprint differs, saying which files changed and to run
``iqc train``.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from nlp.artifacts import ArtifactError, verified_manifest
from nlp.resources import data_path

_PACKAGE = Path(__file__).resolve().parent
#: Data files read while scoring a row (readers' vocabularies are not: they do not change a score).
SCORING_DATA = ("codes.toml", "taxonomy.toml", "tables.toml", "lexicons/cues.toml", "lexicons/values.toml",
                "lexicons/userdict.txt")
#: Modules whose code turns a row into features and findings.
#: (Table findings T1/T2 are left out: ``completeness`` changes what is reported, never a model input.)
SCORING_SOURCE = ("rules.py", "context.py", "table_pairs.py", "features.py", "values.py", "cues.py", "categories.py",
                  "chinese.py", "model.py", "copies.py")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scoring_files() -> dict[str, str]:
    """``data/<file>`` and ``nlp/<module>`` -> SHA-256, for every file in the fingerprint."""
    files = {f"data/{name}": _sha256(data_path(name)) for name in SCORING_DATA}
    files.update({f"nlp/{name}": _sha256(_PACKAGE / name) for name in SCORING_SOURCE})
    return files


def scoring_fingerprint() -> dict[str, object]:
    """``{"sha256": <one hash over all files>, "files": {path: sha256}}`` for the manifest."""
    files = scoring_files()
    combined = hashlib.sha256("".join(f"{path}={digest}\n" for path, digest in sorted(files.items())).encode())
    return {"sha256": combined.hexdigest(), "files": files}


def check(manifest: dict) -> None:
    """Raise :class:`ArtifactError` unless the model was trained with today's rules and data."""
    recorded = manifest.get("fingerprint") or {}
    current = scoring_fingerprint()
    if recorded.get("sha256") == current["sha256"]:
        return
    old = recorded.get("files", {})
    changed = sorted(path for path, digest in current["files"].items() if old.get(path) != digest)
    raise ArtifactError("the model was trained with other rules, lexicons or data than these "
                        f"({', '.join(changed) or 'no fingerprint in the manifest'} changed); "
                        "run `iqc train` to rebuild it")


def check_model(models_dir: Path) -> None:
    """Raise :class:`ArtifactError` unless the model in ``models_dir`` matches its manifest and
    today's rules and data -- without unpickling it. The batch checks here before it starts
    workers: a worker whose model fails to load dies, and its pool starts another, forever."""
    check(verified_manifest(models_dir))
