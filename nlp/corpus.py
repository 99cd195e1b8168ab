"""The labelled training corpus in ``data/corpus/``: real rows with reference labels and provenance.

The rows come in **collections**: separate collection rounds with their own documents,
provinces and sectors (``seed``: the five seed documents; ``public``: 29 published tables;
``more``: 26 further tables from new sectors). A collection is the unit of the *fresh-source*
figure (train on some collections, test on another), the closest thing here to a reviewer in a
new province, so every row keeps its ``collection`` as well as its document (``doc_group``, what
grouped validation splits on) and where it came from (``provenance``). Reviewer disagreements
with a reference label are kept *next to* the reference label (``data/corpus/label_review.tsv``),
never by overwriting it.
"""
from __future__ import annotations

import hashlib

import pandas as pd

from nlp.evaluate import LabelError, check_labels, one_per_row_id
from nlp.resources import data_path
from nlp.schema import FAMILIES

#: Collection -> (rows file, labels file), in the order they were gathered.
COLLECTIONS: dict[str, tuple[str, str]] = {
    "seed": ("seed_rows.tsv", "seed_labels.tsv"),
    "public": ("public_tables.tsv", "public_labels.tsv"),
    "more": ("more_tables.tsv", "more_labels.tsv"),
}
CORPUS_FILES = tuple(name for pair in COLLECTIONS.values() for name in pair)


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(data_path("corpus", name), sep="\t", dtype=str, keep_default_na=False)


def _labelled(collection: str) -> pd.DataFrame:
    """The collection's rows with their labels; ``LabelError`` naming the file and the row for
    labels the join would misread (see :func:`nlp.evaluate.check_labels`) and for a row without
    its label or a label without its row, which the join would silently leave out of training
    and of every figure."""
    rows_path, labels_path = (data_path("corpus", name) for name in COLLECTIONS[collection])
    rows, labels = _read(rows_path.name), _read(labels_path.name)
    check_labels(labels, labels_path)
    one_per_row_id(rows, rows_path)
    unlabelled = rows["row_id"][~rows["row_id"].isin(set(labels["row_id"]))]
    if len(unlabelled):
        raise LabelError(f"{rows_path}: row_id {unlabelled.iloc[0]!r} has no label in {labels_path}")
    rowless = labels["row_id"][~labels["row_id"].isin(set(rows["row_id"]))]
    if len(rowless):
        raise LabelError(f"{labels_path}: row_id {rowless.iloc[0]!r} is not among the rows of {rows_path}")
    return rows.merge(labels, on="row_id", validate="1:1").assign(collection=collection)


def _seed_context(seed: pd.DataFrame) -> pd.DataFrame:
    """Seed rows are identified by seed file and table number, not by doc_id/source_url."""
    return seed.assign(
        doc_id=seed["seed_file"].str.slice(0, 3),
        doc_group="seed:" + seed["seed_file"],
        table_id=seed["seed_file"] + "#" + seed["table_no"],
        provenance="seed " + seed["seed_file"] + ":" + seed["source_line"],
    )


def _published_context(frame: pd.DataFrame, collection: str) -> pd.DataFrame:
    """Published tables: a table is one project's rows of a document; provenance is the URL."""
    return frame.assign(
        doc_group=collection + ":" + frame["doc_id"],
        table_id=frame["doc_id"] + "#" + frame["project_name"],
        provenance=collection + " " + frame["source_url"],
    )


def load_corpus(collections: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Real labelled rows of ``collections`` (default: all): interchange columns + labels +
    ``collection`` + ``doc_group`` + ``provenance``."""
    parts = []
    for collection in collections or tuple(COLLECTIONS):
        frame = _labelled(collection)
        parts.append(_seed_context(frame) if collection == "seed" else _published_context(frame, collection))
    corpus = pd.concat(parts, ignore_index=True).fillna("")
    for family in FAMILIES:
        corpus[family] = corpus[family].astype(int)
    return corpus


def with_reviewed_labels(corpus: pd.DataFrame) -> pd.DataFrame:
    """``corpus`` with the second reviewer's label wherever ``label_review.tsv`` disagrees.

    Training and the headline metrics use the reference labels; this view only reports how the
    same held-out predictions score under the reviewer's reading (see ``LABEL_REVIEW.md``).
    Reviews of rows outside ``corpus`` are ignored.
    """
    review = _read("label_review.tsv")
    reviewed = corpus.copy()
    position = {row_id: i for i, row_id in enumerate(reviewed["row_id"])}
    for row_id, family, label in zip(review["row_id"], review["family"], review["reviewer"]):
        if row_id in position:
            reviewed.iloc[position[row_id], reviewed.columns.get_loc(family)] = int(label)
    return reviewed


def corpus_sha256() -> str:
    """Hash of the corpus files, recorded in the model manifest."""
    digest = hashlib.sha256()
    for name in CORPUS_FILES:
        digest.update(data_path("corpus", name).read_bytes())
    return digest.hexdigest()
