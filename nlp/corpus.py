"""The labelled training corpus in ``data/corpus/``: real rows with reference labels and provenance.

Every row keeps where it came from (``provenance``: seed document or public table, with its URL or
seed file and line) and the document it belongs to (``doc_group``), which is what grouped
validation splits on. Reviewer disagreements with a reference label are kept *next to* the
reference label (``data/corpus/label_review.tsv``), never by overwriting it.
"""
from __future__ import annotations

import hashlib

import pandas as pd

from nlp.resources import data_path
from nlp.schema import FAMILIES

CORPUS_FILES = ("seed_rows.tsv", "seed_labels.tsv", "public_tables.tsv", "public_labels.tsv")


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(data_path("corpus", name), sep="\t", dtype=str, keep_default_na=False)


def load_corpus() -> pd.DataFrame:
    """All real labelled rows: interchange columns + labels + ``doc_group`` + ``provenance``."""
    seed = _read("seed_rows.tsv").merge(_read("seed_labels.tsv"), on="row_id", validate="1:1")
    seed = seed.assign(
        doc_id=seed["seed_file"].str.slice(0, 3),
        doc_group="seed:" + seed["seed_file"],
        table_id=seed["seed_file"] + "#" + seed["table_no"],
        provenance="seed " + seed["seed_file"] + ":" + seed["source_line"],
    )
    public = _read("public_tables.tsv").merge(_read("public_labels.tsv"), on="row_id", validate="1:1")
    public = public.assign(
        doc_group="public:" + public["doc_id"],
        table_id=public["doc_id"],
        provenance="public " + public["source_url"],
    )
    corpus = pd.concat([seed, public], ignore_index=True).fillna("")
    for family in FAMILIES:
        corpus[family] = corpus[family].astype(int)
    return corpus


def with_reviewed_labels(corpus: pd.DataFrame) -> pd.DataFrame:
    """``corpus`` with the second reviewer's label wherever ``label_review.tsv`` disagrees.

    Training and the headline metrics use the reference labels; this view only reports how the
    same held-out predictions score under the reviewer's reading (see ``LABEL_REVIEW.md``).
    """
    review = _read("label_review.tsv")
    reviewed = corpus.copy()
    position = {row_id: i for i, row_id in enumerate(reviewed["row_id"])}
    for row_id, family, label in zip(review["row_id"], review["family"], review["reviewer"]):
        reviewed.iloc[position[row_id], reviewed.columns.get_loc(family)] = int(label)
    return reviewed


def corpus_sha256() -> str:
    """Hash of the corpus files, recorded in the model manifest."""
    digest = hashlib.sha256()
    for name in CORPUS_FILES:
        digest.update(data_path("corpus", name).read_bytes())
    return digest.hexdigest()
