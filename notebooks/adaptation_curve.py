"""What a new collection's reviewed tables do for its other tables: an adaptation curve.

``iqc train --feedback`` adds reviewers' decided rows to the fit. Whether that helps the next
tables of the same province is measured here, as the fresh-source figures are: the system is
fitted on two collections plus ``k`` documents of the third, drawn at random and added as
``--feedback`` adds reviewed rows, and scores the third collection's other documents; the model
without those ``k`` documents scores the same documents beside it (a paired difference, since
which documents remain moves macro F1 by itself).

    python notebooks/adaptation_curve.py                      # k = 5 and 10, five draws each
    python notebooks/adaptation_curve.py --documents 5 --repeats 2
"""
from __future__ import annotations

import argparse
from collections.abc import Iterator

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from nlp.corpus import load_corpus
from nlp.evaluate import family_metrics
from nlp.schema import FAMILIES
from nlp.train import FRESH_SOURCE_SPLITS, fit_system, score_held_out


def adaptation_curve(corpus: pd.DataFrame, documents: list[int], repeats: int) -> pd.DataFrame:
    """One row per (direction, k, draw): macro F1 and per-family P/F1 of the model with the ``k``
    reviewed documents, and macro F1 of the model without them, on the same remaining documents."""
    return pd.DataFrame(list(_measured(corpus, documents, repeats)))


def _measured(corpus: pd.DataFrame, documents: list[int], repeats: int) -> Iterator[dict]:
    for train_collections, test_collection in FRESH_SOURCE_SPLITS:
        train = corpus[corpus["collection"].isin(train_collections)]
        new = corpus[corpus["collection"] == test_collection]
        without = score_held_out(fit_system(train.reset_index(drop=True)), new)
        names = np.array(sorted(new["doc_group"].unique()))
        for draw in range(repeats):
            order = np.random.default_rng(draw).permutation(names)
            for k in documents:
                reviewed, rest = new[new["doc_group"].isin(order[:k])], new[new["doc_group"].isin(order[k:])]
                model = fit_system(train.reset_index(drop=True), reviewed=reviewed.reset_index(drop=True))
                with_reviewed = family_metrics(rest, score_held_out(model, rest))
                yield {"direction": f"{'+'.join(train_collections)} -> {test_collection}", "k": k, "draw": draw,
                       "macro_f1": with_reviewed["macro_f1"],
                       "macro_f1_without": family_metrics(rest, without.loc[rest.index])["macro_f1"],
                       **{f"{family}_precision": with_reviewed[family]["precision"] for family in FAMILIES},
                       **{f"{family}_f1": with_reviewed[family]["f1"] for family in FAMILIES}}


def summary(curve: pd.DataFrame) -> pd.DataFrame:
    """Mean (min–max over draws) of each figure, per direction and ``k``."""
    figures = [column for column in curve.columns if column not in ("direction", "k", "draw")]
    grouped = curve.groupby(["direction", "k"])[figures]
    mean, low, high = grouped.mean(), grouped.min(), grouped.max()
    return mean.round(3).astype(str) + " (" + low.round(2).astype(str) + "–" + high.round(2).astype(str) + ")"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", default="5,10", help="numbers of reviewed documents, comma-separated")
    parser.add_argument("--repeats", type=int, default=5, help="random draws of the reviewed documents")
    args = parser.parse_args(argv)
    with threadpool_limits(limits=1):
        curve = adaptation_curve(load_corpus(), [int(k) for k in args.documents.split(",")], args.repeats)
    print(summary(curve).T.to_string())


if __name__ == "__main__":
    main()
