"""Accepting an agent's reply: the message (queued) and its outbox row in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cdmx.actions.assignment import update_conversation
from cdmx.actions.events import emit_message, wake
from cdmx.actions.reporting import report, report_wait
from cdmx.db.tables import CONVERSATIONS, MESSAGES, OUTBOX, QUEUES, Conversation, Message, User
from cdmx.domain.errors import Conflict, Forbidden, Invalid
from cdmx.domain.events import MESSAGE_CREATED
from cdmx.domain.hours import BusinessHours, HoursError
from cdmx.domain.reporting import ASSIGNED, FIRST_REPLY, REPLY
from cdmx.domain.states import ConversationStatus, Direction, MessageStatus, Role
from cdmx.domain.window import window_is_open
from cdmx.queries.conversations import can_see
from cdmx.whatsapp.outgoing import Outgoing, build_text


def do_send_text(
    session: Session, user: User, conversation_id: int, text: str, local_id: str | None
) -> Message:
    """Accept an agent's text reply (see ``do_send_message``)."""
    return do_send_message(session, user, conversation_id, build_text(text), local_id=local_id)


def do_send_message(
    session: Session,
    user: User,
    conversation_id: int,
    outgoing: Outgoing,
    *,
    local_id: str | None = None,
    reply_to_id: int | None = None,
    template: bool = False,
    attach: Callable[[Message], None] | None = None,
) -> Message:
    """Accept an agent's message: store it and its outbox row together, status queued.

    Free-form messages need the 24-hour window open (409 ``window_closed`` otherwise); a
    template may open it. ``reply_to_id`` quotes one of the conversation's messages.
    ``attach`` adds what the message carries (its file) once the row exists and before
    ``message.created`` is emitted, so the event is built once, with everything in it; it
    is not called for a retried ``local_id``, which returns the message already accepted.
    """
    connection = session.connection()
    row = connection.execute(_FOR_REPLY, {"conversation_id": conversation_id}).first()
    conversation, hours_json = None, None
    if row is not None:
        values = dict(row._mapping)
        hours_json = values.pop("queue_hours")
        conversation = Conversation(**values)
    if conversation is None or not can_see(session, user, conversation):
        raise Forbidden("not_your_conversation", "You cannot reply in this conversation.")
    if local_id:
        key = {"conversation_id": conversation.id, "local_id": local_id}
        existing = connection.execute(_BY_LOCAL_ID, key).first()
        if existing is not None:
            # The client retried a POST that had already been accepted.
            return Message(**existing._mapping)
    if conversation.status == ConversationStatus.CLOSED:
        raise Conflict("conversation_closed", "This conversation is closed.")
    now = datetime.now(UTC)
    if not template and not window_is_open(conversation.last_inbound_at, now):
        raise Conflict(
            "window_closed",
            "More than 24 hours have passed since the customer last wrote; "
            "only a template message can be sent.",
        )
    quoted = _quoted_wamid(session, conversation.id, reply_to_id)
    changes: dict[str, Any] = {}
    if conversation.status == ConversationStatus.QUEUED and user.role == Role.AGENT:
        # Answering a queued conversation takes it: the customer now has an agent.
        changes.update(assignee_id=user.id, status=ConversationStatus.ASSIGNED, assigned_at=now)
        report(session, ASSIGNED, conversation, now, agent_id=user.id)
    if outgoing.counts_as_message and (conversation.replied_at is None or "assigned_at" in changes):
        changes["replied_at"] = now  # the customer has an answer: not re-routed on silence
    message = _enqueue(session, conversation, outgoing, user.id, now, local_id, quoted)
    if outgoing.counts_as_message:
        changes.update(last_message_at=now, last_message_id=message.id)
        changes.update(_answer(session, conversation, user, now, hours_json))
    if changes:
        update_conversation(session, conversation, **changes)
    if attach is not None:
        attach(message)
    emit_message(session, conversation, message, MESSAGE_CREATED)
    wake(session, "outbox")
    return message


