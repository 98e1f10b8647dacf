"""Internal notes: a line for the team inside a conversation, never sent to WhatsApp."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from cdmx.actions.audit import record_audit
from cdmx.actions.events import emit_message
from cdmx.actions.mentions import record_mentions
from cdmx.db.tables import Conversation, Message, User
from cdmx.domain.errors import Forbidden, Invalid, NotFound
from cdmx.domain.events import MESSAGE_CREATED
from cdmx.domain.states import Direction, MessageStatus, MessageType
from cdmx.queries.conversations import can_read

MAX_NOTE = 10_000
_SUMMARY = 200


def do_add_note(session: Session, user: User, conversation_id: int, text: str) -> Message:
    """A note by ``user`` in a conversation they may read (closed ones too: notes are the
    team's memory; a colleague named in a note may answer in one). It is a message with
    direction ``internal`` and status ``received`` (stored; it goes nowhere): never in the
    outbox, not the conversation's last message or unread count, and it does not touch the
    24-hour window."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("conversation_not_found", f"No conversation {conversation_id}.")
    if not can_read(session, user, conversation):
        raise Forbidden("not_your_conversation", "This conversation belongs to another agent.")
    text = (text or "").strip()
    if not text:
        raise Invalid("empty_text", "Write the note first.")
    if len(text) > MAX_NOTE:
        raise Invalid("text_too_long", f"A note has at most {MAX_NOTE:,} characters.")
    summary = text if len(text) <= _SUMMARY else text[: _SUMMARY - 1] + "…"
    note = Message(
        channel_id=conversation.channel_id, conversation_id=conversation.id,
        direction=Direction.INTERNAL, type=MessageType.TEXT, text=text, summary=summary,
        status=MessageStatus.RECEIVED, author_id=user.id, payload={},
        created_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(note)
    session.flush()
    emit_message(session, conversation, note, MESSAGE_CREATED)
    record_mentions(session, user, conversation, note)
    record_audit(
        session, "note.created", object_type="conversation", object_id=conversation.id,
        detail={"message_id": note.id}, actor=user,
    )  # fmt: skip
    return note


def add_timeline_line(session: Session, conversation: Conversation, text: str) -> Message:
    """A line the product writes in a conversation's thread (re-routed on silence, closed
    for silence): internal like a note, by no one; the console shows it as "Sistema"."""
    line = Message(
        channel_id=conversation.channel_id, conversation_id=conversation.id,
        direction=Direction.INTERNAL, type=MessageType.TEXT, text=text, summary=text[:_SUMMARY],
        status=MessageStatus.RECEIVED, author_id=None, payload={},
        created_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(line)
    session.flush()
    emit_message(session, conversation, line, MESSAGE_CREATED)
    return line
