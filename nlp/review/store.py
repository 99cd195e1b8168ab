"""The review store: reviewers' decisions per finding, and the batches they review, in SQLite.

Decisions are keyed by :func:`nlp.fingerprints.finding_key` (row cells + code), so a decision
outlives the batch it was made in and applies to the identical row of any later run. Each keeps
the row's cells (provenance, and training data later), the reviewer, the time and the batch.
SQLite (stdlib) because one file beside the server is all a review team needs; every operation
opens its own connection, so the API's worker threads never share one.
"""
from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, TypeVar

#: Stored decision -> the word reviewers see and write in workbooks.
DECISION_LABELS: dict[str, str] = {"accept": "采纳", "reject": "驳回"}
_DECISION_WORDS = {**{v: k for k, v in DECISION_LABELS.items()}, **{k: k for k in DECISION_LABELS}}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    key TEXT PRIMARY KEY, code TEXT NOT NULL, decision TEXT CHECK (decision IN ('accept', 'reject')),
    comment TEXT NOT NULL DEFAULT '', reviewer TEXT NOT NULL DEFAULT '', decided_at TEXT NOT NULL,
    batch TEXT NOT NULL DEFAULT '', cells TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL, items TEXT NOT NULL);
"""


#: The columns of the decisions table, in order.
DECISION_COLUMNS: tuple[str, ...] = ("key", "code", "decision", "comment", "reviewer", "decided_at", "batch", "cells")
_UPSERT = f"INSERT OR REPLACE INTO decisions VALUES ({', '.join('?' * len(DECISION_COLUMNS))})"
#: How long an operation waits for another program's lock on the store before it gives up.
BUSY_SECONDS = 10.0
#: SQLite's primary result codes of a lock held elsewhere.
_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


class _HasDecisions(Protocol):
    decisions: list[Decision]


_Changes = TypeVar("_Changes", bound=_HasDecisions)


class StoreError(Exception):
    """The store file cannot be opened, is not a review store, or cannot take a change (a full
    disk); the message is one line and names the file."""


class StoreBusy(StoreError):
    """Another program held the store's lock for :data:`BUSY_SECONDS`: the file is sound, and the
    same operation can succeed later (read as "not a usable review database", it sent reviewers
    looking for damage)."""


def parse_decision(text: Any) -> str | None:
    """``accept``/``reject`` from 采纳/驳回 or the English words; None for an empty cell."""
    word = "" if text is None else str(text).strip().lower()
    if not word:
        return None
    if word not in _DECISION_WORDS:
        raise ValueError(f"decision must be 采纳 or 驳回 (accept/reject), not {text!r}")
    return _DECISION_WORDS[word]


def is_decision(text: Any) -> bool:
    """Whether ``text`` is a word :func:`parse_decision` reads: one typed into another column
    than the decision's was a decision meant, not a comment."""
    return text is not None and str(text).strip().lower() in _DECISION_WORDS


@dataclass(frozen=True, slots=True)
class Decision:
    """One finding's review: ``decision`` is None when only a comment was left."""

    key: str
    code: str
    decision: str | None
    comment: str
    reviewer: str
    decided_at: str
    batch: str
    cells: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Shown:
    """What a page showed of a finding's review when a reviewer changed it: the base the change is
    made over (no decision, no comment and no time when it showed none)."""

    decision: str | None = None
    comment: str = ""
    decided_at: str = ""

    @classmethod
    def of(cls, made: Decision | None) -> "Shown":
        return cls() if made is None else cls(made.decision, made.comment, made.decided_at)


class DecisionChanged(Exception):
    """A change made over a review that another has replaced since; ``current`` is the stored one."""

    def __init__(self, current: Decision | None) -> None:
        super().__init__(_changed(current))
        self.current = current


