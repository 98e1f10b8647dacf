"""Emitting events and worker wake-ups from inside a write transaction; ``emit_message``.

Events are kept on the session and written together just before it commits (one
``executemany``: the inbox records several per message), so they exist exactly when the
change they describe does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from cdmx.actions.reporting import write_reports
from cdmx.actions.webhooks import queue_deliveries, wanted_by_subscriptions
from cdmx.db.tables import EVENTS, Conversation, Message
from cdmx.domain.events import MESSAGE_CREATED, EventData, MessageCreated, MessageUpdated
from cdmx.queries.conversations import audience_of, conversation_snapshot
from cdmx.queries.messages import message_snapshot

_INSERT = EVENTS.insert()
_INSERT_RETURNING = EVENTS.insert().returning(EVENTS.c.id, sort_by_parameter_order=True)


@dataclass
class Emitted:
    """An event of this transaction, written at commit and then published."""

    type: str
    data: dict[str, Any]
    conversation_id: int | None
    audience: list[int] | None
    created_at: datetime


def emit(
    session: Session,
    event: EventData,
    *,
    conversation_id: int | None = None,
    audience: Iterable[int | None] | None = None,
) -> Emitted:
    """Store an event with the change; it is published when the transaction commits."""
    users = None if audience is None else sorted({u for u in audience if u is not None})
    emitted = Emitted(event.type, event.model_dump(), conversation_id, users, datetime.now(UTC))
    session.info.setdefault("events", []).append(emitted)
    return emitted


def write_events(session: Session) -> None:
    """Insert the transaction's events in the order emitted (their ids follow it), and the
    webhook deliveries of those an endpoint wants."""
    emitted = session.info.get("events")
    if not emitted:
        return
    rows = [
        {
            "type": e.type,
            "data": e.data,
            "conversation_id": e.conversation_id,
            "audience": e.audience,
            "created_at": e.created_at,
        }  # fmt: skip
        for e in emitted
    ]
    connection = session.connection()
    if not wanted_by_subscriptions(session, {e.type for e in emitted}):
        connection.execute(_INSERT, rows)
        return
    ids = connection.execute(_INSERT_RETURNING, rows).scalars().all()
    queue_deliveries(
        session,
        [
            (id_, e.type, e.conversation_id, e.created_at)
            for id_, e in zip(ids, emitted, strict=True)
        ],
    )


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    # Once, at the outermost commit (a savepoint's release also fires this hook).
    if not session.in_nested_transaction():
        write_reports(session)  # the reporting rows of the same changes (actions/reporting.py)
        write_events(session)


def wake(session: Session, worker: str) -> None:
    """Wake a worker ("inbox", "outbox") once the transaction commits."""
    session.info.setdefault("wake", set()).add(worker)


def emit_message(
    session: Session,
    conversation: Conversation,
    message: Message,
    type_: str,
    *,
    snapshot: dict[str, Any] | None = None,
) -> None:
    """Publish a message's snapshot (``message.created`` or ``message.updated``); created
    carries its conversation's too (``snapshot`` when the caller has it, else read)."""
    shown = message_snapshot(session, message)
    event: EventData
    if type_ == MESSAGE_CREATED:
        conversation_json = snapshot or conversation_snapshot(session, conversation.id)
        event = MessageCreated.model_validate({"message": shown, "conversation": conversation_json})
    else:
        event = MessageUpdated.model_validate({"message": shown})
    emit(
        session, event, conversation_id=conversation.id,
        audience=audience_of(session, conversation),
    )  # fmt: skip
