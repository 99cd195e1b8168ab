"""Lexicon cues via a blank spaCy Chinese pipeline that segments with jieba.

The cue groups (vague degree words, baseline markers, placeholders, compliance phrases, category
cue words, …) live in ``data/lexicons/cues.toml``. They are added to jieba's dictionary so that a
cue segments as one token, then matched two ways:

* a ``PhraseMatcher`` for cues that span several tokens (``比上年`` + ``提升``), and
* an Aho-Corasick automaton for cues buried inside a longer token (``合规`` inside ``合规性``),
  which a pure phrase match would miss.

Both run inside the ``lexicon_cues`` pipeline component, which stores ``doc._.cues``:
``{group: (term, …)}`` in text order. :func:`analyse` caches per distinct string, because real
batches repeat the same cells (``≥95%``, ``比上年提升``) endlessly; the cache is bounded by bytes
and stops while strings do not repeat (:mod:`nlp.memo`), and the pipeline is rebuilt when its
vocabulary has grown by :data:`MAX_LEXEMES` (spaCy keeps every token string it ever saw: ~370
bytes each, about 180 MiB per 500k never-seen rows).

spaCy is imported when the pipeline is first built, not with this module: the batch's reading
and writing process imports the analysis's modules (table keys, copy signatures) but never
analyses a cell, and spaCy's import alone is ~68 MiB of its resident memory.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import ahocorasick
import jieba

from nlp.memo import CELL_CACHE_ENTRIES, cached
from nlp.resources import data_path, load_toml

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

CUE_FILE = "lexicons/cues.toml"
USER_DICT = "lexicons/userdict.txt"
_CUE_WORD_FREQ = 200_000
#: Lexemes past which the pipeline starts again with a fresh vocabulary (the same tokens and cues).
#: A rebuild costs ~25 ms, so on never-seen rows (a few new lexemes each) 20,000 costs ~4 µs a row
#: and keeps a worker ~30 MiB smaller than 100,000 did.
MAX_LEXEMES = 20_000


def cue_groups() -> dict[str, list[str]]:
    """Group name -> terms: the plain groups plus ``cat:<二级>`` category cue groups."""
    lexicon = load_toml(CUE_FILE)
    groups = dict(lexicon["groups"])
    groups.update({f"cat:{name}": terms for name, terms in lexicon["category_cues"].items()})
    return groups


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    """Tokens of one cell and the cue terms found in it, by group."""

    tokens: tuple[str, ...]
    cues: dict[str, tuple[str, ...]]

    def has(self, group: str) -> bool:
        return bool(self.cues.get(group))


class LexiconCues:
    """spaCy component marking lexicon cues on ``doc._.cues``.

    Multi-token cues come from a ``PhraseMatcher``. Cues inside a token (合规 in 合规性) come from
    one Aho-Corasick automaton over every term of every group (pyahocorasick), which finds all
    occurrences in the cell in one pass, kept where they lie inside a token; per group, they are
    then chosen as a regular expression alternation of the group's terms would choose them
    (leftmost first, longest at a position, no overlap). This replaced a token ``Matcher`` with one
    REGEX pattern per group, which cost 97 of 164 µs per cell (``tests/test_cues.py`` checks both
    give the same cues on every corpus cell).
    """

    def __init__(self, nlp: Language, groups: dict[str, list[str]]) -> None:
        from spacy.matcher import PhraseMatcher

        self.phrase_matcher = PhraseMatcher(nlp.vocab)
        for group, terms in groups.items():
            self.phrase_matcher.add(group, [nlp.make_doc(term) for term in terms])
        self.automaton = _automaton(groups)

    def __call__(self, doc: Doc) -> Doc:
        found: dict[str, dict[int, str]] = {}
        vocab = doc.vocab.strings
        for match_id, start, end in self.phrase_matcher(doc):
            found.setdefault(vocab[match_id], {})[doc[start].idx] = doc[start:end].text
        for group, start, term in self._inside_tokens(doc):
            found.setdefault(group, {}).setdefault(start, term)
        doc._.cues = {group: tuple(terms[k] for k in sorted(terms))
                      for group, terms in without_outranked_categories(found).items() if terms}
        return doc

    def _inside_tokens(self, doc: Doc) -> list[tuple[str, int, str]]:
        """(group, offset, term) of the cues inside a token, per group as its alternation finds them.

        One automaton pass over the whole cell; a match that crosses a token boundary is left to
        the ``PhraseMatcher``. Matches inside different tokens never overlap, so choosing per
        group over the cell is choosing per token.
        """
        boundaries = {token.idx for token in doc}
        by_group: dict[str, list[tuple[int, int, str]]] = {}
        for end, (term, groups) in self.automaton.iter(doc.text):
            start = end - len(term) + 1
            if any(offset in boundaries for offset in range(start + 1, end + 1)):
                continue
            for group in groups:
                by_group.setdefault(group, []).append((start, -len(term), term))
        chosen = []
        for group, matches in by_group.items():
            free_from = 0
            for start, negative_length, term in sorted(matches):
                if start >= free_from:
                    chosen.append((group, start, term))
                    free_from = start - negative_length
        return chosen


def without_outranked_categories(found: dict[str, dict[int, str]]) -> dict[str, dict[int, str]]:
    """``found`` without the category cues that lie inside a longer cue of another category.

    Categories are exclusive readings of the same words: 森林覆盖率 is an ecological measure, and
    the 覆盖 inside it does not also make it a social one (the longer, more specific term wins).
    """
    spans = [(start, start + len(term), group) for group, terms in found.items() if group.startswith("cat:")
             for start, term in terms.items()]
    if len(spans) < 2:
        return found
    outranked = {(group, start) for start, end, group in spans
                 if any(other != group and s <= start and end <= e and e - s > end - start for s, e, other in spans)}
    if not outranked:
        return found
    return {group: {start: term for start, term in terms.items() if (group, start) not in outranked}
            for group, terms in found.items()}


def _automaton(groups: dict[str, list[str]]) -> ahocorasick.Automaton:
    """Every term once, with the groups it belongs to."""
    groups_of: dict[str, list[str]] = {}
    for group, terms in groups.items():
        for term in terms:
            groups_of.setdefault(term, []).append(group)
    automaton = ahocorasick.Automaton()
    for term, member_of in groups_of.items():
        automaton.add_word(term, (term, tuple(member_of)))
    automaton.make_automaton()
    return automaton


def make_lexicon_cues(nlp: Language, name: str) -> LexiconCues:
    """The ``lexicon_cues`` factory (registered with spaCy by :func:`pipeline`)."""
    return LexiconCues(nlp, cue_groups())


@lru_cache(maxsize=1)
def _prepare_jieba() -> None:
    """Quiet jieba, load the domain dictionary and make every cue term a dictionary word -- once
    per process: ``jieba.add_word`` adds to the dictionary's total frequency even for a word it
    has, so preparing again when the pipeline is rebuilt would shift every segmentation after it
    (a cell would be cut differently early and late in one batch)."""
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    with data_path(USER_DICT).open("rb") as handle:  # jieba leaves a file it opens itself unclosed
        jieba.load_userdict(handle)
    for terms in cue_groups().values():
        for term in terms:
            if len(term) > 1:
                jieba.add_word(term, freq=_CUE_WORD_FREQ)


@lru_cache(maxsize=1)
def pipeline() -> Language:
    """The blank Chinese pipeline (jieba segmenter) with the ``lexicon_cues`` component.

    Its vocabulary computes only ``is_space`` for a new word: the analysis reads token texts,
    ``is_space`` and phrase matches on the exact text, never spaCy's other lexical attributes
    (shape, ``like_num``, ``like_url``…), whose 23 Python getters made a new word cost ~9 µs
    instead of ~2 -- and on never-seen rows every name brings new words, more so after each
    rebuild (:data:`MAX_LEXEMES`).
    """
    import spacy
    from spacy.attrs import IS_SPACE
    from spacy.language import Language
    from spacy.tokens import Doc

    _prepare_jieba()
    if not Doc.has_extension("cues"):
        Doc.set_extension("cues", default=None)
    if not Language.has_factory("lexicon_cues"):
        Language.factory("lexicon_cues", func=make_lexicon_cues)
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.vocab.lex_attr_getters = {IS_SPACE: str.isspace}
    nlp.add_pipe("lexicon_cues")
    return nlp


PROJECT_GROUPS = ("env_domain", "nonenv_domain")


@lru_cache(maxsize=1)
def _group_patterns() -> dict[str, re.Pattern]:
    return {group: _alternation(cue_groups()[group]) for group in PROJECT_GROUPS}


def _alternation(terms: list[str]) -> re.Pattern:
    """One regex matching any term, longest first (so 广播剧 wins over 广播)."""
    return re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)))


@lru_cache(maxsize=CELL_CACHE_ENTRIES)
def project_domain(name: str, goal: str) -> TextAnalysis:
    """Domain cues (``env_domain``/``nonenv_domain``) of a project's name and goal.

    Only these two groups matter for a project, and a batch has about one distinct project per
    ten rows, so a plain substring scan replaces the spaCy pipeline here: same terms, a fraction
    of the cost (goals are long and rarely repeat).
    """
    text = f"{name} {goal}"
    cues = {group: tuple(pattern.findall(text)) for group, pattern in _group_patterns().items()}
    return TextAnalysis(tokens=(), cues={group: terms for group, terms in cues.items() if terms})


def _analysis_bytes(text: str, analysis: TextAnalysis) -> int:
    """Estimated bytes of a cached analysis (fitted to tracemalloc on the benchmark batch's cells)."""
    return 250 + 2 * len(text) + 90 * len(analysis.tokens) + 100 * len(analysis.cues)


@cached(8 << 20, _analysis_bytes)
def analyse(text: str) -> TextAnalysis:
    """Tokens and cues of one cell; cached per distinct string. 8 MiB: on a cold batch the cache
    stays on for the descriptions and values that repeat, and at 32 MiB the never-reused names it
    also kept made a worker grow 105 instead of 76 MiB over 60k cold rows."""
    if not text:
        return TextAnalysis(tokens=(), cues={})
    nlp = pipeline()
    doc = nlp(text)
    if len(nlp.vocab) > MAX_LEXEMES:
        pipeline.cache_clear()
    return TextAnalysis(tokens=tuple(t.text for t in doc if not t.is_space), cues=doc._.cues)
