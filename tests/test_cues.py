"""The in-token cue matching (one Aho-Corasick automaton) finds exactly what the spaCy token
``Matcher`` with one REGEX pattern per cue group found, on every cell of every labelled corpus.

The reference is the previous implementation, kept here only as the yardstick; both then drop the
category cues a longer cue of another category outranks (one shared step after matching).
"""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
from spacy.matcher import Matcher

from nlp.context import masked_digits
from nlp.corpus import load_corpus
from nlp.cues import analyse, cue_groups, pipeline, without_outranked_categories

CELLS = ("level3", "description", "target_value", "project_name")


def _alternation(terms: list[str]) -> re.Pattern:
    return re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)))


class ReferenceCues:
    """The former component: PhraseMatcher, plus a token Matcher with a REGEX per group."""

    def __init__(self) -> None:
        nlp = pipeline()
        component = nlp.get_pipe("lexicon_cues")
        self.phrase_matcher = component.phrase_matcher
        self.token_matcher = Matcher(nlp.vocab)
        self.patterns = {group: _alternation(terms) for group, terms in cue_groups().items()}
        for group, pattern in self.patterns.items():
            self.token_matcher.add(group, [[{"TEXT": {"REGEX": pattern.pattern}}]])

    def cues(self, text: str) -> dict[str, tuple[str, ...]]:
        doc = pipeline().make_doc(text)
        found: dict[str, dict[int, str]] = {}
        vocab = doc.vocab.strings
        for match_id, start, end in self.phrase_matcher(doc):
            found.setdefault(vocab[match_id], {})[doc[start].idx] = doc[start:end].text
        for match_id, start, _ in self.token_matcher(doc):
            group, token = vocab[match_id], doc[start]
            for hit in self.patterns[group].finditer(token.text):
                found.setdefault(group, {}).setdefault(token.idx + hit.start(), hit.group())
        return {group: tuple(terms[k] for k in sorted(terms))
                for group, terms in without_outranked_categories(found).items() if terms}


@pytest.fixture(scope="module")
def texts() -> list[str]:
    corpus = load_corpus()
    cells = {text for column in CELLS for text in corpus[column] if text}
    return sorted(cells | {masked_digits(text) for text in corpus["target_value"]} - {""})


def test_automaton_cues_equal_the_regex_matcher_on_every_corpus_cell(texts: list[str]) -> None:
    reference = ReferenceCues()
    differences = [(text, got, want) for text in texts
                   if (got := pipeline()(text)._.cues) != (want := reference.cues(text))]
    assert len(texts) > 1000
    assert not differences, differences[:5]


@pytest.mark.parametrize("text, group, terms", [
    ("进一步提升", "degree_outcome", ("进一步提升",)),
    ("进一步提升", "vague", ("进一步",)),
    ("合规性审查", "compliance", ("合规",)),
])
def test_overlapping_terms_of_different_groups_are_all_found(text: str, group: str, terms: tuple) -> None:
    assert pipeline()(text)._.cues.get(group) == terms


@pytest.mark.parametrize("text, kept, dropped", [
    ("森林覆盖率提高", "cat:生态效益", "cat:社会效益"),   # 覆盖 inside 森林覆盖率
    ("节目安全播出率", "cat:质量", "cat:社会效益"),       # 安全 inside 安全播出率
])
def test_a_longer_cue_of_another_category_outranks_the_one_inside_it(text: str, kept: str, dropped: str) -> None:
    cues = pipeline()(text)._.cues
    assert kept in cues and dropped not in cues


def test_cues_of_different_categories_side_by_side_are_both_kept() -> None:
    cues = pipeline()("受益群众减排量")._.cues
    assert "cat:社会效益" in cues and "cat:生态效益" in cues


def test_a_rebuilt_pipeline_segments_every_cell_as_before(texts: list[str]) -> None:
    """The pipeline is rebuilt when its vocabulary grows (nlp.cues.MAX_LEXEMES); a cell must be cut
    the same before and after, or one batch would score a row differently early and late."""
    import jieba

    before = [[t.text for t in pipeline()(text)] for text in texts]
    total = jieba.dt.total
    pipeline.cache_clear()
    after = [[t.text for t in pipeline()(text)] for text in texts]
    assert jieba.dt.total == total
    assert after == before


def test_the_batch_reading_process_does_not_import_spacy() -> None:
    """The batch's parent reads and writes but never analyses a cell: spaCy (~68 MiB resident) is
    imported by the first analysis, not by importing the analysis modules."""
    code = "import sys, nlp.batch, nlp.cli.score, nlp.context; print('spacy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    assert analyse("比上年提升").has("baseline")  # and the analysis still builds its pipeline
