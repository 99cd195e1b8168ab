"""Inputs of one batch that share a name, and how their rows are told apart.

Readers name a file's rows after the file: ``source_file`` is its name, and the ids they make
start with its stem (``row_id`` ``t:2``, ``t:Sheet1!5``; ``table_id`` ``t``, ``t:项目``, ``t@A5``,
``t!Sheet1``, ``t#1``; a document's ``doc_id`` ``t``). Each reader sees one file, so two inputs of
a batch with the same stem (every county's ``绩效目标表.xlsx``) gave their rows the same ids: one
table across both files (its table checks and the batch's copy index saw both files' rows) and
row ids that a review or a caller matching results could not tell apart, and nothing said so.

The batch knows all its inputs: :func:`told_apart` names each of such inputs by the shortest end
of its path that no other of them shares (``甲县/绩效目标表``), and :meth:`Renaming.applied` puts
that name in those columns of its rows; rows an earlier ``iqc parse`` named after their own file
(its output read again) get it too, around their names. Every other input's ids stay as they were.
"""
from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

import pandas as pd

from nlp.readers.base import InputError

#: What follows the stem in the ids readers make (``t:2``, ``t!Sheet1``, ``t#1``, ``t@A5``).
_AFTER_STEM = (":", "!", "#", "@")
_ID_COLUMNS = ("row_id", "table_id", "doc_id")
_COUNTS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_NAMES_SHOWN = 4  # a longer list is cut: the output's source_file has them all


@dataclass(frozen=True)
class Renaming:
    """One input's rows renamed: the file name and stem its reader gave them -> the told-apart ones."""

    name: str  # t.csv
    stem: str  # t
    new_name: str  # a/t.csv
    new_stem: str  # a/t

    def applied(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with the new name and stem wherever the reader put the file's own. A row the
        source names after another file (an earlier ``iqc parse`` output: ``t.csv``, ``t:2``) has
        that name and the ids made from its stem put inside the new name (``a/parsed.csv/t.csv``,
        ``a/parsed.csv/t:2``): two such outputs of one name held the same ids, and the batch said
        they were told apart. Other ids the source gives are its own, and stay."""
        source = frame["source_file"]
        own = source == self.name
        origins = [os.path.splitext(name)[0] for name in source.mask(own, "")]
        return frame.assign(source_file=source.mask(own, self.new_name).mask(_made(frame["row_id"], origins),
                                                                              self._inside + source),
                            **{column: self._ids(frame[column], origins) for column in _ID_COLUMNS})

    @property
    def _inside(self) -> str:
        return self.new_name + "/"

    def _ids(self, ids: pd.Series, origins: list[str]) -> pd.Series:
        made = (ids == self.stem) | ids.str.startswith(_after(self.stem))
        renamed = ids.mask(made, self.new_stem + ids.str[len(self.stem):])
        return renamed.mask(_made(ids, origins) & ~made, self._inside + ids)


def _after(stem: str) -> tuple[str, ...]:
    """How the ids made from ``stem`` start after it."""
    return tuple(stem + mark for mark in _AFTER_STEM)


def _made(ids: pd.Series, stems: list[str]) -> pd.Series:
    """Whether each id was made from its row's stem (``t``, ``t:2``, ``t!Sheet1``; no stem: no)."""
    starts = {stem: _after(stem) for stem in set(stems) if stem}
    return pd.Series([bool(stem) and (id_ == stem or id_.startswith(starts[stem])) for id_, stem in zip(ids, stems)],
                     index=ids.index, dtype=bool)


def told_apart(paths: Sequence[Path]) -> tuple[dict[Path, Renaming], list[InputError]]:
    """The renaming of each input whose stem another input has, and a warning line per such stem
    (on its first file); empty when the stems differ, as in most batches."""
    renamings: dict[Path, Renaming] = {}
    warnings: list[InputError] = []
    stems = {path.stem for path in paths}
    for group in _same_stems(paths):
        renamed = {path: _renaming(path, label, with_suffix)
                   for path, (label, with_suffix) in _labels(group, stems).items()}
        renamings.update(renamed)
        warnings.append(_warning(group, [renaming.new_name for renaming in renamed.values()]))
    return renamings, warnings


def _same_stems(paths: Sequence[Path]) -> Iterator[list[Path]]:
    by_stem: dict[str, list[Path]] = defaultdict(list)
    for path in dict.fromkeys(paths):
        by_stem[path.stem].append(path)
    return (group for group in by_stem.values() if len(group) > 1)


def _labels(group: list[Path], stems: set[str]) -> dict[Path, tuple[str, bool]]:
    """Each path's name when the names differ (``t.csv`` and ``t.jsonl`` in one folder: their
    ``source_file`` already tells them apart, their ids get the suffix) and no input's stem is one;
    else its stem after its last ``k`` folders, ``k`` as small as tells the group apart (one for a
    folder per county), or its name after them. The whole path tells distinct files apart at the
    latest. A label with a folder is no input's stem."""
    names = {path: path.name for path in group}
    if len(set(names.values())) == len(group) and not stems & set(names.values()):
        return {path: (name, True) for path, name in names.items()}
    folders = {path: Path(os.path.abspath(path)).parent.parts for path in group}
    deepest = max(map(len, folders.values()))
    ways = [(k, with_suffix) for with_suffix in (False, True) for k in range(1, deepest + 1)]
    for k, with_suffix in ways:
        labels = {path: PurePath(*folders[path][max(0, len(folders[path]) - k):],
                                 path.name if with_suffix else path.stem).as_posix() for path in group}
        if len(set(labels.values())) == len(group):
            break
    return {path: (label, with_suffix) for path, label in labels.items()}


def _renaming(path: Path, label: str, with_suffix: bool) -> Renaming:
    return Renaming(path.name, path.stem, label if with_suffix else label + path.suffix, label)


def _warning(group: list[Path], new_names: list[str]) -> InputError:
    names = sorted({path.name for path in group})
    called = names[0] if len(names) == 1 else f"{group[0].stem} ({', '.join(names)})"
    count = _COUNTS[len(group) - 2] if len(group) - 2 < len(_COUNTS) else str(len(group))
    shown = new_names if len(new_names) <= _NAMES_SHOWN else [*new_names[:_NAMES_SHOWN - 1],
                                                              f"{len(new_names) - _NAMES_SHOWN + 1} more"]
    return InputError(str(group[0]), f"{count} inputs are named {called}: their rows are told apart as "
                                     f"{', '.join(shown[:-1])} and {shown[-1]}")
