"""Emitting events and worker wake-ups from inside a write transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from cdmx.db.tables import Event, table

EVENTS = table(Event)
_INSERT = EVENTS.insert()
_SET_DATA = update(EVENTS).where(EVENTS.c.id == bindparam("event_id"))


@dataclass
class Emitted:
    """An event written by this transaction, published once it commits."""

    id: int
    type: str
    data: dict[str, Any]


def emit(
    session: Session,
    type_: str,
    data: dict[str, Any],
    *,
    conversation_id: int | None = None,
    audience: Iterable[int | None] | None = None,
) -> Emitted:
    """Store an event with the change; it is published when the transaction commits."""
    users = None if audience is None else sorted({u for u in audience if u is not None})
    result = session.connection().execute(
        _INSERT,
        {
            "type": type_, "conversation_id": conversation_id, "audience": users,
            "data": data, "created_at": datetime.now(UTC),
        },
    )  # fmt: skip
    event_id = result.inserted_primary_key[0]  # type: ignore[index]
    emitted = Emitted(id=event_id, type=type_, data=data)
    session.info.setdefault("events", []).append(emitted)
    return emitted


def replace_event_data(session: Session, emitted: Emitted, data: dict[str, Any]) -> None:
    """Give an event of this (uncommitted) transaction a newer snapshot."""
    session.connection().execute(_SET_DATA, {"event_id": emitted.id, "data": data})
    emitted.data = data


def wake(session: Session, worker: str) -> None:
    """Wake a worker ("inbox", "outbox") once the transaction commits."""
    session.info.setdefault("wake", set()).add(worker)