def _answer(
    session: Session, conversation: Conversation, user: User, now: datetime, hours_json: Any
) -> dict[str, Any]:
    """A person answered: report the customer's wait (since their first message not yet
    answered), the first answer of the conversation as such; the columns that change.

    Counted from when the reply is accepted here, not from WhatsApp's "sent" status: that
    is the agent's answer, known in this transaction; the sending time is the outbox's and
    Meta's, may come late (retries, a paused number) or never (a failure), and would need
    a reporting write on the status path."""
    changes: dict[str, Any] = {"messages_out": conversation.messages_out + 1}
    waiting = conversation.awaiting_since
    if waiting is None:
        return changes  # a second message in a row: nobody was waiting for it
    try:
        hours = BusinessHours.from_json(hours_json)
    except HoursError:  # stored by hand, bypassing the API: always open, as queue_rules does
        hours = BusinessHours()
    if conversation.first_reply_at is None:
        report_wait(session, FIRST_REPLY, conversation, waiting, now, agent_id=user.id,
                    hours=hours)  # fmt: skip
        changes["first_reply_at"] = now
    report_wait(session, REPLY, conversation, waiting, now, agent_id=user.id, hours=hours)
    changes["awaiting_since"] = None
    return changes


def send_automatic(
    session: Session, conversation: Conversation, content: str | Outgoing, now: datetime
) -> Message:
    """A message the product sends by itself (a queue's greeting or closed message, the
    satisfaction survey): through the outbox like any reply, authored by no one (shown as
    "Sistema"), not an answer from the agent (re-routing on silence still waits for theirs,
    and reports count neither a reply nor a message out)."""
    outgoing = build_text(content) if isinstance(content, str) else content
    message = _enqueue(session, conversation, outgoing, None, now, None, None)
    update_conversation(session, conversation, last_message_at=now, last_message_id=message.id)
    emit_message(session, conversation, message, MESSAGE_CREATED)
    wake(session, "outbox")
    return message


def _enqueue(
    session: Session,
    conversation: Conversation,
    outgoing: Outgoing,
    author_id: int | None,
    now: datetime,
    local_id: str | None,
    quoted: str | None,
) -> Message:
    """The outbound message (queued) and its outbox row."""
    connection = session.connection()
    values = {
        "channel_id": conversation.channel_id, "conversation_id": conversation.id,
        "direction": Direction.OUTBOUND, "type": outgoing.type, "text": outgoing.text,
        "summary": outgoing.summary, "status": MessageStatus.QUEUED, "local_id": local_id,
        "author_id": author_id, "payload": outgoing.payload(quoted), "created_at": now,
    }  # fmt: skip
    message_id = connection.execute(_INSERT_REPLY, values).scalar_one()
    connection.execute(_INSERT_OUTBOX, {
        "message_id": message_id, "conversation_id": conversation.id,
        "channel_id": conversation.channel_id, "next_attempt_at": now, "created_at": now,
    })  # fmt: skip
    return Message(
        id=message_id, wamid=None, status_at=None, sent_at=None, error_code=None,
        error_title=None, error_details=None, **values,
    )  # fmt: skip


# The queue's hours come with the row (for the reply's wait in business hours), so the
# reporting write costs the reply no extra read.
_FOR_REPLY = (
    select(CONVERSATIONS, QUEUES.c.hours.label("queue_hours"))
    .outerjoin(QUEUES, QUEUES.c.id == CONVERSATIONS.c.queue_id)
    .where(CONVERSATIONS.c.id == bindparam("conversation_id"))
    .with_for_update(of=CONVERSATIONS)
)
_BY_LOCAL_ID = select(MESSAGES).where(
    MESSAGES.c.conversation_id == bindparam("conversation_id"),
    MESSAGES.c.local_id == bindparam("local_id"),
)
_INSERT_REPLY = MESSAGES.insert().returning(MESSAGES.c.id)
_INSERT_OUTBOX = OUTBOX.insert()


def message_wamid(session: Session, conversation_id: int, message_id: int) -> str:
    """The WhatsApp id of one of the conversation's messages (to quote or react to it)."""
    row = session.execute(
        select(Message.wamid).where(
            Message.id == message_id, Message.conversation_id == conversation_id
        )
    ).first()
    if row is None:
        raise Invalid("unknown_message", f"Message {message_id} is not in this conversation.")
    if not row.wamid:
        raise Conflict(
            "message_not_sent_yet", "That message has no WhatsApp id yet; try again in a moment."
        )
    return str(row.wamid)


def _quoted_wamid(session: Session, conversation_id: int, reply_to_id: int | None) -> str | None:
    return None if reply_to_id is None else message_wamid(session, conversation_id, reply_to_id)
