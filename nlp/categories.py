"""One resolver from any recognisable spelling of a 一级/二级 cell to its canonical category.

Real tables spell the same category in many ways: ``产出指标(50分)``, ``数量指标 (必填硬性指标)``,
``预期产出指标``, ``社会效益效益指标``, ``質量指標``, misprints such as ``社会效应指标``, a 一级 cell that
lost its text (only ``(50分)`` left), or a category cell of another framework (``过程``). Every
check that compares a row with its declared category goes through :func:`canonical_level1` /
:func:`canonical_level2`, so they all agree on what a cell means. ``data/taxonomy.toml`` is the
source of truth for names, aliases and the valid hierarchy.

Resolution, in order (the first that succeeds is recorded in :attr:`Category.how`):

1. **normalise**: traditional -> simplified, full-width -> half-width, notes in any bracket
   style, scores, weights and ranges (``50分``, ``30%``, ``20-30分``), 必填/选填 marks, numbering and
   the configured prefixes/suffixes (``指标``, ``类``, ``目标``) are removed;
2. ``exact`` canonical name, or an ``alias`` from the taxonomy;
3. ``variant``: the cell contains exactly one canonical name or alias (longest match wins:
   ``社会效益效益`` -> 社会效益), or is one character away from one (``社会效应`` -> 社会效益);
4. a 二级 cell that holds a 一级 name (``效益指标`` in the 二级 column) is ``other_level``;
5. otherwise **unresolved**. An unresolved cell that shares most of its characters with some
   category name is a plausible spelling we do not know (``unresolved``): it never makes a
   mismatch on its own. One that shares little with every category name ``names no category``
   (``制度指标``): that is the guide's C8.

Only ``exact`` and ``alias`` are *strict*: the document reader uses them to recognise category
cells in running text, where a loose match would turn prose into categories.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from nlp.chinese import to_simplified
from nlp.resources import load_toml

_BRACKETED = re.compile(r"[(\[【〔<《{][^()\[\]【】〔〕<>《》{}]*[)\]】〕>》}]")
_OPEN_TAIL = re.compile(r"[(\[【〔<《{][^()\[\]【】〔〕<>《》{}]*$")
_SCORES = re.compile(r"(权重|分值|分数)?[:：]?\d+(\.\d+)?\s*([-~～至到]\s*\d+(\.\d+)?)?\s*(分|%|％)?")
_NUMBERING = re.compile(r"^([一二三四五六七八九十]+[、.．]|[0-9]+[、.．)]|第[一二三四五六七八九十0-9]+[项类部分]?)")
_NOISE = re.compile(r"[\s:：*＊★☆、，,。.;；\"“”'‘’\-—_/|]+")
_MARKS = re.compile(r"(必填硬性|必填|选填|必选|可选|硬性)")

#: How a cell resolved. The first three are resolved (``known``); the first two are strict.
STRICT = frozenset({"exact", "alias"})
RESOLVED = STRICT | {"variant"}
HOW = ("empty", "exact", "alias", "variant", "other_level", "unresolved", "not_category")


@dataclass(frozen=True, slots=True)
class Category:
    """A category cell after resolution.

    ``name`` is the canonical name when the cell resolved, otherwise the cleaned text ("" for an
    empty cell or one that held only notes such as ``(50分)``). ``how`` is one of :data:`HOW`.
    """

    raw: str
    name: str
    how: str

    @property
    def known(self) -> bool:
        return self.how in RESOLVED

    @property
    def names_no_category(self) -> bool:
        """The cell is filled but is not a spelling of any category (the guide's C8 case)."""
        return self.how == "not_category"


def _taxonomy() -> dict:
    return load_toml("taxonomy.toml")


def normalise_category_text(text: str) -> str:
    """Step 1 of the module docstring: the cell with every known kind of decoration removed."""
    taxonomy = _taxonomy()
    cleaned = unicodedata.normalize("NFKC", to_simplified(text or ""))
    cleaned = _OPEN_TAIL.sub("", _BRACKETED.sub("", _BRACKETED.sub("", cleaned)))
    cleaned = _NOISE.sub("", _MARKS.sub("", _SCORES.sub("", _NUMBERING.sub("", cleaned.strip()))))
    changed = True
    while changed and cleaned:
        changed = False
        for suffix in taxonomy["strip_suffixes"]:
            if cleaned.endswith(suffix) and len(cleaned) > len(suffix):
                cleaned, changed = cleaned[: -len(suffix)], True
        for prefix in taxonomy["strip_prefixes"]:
            if cleaned.startswith(prefix) and len(cleaned) > len(prefix):
                cleaned, changed = cleaned[len(prefix):], True
    return cleaned


def _names(level: str) -> list[str]:
    """Canonical names of ``level``, the evaluation framework's included."""
    section = _taxonomy()[level]
    return [*section["canonical"], *section.get("evaluation", ())]


def _spellings(level: str) -> dict[str, str]:
    """Every spelling the taxonomy knows for ``level`` (canonical names and aliases) -> canonical."""
    return {**{name: name for name in _names(level)}, **_taxonomy()[level]["aliases"]}


def _one_edit_apart(a: str, b: str) -> bool:
    """One substitution, insertion or deletion turns ``a`` into ``b`` (a misprint)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _edited_position(cleaned: str, spelling: str) -> int | None:
    """Where in ``cleaned`` a one-edit misprint of ``spelling`` changed or added a character (None
    when it dropped one)."""
    if len(cleaned) == len(spelling):
        return next(i for i, (x, y) in enumerate(zip(cleaned, spelling)) if x != y)
    if len(cleaned) > len(spelling):
        return next(i for i in range(len(cleaned)) if cleaned[:i] + cleaned[i + 1:] == spelling)
    return None


def _spells_another(cleaned: str, spelling: str, name: str, spellings: dict[str, str]) -> bool:
    """The "misprint" of ``spelling`` writes out another category at the changed character: 产出质量
    is 质量 written correctly, not a misprint of 产出数量."""
    at = _edited_position(cleaned, spelling)
    if at is None:
        return False
    return any(other != name and len(written) >= 2
               and cleaned.find(written, max(0, at - len(written) + 1), at + len(written)) != -1
               for written, other in spellings.items())


def _variant(cleaned: str, spellings: dict[str, str]) -> str | None:
    """Step 3: the one category a cleaned cell contains, or is a misprint of.

    The longest evidence wins: a misprint of 生态环境成本 (生态环境成X) is that category even though
    the cell also contains 成本, unless the changed character is part of another category written
    out in full. Two categories equally well supported resolve to neither.
    """
    support: dict[str, float] = {}
    for spelling, name in spellings.items():
        if len(spelling) >= 2 and spelling in cleaned:
            score = float(len(spelling))
        elif len(spelling) >= 3 and _one_edit_apart(cleaned, spelling) and \
                not _spells_another(cleaned, spelling, name, spellings):
            score = len(spelling) - 0.5
        else:
            continue
        support[name] = max(support.get(name, 0.0), score)
    if not support:
        return None
    best = max(support.values())
    winners = [name for name, score in support.items() if score == best]
    return winners[0] if len(winners) == 1 else None


def _shares_most_characters(cleaned: str, spellings: dict[str, str]) -> bool:
    """Two or more, and at least half, of some category name's characters appear in the cell.

    One shared character is not enough: 制度 shares 度 with 进度, and the guide's own example of a
    二级 that names no category is 制度指标. So a misprint in a two-character name (质理 for 质量)
    is not recognised either; it is the price of telling 制度 from 进度.
    """
    return any(len(set(s) & set(cleaned)) >= max(2, len(set(s)) / 2) for s in spellings)


@lru_cache(maxsize=8192)
def resolve(level: str, text: str) -> Category:
    """Resolve a category cell at ``level`` ("level1" or "level2")."""
    cleaned = normalise_category_text(text)
    if not cleaned:
        return Category(raw=text, name="", how="empty")
    spellings = _spellings(level)
    if cleaned in _names(level):
        return Category(raw=text, name=cleaned, how="exact")
    if cleaned in spellings:
        return Category(raw=text, name=spellings[cleaned], how="alias")
    variant = _variant(cleaned, spellings)
    if variant:
        return Category(raw=text, name=variant, how="variant")
    every_spelling = {**_spellings("level1"), **_spellings("level2")}
    plausible = _shares_most_characters(cleaned, every_spelling)
    return Category(raw=text, name=cleaned, how="unresolved" if plausible else "not_category")


def canonical_level1(text: str) -> Category:
    """Resolve a 一级指标 cell (产出 / 效益 / 满意度 / 成本).

    A 一级 cell holding a 二级 name (columns shifted, or the 一级 merged away) resolves to that
    二级's parent, so the row still has its place in the hierarchy.
    """
    category = resolve("level1", text or "")
    if category.known or category.how == "empty":
        return category
    as_level2 = resolve("level2", text or "")
    if as_level2.known and parent_of(as_level2.name):
        return Category(raw=category.raw, name=parent_of(as_level2.name), how="variant")
    return category


def canonical_level2(text: str) -> Category:
    """Resolve a 二级指标 cell (数量, 质量, …, 服务对象满意度).

    A 二级 cell holding a 一级 name (效益, 产出) is ``other_level``: a real category, but no 二级
    can be read from it.
    """
    category = resolve("level2", text or "")
    if category.how in {"unresolved", "not_category"}:
        as_level1 = resolve("level1", text or "")
        if as_level1.how in STRICT:
            return Category(raw=category.raw, name=as_level1.name, how="other_level")
    return category


def level2_names() -> tuple[str, ...]:
    """All canonical 二级 names, in taxonomy order."""
    return tuple(_taxonomy()["level2"]["canonical"])


def parent_of(level2: str) -> str:
    """The 一级 a canonical 二级 normally sits under ("" if unknown)."""
    for parent, children in _taxonomy()["hierarchy"].items():
        if level2 in children and parent != "成本":
            return parent
    return "成本" if level2 in _taxonomy()["hierarchy"]["成本"] else ""


#: The 效益 sub-types (economic, social, ecological, sustainability), as the taxonomy files them.
BENEFITS: frozenset[str] = frozenset(name for name in level2_names() if parent_of(name) == "效益")


def hierarchy_is_valid(level1: Category, level2: Category) -> bool | None:
    """Whether the (一级, 二级) pair exists in either framework; ``None`` when it cannot be judged.

    Three things are invalid: a resolved 二级 under a resolved 一级 that does not hold it, a 二级
    that names no category at all, and a 一级 name in the 二级 cell under a filled 一级 (a level
    skipped; with the 一级 cell empty it is more likely a shifted column). A missing or unresolved
    cell cannot be judged, so it is ``None``: an unusual but plausible spelling never makes a
    mismatch by itself.
    """
    if level2.names_no_category or (level2.how == "other_level" and level1.how != "empty"):
        return False
    if not (level2.known and level1.known):
        return None
    return level2.name in _taxonomy()["hierarchy"].get(level1.name, [])