def _changed(current: Decision | None) -> str:
    """Who changed the review, when, and to what: a reviewer told only "conflict" cannot judge it."""
    if current is None:
        return "the store holds no review of this finding, unlike this page: reload it and decide again"
    state = DECISION_LABELS.get(current.decision or "", "a comment only")
    return (f"this finding's review changed after this page showed it: now {state}, by "
            f"{current.reviewer or 'another reviewer'} at {current.decided_at}; see it and decide again")


def _unreachable(path: Path) -> str:
    """Why ``path`` cannot be a store file whatever it holds, else "": SQLite says "unable to open
    database file" of a folder and of a file in a folder that does not exist, and the message read
    as if the file were damaged."""
    if path.is_dir():
        return "a folder, not a review database file"
    if not path.parent.is_dir():
        return f"its folder {path.parent} does not exist (the store file is created, its folder is not)"
    return ""


class ReviewStore:
    """Decisions and batches in one SQLite file (created with its tables on first use).

    ``read_only`` opens an existing store for reading only (``iqc train --feedback``, ``iqc score
    --db``). Written to, the tables are created only in a file that holds none yet: creating them
    in any file wrote them into whatever SQLite file was named (``iqc serve --db``, ``iqc review
    import --db``), another program's database too, which then passed for a store.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self._read_only = read_only
        if where := _unreachable(self.path):
            raise StoreError(f"{self.path}: {where}")
        try:
            with self._connect() as db:
                if not read_only and not _has_tables(db):
                    db.executescript(_SCHEMA)
                columns = _decision_columns(db)
        except StoreBusy:
            raise
        except StoreError as exc:
            raise StoreError(f"{self.path}: not a usable review database ({exc.__cause__})") from None
        if columns != DECISION_COLUMNS:
            raise StoreError(f"{self.path}: not a review store (it has "
                             f"{'no decisions table' if not columns else 'a decisions table of other columns'})")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection whose work is committed whole or, on any error, not at all."""
        try:
            if self._read_only:  # SQLite's own guarantee that nothing is written, not only this code's
                db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_SECONDS)
            else:
                db = sqlite3.connect(self.path, timeout=BUSY_SECONDS)
            try:
                with db:  # commits, or rolls back on error
                    yield db
            finally:
                db.close()
        except sqlite3.Error as exc:  # "database or disk is full", a locked or damaged file, …
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF in _BUSY_CODES:  # primary code of an extended one
                raise StoreBusy(f"{self.path}: the review database is locked by another program (waited "
                                f"{BUSY_SECONDS:g} s); nothing was changed, try again once it is done") from exc
            raise StoreError(f"{self.path}: {exc}; the change was not saved") from exc

    def decide(self, key: str, code: str, decision: str | None, comment: str = "", *, reviewer: str = "",
               batch: str = "", cells: Mapping[str, Any] | None = None, when: str | None = None,
               base: Shown | None = None) -> Decision:
        """Record (or replace) the review of finding ``key``. ``decision`` None records a comment and
        leaves a stored decision, and who made it when, as they are: a second reviewer's page, loaded
        before the first one's 驳回, sent its comment with no decision and erased the rejection.

        With ``base`` (what the page showed), :class:`DecisionChanged` when the stored review is no
        longer that: a page loaded before another reviewer's 驳回 replaced it with its 采纳 unsaid.
        Read and written in one transaction, so two saves on one base cannot both pass.
        """
        if decision is not None and decision not in DECISION_LABELS:
            raise ValueError(f"decision must be one of {sorted(DECISION_LABELS)}, not {decision!r}")
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # no other save between the read and the write
            row = db.execute("SELECT * FROM decisions WHERE key = ?", (key,)).fetchone()
            before = None if row is None else _decision(row)
            if base is not None and base != Shown.of(before):
                raise DecisionChanged(before)
            if decision is None and before is not None and before.decision is not None:
                decision, reviewer, when = before.decision, before.reviewer, before.decided_at
            made = Decision(key, code, decision, comment or "", reviewer or "", when or now(), batch,
                            {k: "" if v is None else str(v) for k, v in (cells or {}).items()})
            db.execute(_UPSERT, _row(made))
        return made

    def save(self, decisions: Iterable[Decision]) -> int:
        """Upsert ``decisions``; returns how many were written."""
        rows = [_row(d) for d in decisions]
        with self._connect() as db:
            db.executemany(_UPSERT, rows)
        return len(rows)

    def update(self, change: Callable[[dict[str, Decision]], _Changes]) -> _Changes:
        """Upsert the decisions of ``change(stored decisions by key)``, and return it; read and written
        in one transaction. Read and saved apart, an import merged over the store as it was before a
        reviewer's 驳回 on the page, and its comment alone on that finding erased the rejection."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # no other save between the read and the write
            made = change({row[0]: _decision(row) for row in db.execute("SELECT * FROM decisions")})
            db.executemany(_UPSERT, [_row(d) for d in made.decisions])
        return made

    def decisions(self) -> list[Decision]:
        """Every decision, oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM decisions ORDER BY decided_at, key").fetchall()
        return [_decision(row) for row in rows]

    def decision(self, key: str) -> Decision | None:
        """The review of finding ``key``, if any."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM decisions WHERE key = ?", (key,)).fetchone()
        return None if row is None else _decision(row)

    def by_key(self) -> dict[str, Decision]:
        return {d.key: d for d in self.decisions()}

    def rejected_keys(self) -> frozenset[str]:
        """Keys of the findings reviewers rejected: later runs hide them."""
        with self._connect() as db:
            return frozenset(k for (k,) in db.execute("SELECT key FROM decisions WHERE decision = 'reject'"))

    def add_batch(self, name: str, items: list[dict[str, Any]]) -> str:
        """Keep a scored batch (its findings as review items) for the review page; returns its id."""
        batch_id = uuid.uuid4().hex[:12]
        with self._connect() as db:
            db.execute("INSERT INTO batches VALUES (?, ?, ?, ?)",
                       (batch_id, name, now(), json.dumps(items, ensure_ascii=False)))
        return batch_id

    def batches(self) -> list[dict[str, str]]:
        """Id, name and time of every batch, newest first."""
        with self._connect() as db:
            rows = db.execute("SELECT id, name, created_at FROM batches ORDER BY created_at DESC").fetchall()
        return [{"id": i, "name": n, "created_at": t} for i, n, t in rows]

    def batch_items(self, batch_id: str) -> list[dict[str, Any]] | None:
        """The review items of a batch, or None if there is no such batch."""
        with self._connect() as db:
            row = db.execute("SELECT items FROM batches WHERE id = ?", (batch_id,)).fetchone()
        return None if row is None else json.loads(row[0])


def _row(made: Decision) -> tuple[Any, ...]:
    """``made`` as a ``decisions`` table row (its cells as JSON)."""
    return (made.key, made.code, made.decision, made.comment, made.reviewer, made.decided_at, made.batch,
            json.dumps(made.cells, ensure_ascii=False))


def _decision_columns(db: sqlite3.Connection) -> tuple[str, ...]:
    """The columns of ``db``'s decisions table; empty when it has none."""
    return tuple(row[1] for row in db.execute("PRAGMA table_info(decisions)"))


def _has_tables(db: sqlite3.Connection) -> bool:
    """Whether ``db`` holds any table (a file not written yet holds none)."""
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").fetchone() is not None


def _decision(row: tuple[Any, ...]) -> Decision:
    """A ``decisions`` table row as a :class:`Decision` (its cells are stored as JSON)."""
    return Decision(*row[:7], json.loads(row[7]))


def change_counter(path: Path) -> int | None:
    """SQLite's file change counter of ``path`` (bytes 24-27 of its header), which every write
    transaction advances in the rollback journal mode the store keeps (SQLite's default); None
    when the file cannot be read."""
    try:
        with path.open("rb") as file:
            header = file.read(28)
    except OSError:
        return None
    return int.from_bytes(header[24:28], "big")


def now() -> str:
    """A decision's time stamp: UTC, to the second, ISO 8601 (sorts as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
