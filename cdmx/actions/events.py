"""Emitting events and worker wake-ups from inside a write transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from cdmx.db.tables import Event


def emit(
    session: Session,
    type_: str,
    data: dict[str, Any],
    *,
    conversation_id: int | None = None,
    audience: Iterable[int | None] | None = None,
) -> Event:
    """Store an event with the change; it is published when the transaction commits."""
    users = None if audience is None else sorted({u for u in audience if u is not None})
    event = Event(
        type=type_,
        conversation_id=conversation_id,
        audience=users,
        data=data,
        created_at=datetime.now(UTC),
    )
    session.add(event)
    session.info.setdefault("events", []).append(event)
    return event


def wake(session: Session, worker: str) -> None:
    """Wake a worker ("inbox", "outbox") once the transaction commits."""
    session.info.setdefault("wake", set()).add(worker)
