"""Counting what the hot paths do: the statements they send and the events they emit.

``assert_queries(db, n)`` fails when the block sends other than ``n`` statements to the
database (transaction control — BEGIN, COMMIT, ROLLBACK, SAVEPOINT — is not counted, so the
number is the same on SQLite and PostgreSQL, nor the once-a-second read of the webhook
subscriptions); the failure lists the statements sent.
``count_queries(db)`` only records them, for comparing two runs (no N+1: a list of 3 and a
list of 10 cost the same). ``captured_events(db)`` records the events each commit published,
with their audience.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from cdmx.db.engine import Database

_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
# The webhook subscriptions are read at most once a second per process (cdmx/actions/
# webhooks.py), not per transaction: whether a block pays for it is a matter of timing.
_CACHED_READS = ("SELECT webhook_subscriptions.id, webhook_subscriptions.events FROM",)


def _engines(db: Database) -> list[Engine]:
    # On PostgreSQL the read engine is the write engine with other options (same events).
    return [db.engine, db.read_engine] if db.is_sqlite else [db.engine]


@contextmanager
def count_queries(db: Database) -> Iterator[list[str]]:
    """The statements the block sends through ``db`` (both engines), in order."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        text = " ".join(statement.split())
        if not text.upper().startswith(_TRANSACTION_CONTROL) and not text.startswith(_CACHED_READS):
            statements.append(text)

    engines = _engines(db)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


def routing_lock(db: Database) -> int:
    """The statement routing adds on PostgreSQL only: its advisory lock (SQLite has one
    writer at a time already)."""
    return 0 if db.is_sqlite else 1


@contextmanager
def assert_queries(db: Database, expected: int) -> Iterator[list[str]]:
    """Fail unless the block sends exactly ``expected`` statements through ``db``."""
    with count_queries(db) as statements:
        yield statements
    if len(statements) != expected:
        listed = "\n".join(f"  {i}. {s[:160]}" for i, s in enumerate(statements, 1))
        raise AssertionError(f"expected {expected} statements, sent {len(statements)}:\n{listed}")


@dataclass(frozen=True)
class Captured:
    type: str
    data: dict[str, Any]
    conversation_id: int | None
    audience: list[int] | None  # the users it is for; None means everyone who may see it


@contextmanager
def captured_events(db: Database) -> Iterator[list[Captured]]:
    """The events that commits through ``db`` published during the block, in order."""
    captured: list[Captured] = []
    previous = db.on_commit

    def on_commit(events: list[Any], wakes: set[str]) -> None:
        captured.extend(Captured(e.type, e.data, e.conversation_id, e.audience) for e in events)
        if previous is not None:
            previous(events, wakes)

    db.on_commit = on_commit
    try:
        yield captured
    finally:
        db.on_commit = previous
