"""Delivery statuses of outbound messages: applied forwards only, and kept when they
arrive before the send is recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from cdmx.actions.events import emit
from cdmx.db.tables import (
    CONVERSATIONS,
    EARLY_STATUSES,
    MESSAGES,
    Channel,
    Message,
)
from cdmx.domain.events import MessageUpdated
from cdmx.domain.states import (
    STATUS_FAILED,
    Direction,
    status_advances,
)
from cdmx.queries.conversations import audience_for
from cdmx.queries.messages import message_snapshot
from cdmx.whatsapp.payload import StatusUpdate, parse_status

_SAME_WAMID = (
    MESSAGES.c.channel_id == bindparam("channel_id"),
    MESSAGES.c.wamid == bindparam("wamid"),
)
# With its conversation's assignee, to whom the status event goes.
_MESSAGE_BY_WAMID = (
    select(
        MESSAGES,
        CONVERSATIONS.c.assignee_id.label("conversation_assignee_id"),
        CONVERSATIONS.c.queue_id.label("conversation_queue_id"),
    )
    .join(CONVERSATIONS, CONVERSATIONS.c.id == MESSAGES.c.conversation_id)
    .where(*_SAME_WAMID)
)
_UPDATE_MESSAGE = update(MESSAGES).where(MESSAGES.c.id == bindparam("row_id"))
_INSERT_EARLY = EARLY_STATUSES.insert()
_EARLY_FOR = select(EARLY_STATUSES.c.id, EARLY_STATUSES.c.payload).where(
    EARLY_STATUSES.c.channel_id == bindparam("channel_id"),
    EARLY_STATUSES.c.wamid == bindparam("wamid"),
)
_DELETE_EARLY = delete(EARLY_STATUSES).where(
    EARLY_STATUSES.c.id.in_(bindparam("ids", expanding=True))
)
_OWNERS_OF = select(CONVERSATIONS.c.assignee_id, CONVERSATIONS.c.queue_id).where(
    CONVERSATIONS.c.id == bindparam("conversation_id")
)


def do_apply_status(session: Session, channel: Channel, update: StatusUpdate) -> bool:
    """Move an outbound message forward to this status; never backwards. True if it moved.

    A status for a wamid we have not recorded yet (the webhook beat the send response) is
    kept and applied when the send is recorded.
    """
    connection = session.connection()
    row = connection.execute(
        _MESSAGE_BY_WAMID, {"channel_id": channel.id, "wamid": update.wamid}
    ).first()
    if row is None:
        connection.execute(_INSERT_EARLY, {
            "channel_id": channel.id, "wamid": update.wamid, "payload": update.raw,
            "created_at": datetime.now(UTC),
        })  # fmt: skip
        return False
    fields = dict(row._mapping)
    owners = (fields.pop("conversation_assignee_id"), fields.pop("conversation_queue_id"))
    return advance_status(session, Message(**fields), update, owners=owners)


def advance_status(
    session: Session,
    message: Message,
    update: StatusUpdate,
    *,
    also: dict[str, Any] | None = None,
    owners: tuple[int | None, int | None] | None = None,
) -> bool:
    """Apply a status to ``message`` (of the session, or a detached snapshot) and its row,
    with the columns in ``also`` in the same statement. The event goes to whoever may see
    the conversation: its agent, or while it waits its queue's members (``owners``, the
    conversation's assignee and queue, read here unless the caller has them)."""
    if message.direction != Direction.OUTBOUND or not status_advances(
        message.status, update.status
    ):
        return False
    changes: dict[str, Any] = {
        **(also or {}), "status": update.status, "status_at": update.timestamp,
        "error_code": None, "error_title": None, "error_details": None,
    }  # fmt: skip
    if update.status == STATUS_FAILED:
        error = update.errors[0] if update.errors else None
        changes["error_code"] = error.code if error else None
        changes["error_title"] = error.title if error else "Failed"
        changes["error_details"] = error.details if error else None
    session.connection().execute(_UPDATE_MESSAGE, {"row_id": message.id, **changes})
    for name, value in changes.items():
        setattr(message, name, value)
    if owners is None:
        row = (
            session.connection()
            .execute(_OWNERS_OF, {"conversation_id": message.conversation_id})
            .first()
        )
        owners = (None, None) if row is None else (row.assignee_id, row.queue_id)
    emit(
        session, MessageUpdated.model_validate({"message": message_snapshot(session, message)}),
        conversation_id=message.conversation_id, audience=audience_for(session, *owners),
    )  # fmt: skip
    return True


def apply_early_statuses(session: Session, message: Message, phone_number_id: str) -> None:
    """Apply statuses that arrived before this message's wamid was recorded, in time order."""
    connection = session.connection()
    early = connection.execute(
        _EARLY_FOR, {"channel_id": message.channel_id, "wamid": message.wamid}
    ).all()
    if not early:
        return
    updates = sorted(
        (parse_status(row.payload, phone_number_id) for row in early), key=lambda u: u.timestamp
    )
    for status in updates:
        advance_status(session, message, status)
    connection.execute(_DELETE_EARLY, {"ids": [row.id for row in early]})
