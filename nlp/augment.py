"""Synthetic training rows: copies of clean real tables with defects injected.

The real corpus has few examples of some defects per document, so a grouped split often leaves a
defect absent from a training fold. Injecting known defects into rows that reviewers judged clean
teaches the classifiers what each defect looks like in many sectors. Synthetic rows are for
TRAINING ONLY: they are generated from the training side of each split and never scored in a
reported metric. The injections and their word lists are in ``data/augment.toml``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from nlp.categories import canonical_level2
from nlp.context import name_type
from nlp.cues import project_domain
from nlp.resources import load_toml
from nlp.schema import FAMILIES

AUGMENT_FILE = "augment.toml"


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _inject(row: dict, rng: np.random.Generator, spec: dict) -> tuple[dict, list[str]] | None:
    """Apply one applicable injection to a clean row; returns (row, labelled families) or None."""
    candidates = [name for name, inj in spec["injections"].items() if _applies(inj, row)]
    if not candidates:
        return None
    injection = spec["injections"][_pick(rng, candidates)]
    new = dict(row)
    for column in ("level3", "target_value", "description", "basis"):
        options = injection.get(column)
        if options:
            new[column] = _pick(rng, options).replace("{name}", row["level3"]).replace("{level2}", row["level2"])
    if injection.get("set_level2"):
        new["level2"] = injection["set_level2"]
    if injection.get("swap_comparator"):
        new["target_value"] = row["target_value"].replace("≤", "≥")
        new["value_type"] = row["value_type"].replace("≤", "≥")
    if injection.get("swap_comparator_to_le"):
        new["target_value"] = row["target_value"].replace("≥", "≤")
        new["value_type"] = row["value_type"].replace("≥", "≤")
    if injection.get("clear_unit"):
        new["unit"], new["value_type"] = "", ""
    return new, injection["families"]


def _applies(injection: dict, row: dict) -> bool:
    if injection.get("level2") and canonical_level2(row["level2"]).name not in injection["level2"]:
        return False
    if injection.get("name_type") and name_type(row["level3"]) not in injection["name_type"]:
        return False
    if injection.get("needs") and injection["needs"] not in row["target_value"] + row["value_type"]:
        return False
    if injection.get("project_not_env"):
        project = project_domain(row["project_name"], row["project_goal"])
        return project.has("nonenv_domain") and not project.has("env_domain")
    return True


def synthesise(corpus: pd.DataFrame, random_state: int = 0) -> pd.DataFrame:
    """``copies_per_table`` perturbed copies of every table: a share of clean rows get one defect.

    Copy ``k`` of a document is its own document (``doc_id~synk``, same ``doc_group``): were it
    filed in the original document, every real table would look copied across projects there
    (table facts compare tables within a document), which never happens at prediction time.

    Labels of untouched rows are copied from the real row; an injected row gets label 1 for the
    injection's families and 0 for the others (only rows labelled clean in all families are
    perturbed).
    """
    spec = load_toml(AUGMENT_FILE)
    rng = np.random.default_rng(random_state)
    rows: list[dict] = []
    for table_id, table in corpus.groupby("table_id", sort=True):
        for copy in range(spec["copies_per_table"]):
            for record in table.to_dict("records"):
                new = dict(record, table_id=f"{table_id}~syn{copy}", row_id=f"{record['row_id']}~syn{copy}",
                           doc_id=f"{record['doc_id']}~syn{copy}", provenance=f"synthetic from {record['row_id']}")
                clean = all(record[f] == 0 for f in FAMILIES) and (record["level3"] or record["target_value"])
                if clean and rng.random() < spec["inject_share"]:
                    injected = _inject(new, rng, spec)
                    if injected:
                        new, families = injected
                        new.update({f: int(f in families) for f in FAMILIES})
                rows.append(new)
    return pd.DataFrame(rows, columns=list(corpus.columns))
