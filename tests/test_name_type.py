"""What a 三级 name measures is read from its ending (nlp.context.name_type). Real tables often
write the unit or a note in brackets after the name (培训人数（人）, 单位成本【万元】, 及时率（按合同）):
the type must be read from the name before that note. Names are built here from the lexicon's own
endings, never taken from the corpora."""
from __future__ import annotations

import pytest

from nlp.context import name_type
from nlp.resources import load_toml

ENDINGS = load_toml("lexicons/cues.toml")["name_types"]
NOTES = ["（人）", "(人次)", "【万元】", "[%]", "〔个〕", "（%）", "（按合同约定）", " (必填)", "（人）（必填）"]


def _names() -> list[tuple[str, str]]:
    """One name per ending whose type the ending alone decides (a longer ending of another type,
    such as 满意率 for 率, is left to its own kind)."""
    names = []
    for kind, endings in ENDINGS.items():
        for ending in endings:
            name = "项目" + ending
            if name_type(name) == kind:
                names.append((name, kind))
    return names


def test_every_kind_has_names_to_test() -> None:
    assert {kind for _, kind in _names()} == set(ENDINGS)


@pytest.mark.parametrize("note", NOTES)
def test_a_bracketed_note_after_the_name_does_not_change_its_type(note: str) -> None:
    wrong = [(name + note, kind, name_type(name + note)) for name, kind in _names() if name_type(name + note) != kind]
    assert not wrong, wrong[:10]


@pytest.mark.parametrize(("name", "kind"), [
    ("培训人数（人）", "count"), ("完成时间（月）", "time"), ("单位成本（万元）", "money"),
    ("群众满意度（百分比）", "satisfaction"), ("（一）培训人数", "count"), ("(%)", "text"),
])
def test_examples(name: str, kind: str) -> None:
    assert name_type(name) == kind
