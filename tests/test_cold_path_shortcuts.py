"""The cold path's shortcuts (issue 15) give what the slow code they replaced gave, on every cell
of the labelled corpus and on written edge cases: word n-grams built by joining, a remembered
``log1p`` of a cell's length, and the rules' one-search quick exit before their per-word loops.
A model trained before them must read the same features, and a rule must fire on the same rows."""
from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from nlp import rules
from nlp.context import RowContext, build_context
from nlp.corpus import load_corpus
from nlp.cues import TextAnalysis
from nlp.features import _text_tokens, log1p_length

#: Each rule word list with its quick-exit search.
WORD_LISTS = {
    "category": (rules._CATEGORY_WORDS, rules._ANY_CATEGORY_WORD),
    "placeholder": (rules._PLACEHOLDER_TOKENS, rules._ANY_PLACEHOLDER),
    "self_evident": (rules._SELF_EVIDENT, rules._ANY_SELF_EVIDENT),
    "outcome_gain": (rules._OUTCOME_GAINS, rules._ANY_OUTCOME_GAIN),
    "beneficiary": (rules._BENEFICIARY, rules._ANY_BENEFICIARY),
    "non_cost": (rules._NON_COST, rules._ANY_NON_COST),
}


def slow_text_tokens(ctx: RowContext) -> list[str]:
    """The word n-grams as they were built before the shortcut."""
    tokens: list[str] = []
    for prefix, analysis in (("n", ctx.name_cues), ("d", ctx.description_cues), ("v", ctx.value_cues)):
        words = [w for w in analysis.tokens if w.strip()]
        tokens.extend(f"{prefix}:{w}" for w in words)
        tokens.extend(f"{prefix}:{a}_{b}" for a, b in zip(words, words[1:]))
    return tokens


@pytest.fixture(scope="module")
def corpus_contexts() -> list[RowContext]:
    return [build_context(row) for row in load_corpus().to_dict("records")]


def corpus_texts(contexts: list[RowContext]) -> set[str]:
    """Every text a rule searches: names, values, descriptions, and B1's name core."""
    texts = {text for ctx in contexts for text in (ctx.name, ctx.value_text, ctx.description)}
    return texts | {re.sub(r"[\s%％()（）0-9]+", "", ctx.name) for ctx in contexts}


def test_word_ngrams_equal_the_slow_path_on_every_corpus_row(corpus_contexts: list[RowContext]) -> None:
    differing = [ctx.name for ctx in corpus_contexts if _text_tokens(ctx) != slow_text_tokens(ctx)]
    assert not differing, differing[:5]


@pytest.mark.parametrize("tokens", [
    (), ("满意度",), (" ", "满意度", "\u3000"), ("群众", " ", "满意度", "", "≥", "95", "%"),
    ("a_b", "c:d", "_", ":"), ("重复", "重复", "重复"),
])
def test_word_ngrams_equal_the_slow_path_on_edge_tokens(tokens: tuple[str, ...]) -> None:
    analysis = TextAnalysis(tokens=tokens, cues={})
    ctx = replace(build_context({"level3": "x"}), name_cues=analysis, description_cues=analysis,
                  value_cues=TextAnalysis(tokens=tokens[::-1], cues={}))
    assert _text_tokens(ctx) == slow_text_tokens(ctx)


def test_remembered_log1p_is_numpys_value_on_every_corpus_length(corpus_contexts: list[RowContext]) -> None:
    lengths = {len(text) for ctx in corpus_contexts for text in (ctx.name, ctx.value_text)}
    for length in sorted(lengths | {0, 1, 2, 4095, 4096, 4097, 10**6}):
        for _ in range(2):  # computed, then remembered
            value = log1p_length(length)
            assert type(value) is float and value.hex() == float(np.log1p(length)).hex(), length


@pytest.mark.parametrize("kind", sorted(WORD_LISTS))
def test_quick_exit_search_agrees_with_the_word_loop_on_every_corpus_cell(
        kind: str, corpus_contexts: list[RowContext]) -> None:
    words, search = WORD_LISTS[kind]
    texts = corpus_texts(corpus_contexts)
    assert any(any(w in text for w in words) for text in texts) or kind == "placeholder"
    differing = [text for text in texts if (search.search(text) is not None) != any(w in text for w in words)]
    assert not differing, differing[:5]


@pytest.mark.parametrize("text", ["", "**", "*", "××待定", "请填", "请填写", "XXx", "x.x", "(xx)", "a|b", "\\xx"])
def test_quick_exit_search_agrees_with_the_word_loop_on_edge_texts(text: str) -> None:
    for words, search in WORD_LISTS.values():
        assert (search.search(text) is not None) == any(w in text for w in words), (text, words)


def test_quick_exit_escapes_regular_expression_characters() -> None:
    search = rules._any_of(("a.b", "**", "(x)", "a|b"))
    assert not search.search("axb") and not search.search("*") and not search.search("x") and not search.search("a")
    assert all(search.search(text) for text in ("za.bz", "**", "((x))", "1a|b2"))
