"""Featurisation: from analysed rows to one sparse matrix shared by every classifier.

Three kinds of features, each readable in an explanation:

* **text** -- jieba tokens of the name, description and value (word uni/bi-grams, prefixed by the
  cell they come from) and character n-grams of the name and value (robust to segmentation);
* **structure** -- the parsed value (kind, comparator, unit class, impossibilities), what the name
  measures crossed with the declared 二级 (the heart of category mismatch), lexicon cue groups per
  cell, project context (does the project act on the environment), table facts (shared values,
  duplicates, copied tables) and every rule that fired (``rule=B3``);
* **category fit** -- added by :mod:`nlp.model` from the 二级 classifier.

:class:`AnalysedRows` is the unit of work: the frame's rows analysed once (contexts + rule hits)
so that all classifiers reuse the same analysis.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer

from nlp.codes import family_of
from nlp.context import (Columns, RowContext, TableFacts, budget_band, build_context, column_records, frame_columns,
                         table_facts)
from nlp.rules import run_rules


@dataclass(slots=True)
class AnalysedRows:
    """Rows of a frame with their contexts and rule hits, in frame order."""

    contexts: list[RowContext]
    hits: list[dict[str, str]]

    def __len__(self) -> int:
        return len(self.contexts)

    def subset(self, index: np.ndarray | list[int]) -> "AnalysedRows":
        return AnalysedRows([self.contexts[i] for i in index], [self.hits[i] for i in index])


def analyse_frame(frame: pd.DataFrame) -> AnalysedRows:
    """Analyse every row of ``frame``; table facts use the rows' tables within this frame."""
    columns = frame_columns(frame)
    return analyse_columns(columns, table_facts(columns), range(len(frame)))


def analyse_columns(columns: Columns, facts: list[TableFacts], positions: Iterable[int]) -> AnalysedRows:
    """Analyse the rows at ``positions`` (the scorer passes only the distinct ones)."""
    positions = list(positions)
    return analyse_records(column_records(columns, positions), [facts[i] for i in positions])


def analyse_records(records: list[dict[str, str]], facts: list[TableFacts]) -> AnalysedRows:
    """Analyse rows given as cells and their table facts: all a row's analysis needs, so rows can
    be analysed apart from their frame (in another process, :mod:`nlp.helper_pool`)."""
    contexts = [build_context(record, table) for record, table in zip(records, facts)]
    return AnalysedRows(contexts, [run_rules(ctx) for ctx in contexts])


def _text_tokens(ctx: RowContext) -> list[str]:
    """Word uni- and bigrams of the name, description and value, prefixed by their cell
    (``n:满意度``, ``n:群众_满意度``). A bigram is its first word's prefixed unigram, ``_`` and the
    second word: one join per bigram instead of formatting the prefix and both words again."""
    tokens: list[str] = []
    for prefix, analysis in (("n:", ctx.name_cues), ("d:", ctx.description_cues), ("v:", ctx.value_cues)):
        words = [w for w in analysis.tokens if w.strip()]
        unigrams = [prefix + w for w in words]
        tokens += unigrams
        tokens += map("_".join, zip(unigrams, words[1:]))
    return tokens


@lru_cache(maxsize=4096)
def log1p_length(length: int) -> float:
    """``float(np.log1p(length))``, remembered: a cell's length is a small number that repeats
    across rows, and numpy's ufunc call on one Python int costs more than the row's other
    features of its kind (numpy's own value kept, not ``math.log1p``'s, so features stay the same)."""
    return float(np.log1p(length))


def _char_text(ctx: RowContext) -> str:
    return f"^{ctx.name}$ |{ctx.value.normalized}|"


#: indicator-rules §6.6's lexicons say what a *project* acts on (生态效益 plausible or not); in a cell
#: they would read a row's subject as a category signal whatever it is filed under (供水 in a 社会效益
#: 集中供水率 pushed it towards a mismatch), so only the project's cues use them.
_PROJECT_CONTEXT_GROUPS = frozenset({"env_domain", "nonenv_domain"})


