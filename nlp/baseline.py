"""Baselines: findings a reviewer has already seen, so that a re-run shows only new ones.

A finding is known by :func:`nlp.fingerprints.finding_key` — the SHA-256 of its row's analysed
cells (whitespace-normalised) plus its code, the key reviewers' decisions use too — never by
``row_id`` or line numbers, so a table re-exported, re-sorted or with rows inserted still matches.
A baseline file is JSON Lines: what ``--write-baseline`` writes
(``fingerprint``, ``code``, ``row_id`` and ``level3`` for people), or a previous ``iqc score -o
x.jsonl`` output, whose rows' findings are fingerprinted when it is read.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from nlp.context import cell_text
from nlp.fingerprints import finding_key
from nlp.schema import FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN

class BaselineError(ValueError):
    """A baseline file that cannot be read; one line naming the file (and line)."""


@dataclass(frozen=True, slots=True)
class KnownFinding:
    """One line of a baseline file."""

    fingerprint: str
    code: str
    row_id: str = ""
    level3: str = ""

    def to_json(self) -> str:
        return json.dumps({"fingerprint": self.fingerprint, "code": self.code, "row_id": self.row_id,
                           "level3": self.level3}, ensure_ascii=False)


def read_baseline(path: Path) -> frozenset[str]:
    """The fingerprints in a baseline file or a previous scored JSONL output."""
    known: set[str] = set()
    try:
        with Path(path).open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    known.update(_line_fingerprints(line, f"{path}:{number}"))
    except (OSError, UnicodeError) as error:
        raise BaselineError(f"{path}: cannot read baseline: {getattr(error, 'strerror', None) or error}") from None
    return frozenset(known)


def _line_fingerprints(line: str, where: str) -> list[str]:
    try:
        record = json.loads(line)
    except ValueError:
        raise BaselineError(f"{where}: not JSON") from None
    if isinstance(record, dict) and isinstance(record.get("fingerprint"), str):
        return [record["fingerprint"]]
    if isinstance(record, dict) and isinstance(record.get("findings"), list) and all(
            isinstance(finding, dict) and "code" in finding
            for column in (FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN) for finding in record.get(column) or ()):
        return [entry.fingerprint for entry in scored_entries([record])]
    raise BaselineError(f"{where}: neither a baseline entry (fingerprint) nor a scored row (findings)")


def write_baseline(entries: Iterable[KnownFinding], path: Path) -> int:
    """Write ``entries`` (once per fingerprint, in order) atomically; returns how many."""
    from nlp.report.atomic import AtomicTarget  # nlp.report's SARIF writer imports this module

    seen: set[str] = set()
    with AtomicTarget(path) as target:
        with target.tmp.open("w", encoding="utf-8") as handle:
            for entry in entries:
                if entry.fingerprint not in seen:
                    seen.add(entry.fingerprint)
                    handle.write(entry.to_json() + "\n")
    return len(seen)


def scored_entries(rows: Iterable[Mapping[str, object]]) -> list[KnownFinding]:
    """Baseline entries of scored rows (dicts with ``findings`` and ``table_findings``): one per finding."""
    return [KnownFinding(finding_key(row, str(finding["code"])), str(finding["code"]), cell_text(row.get("row_id")),
                         cell_text(row.get("level3")))
            for row in rows for column in (FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN) for finding in row.get(column) or ()]
