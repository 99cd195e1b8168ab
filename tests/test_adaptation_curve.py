"""The adaptation curve's protocol: reviewed documents never scored, and the pairing is exact."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from nlp.corpus import load_corpus

SCRIPT = Path(__file__).resolve().parents[1] / "notebooks" / "adaptation_curve.py"


@pytest.fixture(scope="module")
def curve_module():
    spec = importlib.util.spec_from_file_location("adaptation_curve", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_reviewed_document_gives_the_model_without_them(curve_module) -> None:
    """k = 0 fits the same system on the same rows as the fresh-source model: same figures."""
    curve = curve_module.adaptation_curve(load_corpus(), documents=[0, 2], repeats=1)
    assert set(curve["direction"]) == {"seed+public -> more", "seed+more -> public"}
    unreviewed = curve[curve["k"] == 0]
    assert (unreviewed["macro_f1"] == unreviewed["macro_f1_without"]).all()
    assert len(curve[curve["k"] == 2]) == 2
    assert "macro_f1 " in curve_module.summary(curve).T.to_string()


def test_reviewed_documents_are_left_out_of_the_scored_ones(curve_module, monkeypatch) -> None:
    scored_documents, fitted_documents = [], []
    fit, score = curve_module.fit_system, curve_module.score_held_out
    def fit_recorded(train, reviewed=None):
        fitted_documents.append(set(train["doc_group"]) | (set(reviewed["doc_group"]) if reviewed is not None else set()))
        return fit(train, reviewed=reviewed)

    monkeypatch.setattr(curve_module, "fit_system", fit_recorded)
    monkeypatch.setattr(curve_module, "score_held_out",
                        lambda model, rows: scored_documents.append(set(rows["doc_group"])) or score(model, rows))
    monkeypatch.setattr(curve_module, "FRESH_SOURCE_SPLITS", [(("seed", "more"), "public")])
    curve_module.adaptation_curve(load_corpus(), documents=[3], repeats=1)
    (without_fit, with_fit), (all_new, rest) = fitted_documents, scored_documents
    reviewed = with_fit - without_fit
    assert len(reviewed) == 3 and reviewed <= all_new and not reviewed & rest and rest | reviewed == all_new
