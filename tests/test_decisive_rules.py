"""Which rules floor their family's score (nlp.model.decisive_rules): shrinkage towards the family."""
from types import SimpleNamespace

import numpy as np

from nlp.model import DECISIVE_PRECISION, decisive_rules
from nlp.rules import RULES


def _floors(hits: list[dict], mismatch: list[int]) -> dict:
    rows = SimpleNamespace(hits=hits)
    labels = {"mismatch": np.array(mismatch)}
    return decisive_rules(rows, labels, real_mask=np.ones(len(hits), dtype=bool)).get("mismatch", {})


def test_an_unexercised_rule_of_a_reliable_family_is_trusted_like_its_family():
    hits = [{"C1": "x"}] * 10 + [{"C6": "x"}] * 10 + [{}] * 5
    floors = _floors(hits, [1] * 20 + [0] * 5)
    assert "C8" in RULES and floors["C8"] >= DECISIVE_PRECISION


def test_a_rule_that_misfires_in_training_is_not_decisive():
    hits = [{"C1": "x"}] * 10 + [{"C6": "x"}] * 6
    floors = _floors(hits, [1] * 10 + [1, 1, 0, 0, 0, 0])
    assert "C1" in floors and "C6" not in floors


def test_no_rule_is_decisive_when_the_family_rules_are_unreliable():
    hits = [{"C1": "x"}] * 10
    assert _floors(hits, [1] * 5 + [0] * 5) == {}
