"""Pairs of rows inside one table, found without comparing every row with every other.

Two table facts pair rows: an indicator repeated earlier in its table (the same value and the
same or a qualified name: B10's ``duplicate_earlier``), and a benefit whose name is a near copy of
a 数量 row's name (C4's ``same_as_output_row``). Pair by pair, a table of n rows costs ~n²/2
comparisons: nothing for the tens of rows of a real table, but a file with neither table ids nor
project names is one table per chunk, and 20,000 such rows in one chunk (``--chunk-rows 20000``,
which the README advises for long tables) took 66 s, against 8 s for the same rows in tables.
Each fact has a necessary condition that an index answers, so only rows that can pair are
compared, and the answer is still the first pairing row in table order:

* a name inside another shares every 4-character piece of it, and a name holding another holds
  it as one of its substrings, which a dictionary of names answers (:func:`first_earlier_twins`);
* two names sharing ≥ ``share`` of the longer's characters share a character among the few
  rarest of each (prefix filtering, as in :mod:`nlp.copies`' join of tables; here over the
  characters of names, with their repeats, and one table at a time: :func:`first_near_copies`).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from heapq import merge
from itertools import groupby

from nlp.memo import CELL_CACHE_ENTRIES

#: Tables up to this many rows (near copies: up to its square in pairs) are compared pair by pair:
#: for the tens of rows of a real table that is cheaper than building the indexes (which made table
#: facts ×2.8 slower on the cold batch).
PAIRWISE_ROWS = 64
#: The shortest name that can be another's qualified twin (辖区内人民群众满意度 / 人民群众满意度) or
#: near copy; also the length of the pieces :func:`first_earlier_twins` indexes.
SHORTEST_PAIRED_NAME = 4

Token = tuple[str, int]  # a character and how many times it occurred before in the name


def qualified_twin(a: str, b: str) -> bool:
    """One name is the other with a qualifier (辖区内人民群众满意度 / 人民群众满意度)."""
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= SHORTEST_PAIRED_NAME and shorter in longer


def first_earlier_twins(names: Sequence[str], values: Sequence[str], rows: Sequence[int]) -> dict[int, int]:
    """For each row of ``rows`` (one table, in order), the first earlier row with the same value
    and the same name or a :func:`qualified_twin` of it; rows without one are left out."""
    if len(rows) <= PAIRWISE_ROWS:
        return _earlier_twins_pairwise(names, values, rows)
    return _earlier_twins_indexed(names, values, rows)


def _earlier_twins_pairwise(names: Sequence[str], values: Sequence[str], rows: Sequence[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for pos, i in enumerate(rows):
        name, value = names[i], values[i]
        if not name:
            continue
        match = next((j for j in rows[:pos] if value == values[j] and (name == names[j] or qualified_twin(name, names[j]))),
                     None)
        if match is not None:
            found[i] = match
    return found


def _earlier_twins_indexed(names: Sequence[str], values: Sequence[str], rows: Sequence[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    first_of: dict[tuple[str, str], int] = {}                        # (value, name) -> its first row
    lengths: dict[str, set[int]] = defaultdict(set)                   # value -> lengths of its names
    holding: dict[tuple[str, str], list[int]] = defaultdict(list)     # (value, piece) -> rows whose name holds it
    for i in rows:
        name, value = names[i], values[i]
        if not name:
            continue
        pieces = _pieces(name)
        candidates = [first_of[value, name]] if (value, name) in first_of else []
        if pieces:
            rarest = min((holding.get((value, piece), []) for piece in pieces), key=len)
            candidates += _first_where(rarest, lambda j: name in names[j])  # an earlier name holding this one
            candidates += [first_of[value, part] for part in _parts(name, lengths[value])  # ... held by this one
                           if (value, part) in first_of]
        if candidates:
            found[i] = min(candidates)
        first_of.setdefault((value, name), i)
        lengths[value].add(len(name))
        for piece in pieces:
            holding[value, piece].append(i)
    return found


def _parts(name: str, lengths: set[int]) -> Iterator[str]:
    """The substrings of ``name`` that could be another name held by it: of a length some name
    has, at least :data:`SHORTEST_PAIRED_NAME`, shorter than ``name``. Looking them up costs what
    the name's length costs, however many rows the table has."""
    for length in lengths:
        if SHORTEST_PAIRED_NAME <= length < len(name):
            yield from (name[k:k + length] for k in range(len(name) - length + 1))


