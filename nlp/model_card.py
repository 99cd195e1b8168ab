"""The model card: what the bundled model is, how it was measured, where it is weak.

Rendered from the manifest by ``iqc train``, so every figure in it is the one the manifest holds.
"""
from __future__ import annotations

from nlp.codes import catalogue, is_default_off
from nlp.evaluate import figure, macro_note
from nlp.schema import FAMILIES

_FAMILY_HEADER = ("| family | P | R | **F1** | flag or review: R | keyword baseline P / R / F1 | positives |\n"
                  "|---|---|---|---|---|---|---|")


def family_table(result: dict) -> str:
    """One measurement (fresh-source split or grouped CV) as a markdown table, macro F1 last;
    ``–`` for a figure with nothing to count (see :func:`nlp.evaluate.family_metrics`)."""
    lines = [_FAMILY_HEADER]
    for family in FAMILIES:
        m, seen, b = (result[key][family] for key in ("model", "model_flag_or_review", "keyword_baseline"))
        lines.append(f"| {family} | {figure(m['precision'])} | {figure(m['recall'])} | **{figure(m['f1'])}** | "
                     f"{figure(seen['recall'])} | {figure(b['precision'])} / {figure(b['recall'])} / "
                     f"{figure(b['f1'])} | {m['support']} |")
    low, high = result["macro_f1_90pct_interval"]
    over = f", {note}" if (note := macro_note(result["model"])) else ""
    lines.append(f"| **macro** | | | **{figure(result['model']['macro_f1'])}** ({low:.2f}–{high:.2f}{over}) | | "
                 f"{figure(result['keyword_baseline']['macro_f1'])} | |")
    return "\n".join(lines)


def code_table(cv_codes: dict, rules: dict, model_codes: dict) -> str:
    """Per code: the rule on its own over all labelled rows, and the code as reported (grouped CV).
    Model codes (B0/C0/M0) have no rule and no reviewer writes them: their precision is the share of
    rows reported with them that are real defects of their family."""
    lines = ["| code | title | rule fired | rule P | rule R | reported P (CV) | reported R (CV) | gold rows |",
             "|---|---|---|---|---|---|---|---|"]
    for code, entry in catalogue().items():
        if entry["family"] == "advisory":
            continue
        rule, reported = rules.get(code, {}), model_codes.get(code) or cv_codes.get(code, {})
        off = " (off by default)" if is_default_off(code) else ""
        figures = " | ".join(figure(m.get(key), 2) for m, key in
                             ((rule, "precision"), (rule, "recall"), (reported, "precision"), (reported, "recall")))
        lines.append(f"| {code} | {entry['title']}{off} | {rule.get('predicted', 0)} | {figures} | "
                     f"{rule.get('gold', 0)} |")
    return "\n".join(lines)