def structured_features(ctx: RowContext, hits: dict[str, str]) -> dict[str, float]:
    """Named structure features of one row (see module docstring)."""
    value = ctx.value
    level2 = ctx.level2.name if ctx.level2.known else ("unknown" if ctx.level2.name else "none")
    level1 = ctx.level1.name if ctx.level1.known else ("unknown" if ctx.level1.name else "none")
    value_class = "time" if value.kind in {"date", "deadline", "duration"} else (value.unit_class or value.kind)
    features: dict[str, float] = {
        f"l2={level2}": 1.0,
        f"l1={level1}": 1.0,
        f"l1xl2={level1}|{level2}": 1.0,
        f"kind={value.kind}": 1.0,
        f"cmp={value.comparator or 'none'}": 1.0,
        f"uclass={value.unit_class or 'none'}": 1.0,
        f"ntype={ctx.name_type}": 1.0,
        f"ntype_x_l2={ctx.name_type}|{level2}": 1.0,
        f"vclass_x_l2={value_class}|{level2}": 1.0,
        f"ntype_x_vclass={ctx.name_type}|{value_class}": 1.0,
        f"cmp_x_l2={value.comparator or 'none'}|{level2}": 1.0,
        f"budget={budget_band(ctx.budget_wan)}": 1.0,
        "value_malformed": float(value.malformed),
        "value_excel_serial": float(value.excel_serial),
        "value_over_100pct": float(value.unit_class == "percent" and (value.number or 0) > 100),
        "value_is_100pct": float(value.unit_class == "percent" and value.number == 100),
        "value_has_amount": float(value.has_amount),
        "value_len_log": log1p_length(len(ctx.value_text)),
        "name_len_log": log1p_length(len(ctx.name)),
        "desc_empty": float(not ctx.description.strip() or ctx.description.strip() == "无"),
        "has_criteria": float(ctx.has_criteria),
        "project_env": float(ctx.project_cues.has("env_domain")),
        "project_nonenv": float(ctx.project_cues.has("nonenv_domain")),
        f"project_env_x_l2={ctx.project_cues.has('env_domain')}|{level2}": 1.0,
        "table_value_share": ctx.table.value_share,
        "table_value_dominant": float(ctx.table.value_dominant),
        "table_copied_share": ctx.table.copied_share,
        "table_duplicate": float(bool(ctx.table.duplicate_earlier)),
        "row_empty": float(ctx.is_unused_slot),
    }
    for cell, analysis in (("n", ctx.name_cues), ("d", ctx.description_cues), ("v", ctx.value_cues)):
        for group, terms in analysis.cues.items():
            if group in _PROJECT_CONTEXT_GROUPS:
                continue
            features[f"cue_{cell}={group}"] = float(len(terms))
            if cell == "n" and group.startswith("cat:"):
                # a name in its declared category's own words is one pooled signal: per category, a
                # handful of rows (7 生态效益 ones) taught it to point either way
                features["name_fits_l2" if group[4:] == level2 else f"namecat_x_l2={group[4:]}|{level2}"] = 1.0
    for code in hits:
        features[f"rule={code}"] = 1.0
        features[f"rule_x_l2={code}|{level2}"] = 1.0
    features.update(family_rule_counts(hits))
    return features


def family_rule_counts(hits: dict[str, str]) -> dict[str, float]:
    """How many rules of each defect family fired (``mismatch_rules`` etc.; advisory codes excluded).

    Single codes such as C2 or C7 fire on a handful of training rows, too few for their own weight
    to survive regularisation; pooled per family they share one well-estimated weight, so a rare
    rule that fires still moves its family's score.
    """
    counts: dict[str, float] = {}
    for code in hits:
        family = family_of(code)
        if family != "advisory":
            counts[f"{family}_rules"] = counts.get(f"{family}_rules", 0.0) + 1.0
    return counts


def numeric_dicts_to_csr(dicts: list[dict[str, float]], vocabulary: dict[str, int]) -> sp.csr_matrix:
    """``DictVectorizer.transform`` for dicts whose values are all numbers.

    The fitted vocabulary is used as is; skipping DictVectorizer's per-value type dispatch (it
    one-hot encodes strings) makes this the cheap part of featurising a row instead of the
    dearest. Unknown keys are ignored, as DictVectorizer does.
    """
    indices: list[int] = []
    values: list[float] = []
    indptr = [0]
    for features in dicts:
        for name, value in features.items():
            column = vocabulary.get(name)
            if column is not None and value:
                indices.append(column)
                values.append(value)
        indptr.append(len(indices))
    return sp.csr_matrix((np.array(values, dtype=float), np.array(indices, dtype=np.int32), np.array(indptr)),
                         shape=(len(dicts), len(vocabulary)))


class IndicatorFeaturizer(TransformerMixin, BaseEstimator):
    """Sparse features of :class:`AnalysedRows` (fit learns vocabularies only).

    Parameters
    ----------
    min_df : minimum document frequency of text n-grams (rare n-grams overfit a small corpus).
    char_ngrams : range of character n-grams over the name and the normalised value.
    """

    def __init__(self, min_df: int = 2, char_ngrams: tuple[int, int] = (1, 3)) -> None:
        self.min_df = min_df
        self.char_ngrams = char_ngrams

    def fit(self, rows: AnalysedRows, y: object = None) -> "IndicatorFeaturizer":
        self.words_ = TfidfVectorizer(analyzer=_text_tokens, min_df=self.min_df, sublinear_tf=True)
        self.chars_ = TfidfVectorizer(analyzer="char", ngram_range=self.char_ngrams, min_df=self.min_df,
                                      sublinear_tf=True)
        self.structure_ = DictVectorizer()
        self.words_.fit(rows.contexts)
        self.chars_.fit([_char_text(c) for c in rows.contexts])
        self.structure_.fit(self._structure_dicts(rows))
        return self

    def transform(self, rows: AnalysedRows) -> sp.csr_matrix:
        return sp.hstack([
            self.words_.transform(rows.contexts),
            self.chars_.transform([_char_text(c) for c in rows.contexts]),
            numeric_dicts_to_csr(self._structure_dicts(rows), self.structure_.vocabulary_),
        ], format="csr")

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.concatenate([
            self.words_.get_feature_names_out(),
            np.array([f"c:{name}" for name in self.chars_.get_feature_names_out()], dtype=object),
            self.structure_.get_feature_names_out(),
        ])

    @staticmethod
    def _structure_dicts(rows: AnalysedRows) -> list[dict[str, float]]:
        return [structured_features(ctx, hits) for ctx, hits in zip(rows.contexts, rows.hits)]
