"""Reviewers' decisions as training rows (``iqc train --feedback DB``).

A reviewer who accepts or rejects findings has labelled the row they were on. Each row with at
least one decision becomes a training row: a family is 1 when a finding of it was accepted, and
0 otherwise -- a rejected finding says "not this defect", and a family without a finding was not
flagged and not disputed. That last part is an assumption (reviewers see flags, not misses), so
feedback rows only ever join the *final* fit: every reported metric stays on the labelled
corpora, and the model card reports the feedback separately, with how the corpus-only model
agreed with the reviewers.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

import pandas as pd

from nlp.codes import catalogue, family_of
from nlp.fingerprints import KEY_CELLS, finding_key
from nlp.review.store import Decision, ReviewStore
from nlp.schema import FAMILIES

COLLECTION = "feedback"


def _row_key(cells: dict[str, str]) -> str:
    return finding_key(cells, "")


def feedback_rows(store_path: Path) -> pd.DataFrame:
    """One labelled row per reviewed row, in a stable order (same store, same frame)."""
    decided: dict[str, list[Decision]] = defaultdict(list)
    for decision in ReviewStore(store_path, read_only=True).decisions():
        if decision.decision is not None and _family(decision, store_path) in FAMILIES:
            decided[_row_key(decision.cells)].append(decision)
    records = [_record(key, decisions) for key, decisions in sorted(decided.items())]
    columns = [*KEY_CELLS, *FAMILIES, "codes", "row_id", "doc_id", "table_id", "doc_group", "collection",
               "provenance"]
    return pd.DataFrame(records, columns=columns).fillna("")


def _family(decision: Decision, store_path: Path) -> str:
    """The family of the decided code; a ``ValueError`` naming the store and the row for a code
    today's catalogue lacks (a store kept from another version): which family the reviewer's
    decision labels cannot be told, and leaving the row out would be silent."""
    if decision.code not in catalogue():
        raise ValueError(f"{store_path}: a decision on code {decision.code!r} (row {decision.cells.get('level3', '')}), "
                         "which data/codes.toml does not have; the store is from another version of the codes")
    return family_of(decision.code)


def _record(key: str, decisions: list[Decision]) -> dict:
    cells = {name: decisions[0].cells.get(name, "") for name in KEY_CELLS}
    accepted = sorted({d.code for d in decisions if d.decision == "accept"})
    batch = decisions[0].batch or "review"
    labels = {family: int(any(family_of(code) == family for code in accepted)) for family in FAMILIES}
    who = "; ".join(sorted({f"{d.code} {d.decision} by {d.reviewer or 'reviewer'} {d.decided_at}" for d in decisions}))
    return {**cells, **labels, "codes": ";".join(accepted), "row_id": f"feedback:{key[:16]}",
            "doc_id": f"feedback:{batch}", "table_id": f"feedback:{batch}|{cells['project_name']}",
            "doc_group": f"{COLLECTION}:{batch}", "collection": COLLECTION, "provenance": f"review decisions: {who}"}


def feedback_sha256(rows: pd.DataFrame) -> str:
    """Hash of the feedback rows as trained on (recorded in the manifest)."""
    return hashlib.sha256(json.dumps(rows.to_dict("records"), ensure_ascii=False, sort_keys=True).encode()).hexdigest()