def model_card(manifest: dict) -> str:
    metrics = manifest["metrics"]
    lines = [
        f"# indicator-qc model {manifest['version']}", "",
        "Flags Chinese budget performance indicators (预算绩效目标表 rows) in three families: boilerplate, "
        "category mismatch, unmeasurable. One logistic-regression head per family over parsed-value structure, "
        "lexicon cues, project context, table facts, rule hits and character/word n-grams, plus a 二级 "
        "category classifier whose fit with the resolved declared category feeds the mismatch head. "
        "Rules that proved reliable in training floor their family's score. Sigmoid-calibrated; each family "
        "flags at an out-of-fold threshold aiming at precision 0.90, with a `review` band below it.", "",
        f"Training data: `data/corpus/` (SHA-256 `{manifest['training_data_sha256'][:16]}…`): "
        "every labelled row of the three collections, plus synthetic defect injections "
        "(`data/augment.toml`) used for training only. Scoring fingerprint "
        f"`{manifest['fingerprint']['sha256'][:16]}…` (rules, lexicons, taxonomy, codes, thresholds).", "",
        "## What a new province should expect: fresh-source figures", "",
        "The whole system fitted on some collections (gathered in separate rounds, from other provinces and "
        "sectors) and scored on another. This is the headline. In brackets: the 90 % interval of macro F1 "
        "over documents resampled with replacement.", "",
    ]
    for name, result in metrics["fresh_source"].items():
        lines += [f"### {name} ({result['rows']} rows, {result['documents']} documents)", "", family_table(result), ""]
    cv = metrics["grouped_cv"]
    lines += [f"## Document-grouped cross-validation ({metrics['protocol']['grouped_cv']})", "",
              "Reads higher than the fresh-source figures: the rules and word lists were written by people who "
              "had seen the earlier collections.", "", family_table(cv), "",
              "The same held-out predictions against the second reviewer's labels (`data/corpus/label_review.tsv`): "
              + ", ".join(f"{f} F1 {figure(cv['model_on_reviewed_labels'][f]['f1'])}" for f in FAMILIES) + ".", "",
              "## Codes", "",
              "Rule P/R: each rule on its own, fired or not flagged, over all labelled rows (rules learn nothing "
              "from labels). Reported P/R: the codes users see (a flagged family's rules), grouped CV. A rule under "
              "0.70 precision is off by default (`default_off` in `data/codes.toml`): it still informs the model, "
              "but is never reported.", "",
              code_table(cv["codes"], metrics["rules_on_labelled_rows"], cv["model_codes"]), "",
              "Thresholds (flag / review): " + ", ".join(
                  f"{f} {manifest['thresholds'][f]:.3f} / {manifest['review_thresholds'][f]:.3f}" for f in FAMILIES)
              + ". Regularisation C: " + ", ".join(f"{f} {manifest['regularisation'][f]}" for f in FAMILIES) + ".", "",
              *_feedback_section(manifest),
              "## Limits", "",
              "- 787 labelled rows from 59 documents: every family has tens of positives per collection, so a "
              "fresh-source F1 moves by several points with a handful of rows.",
              "- The rules, lexicons and taxonomy were written from the labelling guide by people who had read the "
              "seed and public rows (and, for the category resolver's C8 policy, the reviewed C8 rows of every "
              "collection); `more_tables` rows were not read row by row. The `-> more` direction is the freshest "
              "figure we have; the maintainers' own unseen tables are the real test.",
              "- Most misses on unseen tables are rows where no rule fires: new vocabulary for slogans, "
              "tautologies, outcomes filed as outputs. N-gram weights from a few hundred rows do not cover it.",
              "- The 二级 category model sees features crossed with the declared category, so on held-out rows it "
              "mostly returns the declared category: it adds little mismatch signal of its own and "
              "`suggested_level2` is weak. Content-only versions were measured and not shipped (docs/model-experiments.md).",
              "- Labels come from two reviewers plus adjudication (κ ≈ 0.8–0.98); the model cannot be more reliable "
              "than that agreement.", ""]
    return "\n".join(lines)


def _feedback_section(manifest: dict) -> list[str]:
    """The reviewer feedback the final fit included, reported apart from the corpus figures."""
    feedback = manifest.get("feedback")
    if not feedback:
        return []
    agreement = feedback.get("corpus_model_on_feedback") or {}
    lines = ["## Reviewer feedback", "",
             f"{feedback['rows']} rows decided by reviewers (`iqc train --feedback`, SHA-256 "
             f"`{feedback['sha256'][:16]}…`) joined the final fit only; no figure above uses them. Positives: "
             + ", ".join(f"{f} {feedback['positives'][f]}" for f in FAMILIES) + "."]
    if agreement:
        lines.append("The corpus-only model against the reviewers' decisions: "
                     + ", ".join(f"{f} P {figure(agreement[f]['precision'])} R {figure(agreement[f]['recall'])}"
                               for f in FAMILIES)
                     + ".")
    return [*lines, ""]