def _first_where(rows: list[int], test: Callable[[int], bool]) -> list[int]:
    """``[the first row that passes test]``, or ``[]``."""
    return next(([j] for j in rows if test(j)), [])


def _pieces(name: str) -> frozenset[str]:
    width = SHORTEST_PAIRED_NAME
    return frozenset(name[k:k + width] for k in range(len(name) - width + 1))


@lru_cache(maxsize=CELL_CACHE_ENTRIES)
def near_copy(a: str, b: str, share: float) -> bool:
    """Same name, or ≥ ``share`` of the longer name's characters shared (typo-level variants)."""
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = sorted((len(a), len(b)))
    if shorter < SHORTEST_PAIRED_NAME or shorter < share * longer:
        return False  # the shared count cannot reach the bar: skip the counting
    common = sum((_char_counts(a) & _char_counts(b)).values())
    return common / longer >= share


@lru_cache(maxsize=CELL_CACHE_ENTRIES)
def _char_counts(text: str) -> Counter:
    return Counter(text)


def first_near_copies(queries: Sequence[int], targets: Sequence[int], names: Sequence[str],
                      share: float) -> dict[int, int]:
    """For each row of ``queries``, the first row of ``targets`` (in their order) whose name is a
    :func:`near_copy` of its name; rows without one are left out.

    Prefix filtering: two names that share ≥ t characters (counting repeats) share one among the
    first ``len − t + 1`` of each, when both are ordered the same way. Ordered rarest first, those
    few characters are found in few names. ``t`` here is ``share × own length``, rounded down: a
    bound below what :func:`near_copy` asks of the pair (``share ×`` the longer length), which
    makes the prefixes longer, never too short. The candidates come in table order, merged from
    the characters' lists (each in table order), so the search stops at the first near copy.
    """
    if len(queries) * len(targets) <= PAIRWISE_ROWS * PAIRWISE_ROWS:
        return _near_copies_pairwise(queries, targets, names, share)
    return _near_copies_indexed(queries, targets, names, share)


def _near_copies_pairwise(queries: Sequence[int], targets: Sequence[int], names: Sequence[str],
                          share: float) -> dict[int, int]:
    found: dict[int, int] = {}
    for i in queries:
        match = next((j for j in targets if near_copy(names[i], names[j], share)), None)
        if match is not None:
            found[i] = match
    return found


def _near_copies_indexed(queries: Sequence[int], targets: Sequence[int], names: Sequence[str],
                         share: float) -> dict[int, int]:
    tokens = {j: _tokens(names[j]) for j in targets if names[j]}
    frequency = Counter(token for name_tokens in tokens.values() for token in name_tokens)

    def prefix(name_tokens: list[Token]) -> list[Token]:
        ordered = sorted(name_tokens, key=lambda token: (frequency[token], token))
        return ordered[:len(ordered) - int(share * len(ordered)) + 1]

    index: dict[Token, list[int]] = defaultdict(list)
    for j, name_tokens in tokens.items():
        for token in prefix(name_tokens):
            index[token].append(j)
    place = {j: k for k, j in enumerate(targets)}
    found: dict[int, int] = {}
    for i in queries:
        if not names[i]:
            continue
        postings = [index[token] for token in prefix(_tokens(names[i])) if token in index]
        candidates = (j for j, _ in groupby(merge(*postings, key=place.get)))  # in table order, each once
        match = next((j for j in candidates if near_copy(names[i], names[j], share)), None)
        if match is not None:
            found[i] = match
    return found


def _tokens(name: str) -> list[Token]:
    seen: Counter = Counter()
    tokens = []
    for char in name:
        tokens.append((char, seen[char]))
        seen[char] += 1
    return tokens
