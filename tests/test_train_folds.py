"""``iqc train --folds N``: more folds than documents is refused at once, in one line.

Document-grouped folds need a document each. Asked for more, training ran for minutes with fewer
folds than asked (``grouped_splits`` caps them) while the manifest's protocol named the number
asked for.
"""
from __future__ import annotations

from pathlib import Path

from nlp.cli import EXIT_USAGE
from nlp.corpus import load_corpus


def test_more_folds_than_documents_is_a_usage_error_naming_both(iqc, tmp_path: Path) -> None:
    documents = load_corpus()["doc_group"].nunique()
    code, err = iqc("train", "--folds", documents + 1, "--models-dir", tmp_path / "models")
    assert (code, err.count("\n"), "Traceback" in err) == (EXIT_USAGE, 1, False)
    assert f"--folds {documents + 1}" in err and f"{documents} documents" in err
    assert not (tmp_path / "models").exists()
