"""Recording inbound messages, applying statuses, and accepting agents' replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cdmx.actions.assignment import (
    do_route_conversation,
    emit_conversation,
    find_or_open_conversation,
)
from cdmx.actions.contacts import do_upsert_contact
from cdmx.actions.events import emit, wake
from cdmx.actions.media import do_register_inbound_media
from cdmx.db.tables import Channel, Contact, Conversation, EarlyStatus, Message, OutboxItem, User
from cdmx.domain.errors import Conflict, Forbidden, Invalid
from cdmx.domain.events import CONVERSATION_CREATED, MESSAGE_CREATED, MESSAGE_UPDATED
from cdmx.domain.identity import canonical_wa_id, contact_identity
from cdmx.domain.states import (
    STATUS_FAILED,
    STATUS_RECEIVED,
    ConversationStatus,
    Direction,
    Role,
    status_advances,
)
from cdmx.domain.window import window_is_open
from cdmx.queries.conversations import can_see, conversation_snapshot
from cdmx.queries.messages import message_snapshot
from cdmx.whatsapp.outgoing import Outgoing, build_text
from cdmx.whatsapp.payload import InboundMessage, StatusUpdate, parse_status

ANNOTATIONS = frozenset({"reaction", "edit", "revoke"})
CHANGED_NUMBER = frozenset({"user_changed_number", "customer_changed_number"})
LATE_MESSAGE_SLACK = timedelta(seconds=5)


def do_record_inbound_message(
    session: Session, channel: Channel, inbound: InboundMessage
) -> Message | None:
    """Store a customer's message in its conversation; None when it was already stored."""
    now = datetime.now(UTC)
    if session.scalar(
        select(Message.id).where(Message.channel_id == channel.id, Message.wamid == inbound.wamid)
    ):
        return None
    contact = do_upsert_contact(session, inbound.sender)
    session.flush()
    conversation, created = find_or_open_conversation(session, channel, contact, now)
    error = inbound.errors[0] if inbound.errors else None
    message = Message(
        channel_id=channel.id, conversation_id=conversation.id, direction=Direction.INBOUND,
        type=inbound.type, text=inbound.text, summary=inbound.summary, status=STATUS_RECEIVED,
        wamid=inbound.wamid, payload=inbound.raw, sent_at=inbound.timestamp, created_at=now,
        error_code=error.code if error else None, error_title=error.title if error else None,
        error_details=error.details if error else None,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return None  # the same wamid inside another body, stored by someone else first
    _learn_about_contact(session, contact, inbound, now)
    do_register_inbound_media(session, message)  # the media worker fetches the file
    if inbound.type in ANNOTATIONS:
        # A reaction, edit or deletion changes an earlier bubble; it is not a new message
        # to read, nor the conversation's last message, but it does keep the window open.
        if conversation.last_inbound_at is None or inbound.timestamp > conversation.last_inbound_at:
            conversation.last_inbound_at = inbound.timestamp
        session.flush()
        if created:
            emit_conversation(session, conversation, CONVERSATION_CREATED)
            do_route_conversation(session, conversation, now)
        emit_message(session, conversation, message, MESSAGE_CREATED)
        return message
    last = conversation.last_message_at
    # Meta's timestamps have one-second resolution while ours have microseconds, so a reply
    # stored a moment ago can look "newer" than the customer's answer to it; only a message
    # clearly older (a late redelivery) leaves the conversation's last message alone.
    if last is None or inbound.timestamp >= last - LATE_MESSAGE_SLACK:
        conversation.last_message_at = max(last, inbound.timestamp) if last else inbound.timestamp
        conversation.last_message_id = message.id
    if conversation.last_inbound_at is None or inbound.timestamp > conversation.last_inbound_at:
        conversation.last_inbound_at = inbound.timestamp
    conversation.unread_count += 1
    session.flush()
    if created:
        emit_conversation(session, conversation, CONVERSATION_CREATED)
        do_route_conversation(session, conversation, now)
    emit_message(session, conversation, message, MESSAGE_CREATED)
    return message


def _learn_about_contact(
    session: Session, contact: Contact, inbound: InboundMessage, now: datetime
) -> None:
    """Keep what a message tells about its sender: the ad they came from, a new number."""
    referral = inbound.raw.get("referral")
    if isinstance(referral, dict) and referral:
        contact.referral = referral
        contact.updated_at = now
    system = inbound.raw.get("system")
    if inbound.type == "system" and isinstance(system, dict):
        new_number = system.get("wa_id") or system.get("new_wa_id")
        if system.get("type") in CHANGED_NUMBER and isinstance(new_number, str) and new_number:
            # Same person, same history: re-key the contact instead of creating another.
            contact.wa_id = canonical_wa_id(new_number)
            identity = contact_identity(wa_id=contact.wa_id, user_id=None)
            taken = session.scalar(select(Contact.id).where(Contact.identity == identity))
            if contact.identity.startswith("wa:") and taken is None:
                contact.identity = identity
            contact.updated_at = now


def emit_message(
    session: Session, conversation: Conversation, message: Message, type_: str
) -> None:
    data: dict[str, Any] = {"message": message_snapshot(session, message)}
    if type_ == MESSAGE_CREATED:
        data["conversation"] = conversation_snapshot(session, conversation.id)
    emit(
        session, type_, data, conversation_id=conversation.id,
        audience=None if conversation.assignee_id is None else (conversation.assignee_id,),
    )  # fmt: skip


def do_apply_status(session: Session, channel: Channel, update: StatusUpdate) -> bool:
    """Move an outbound message forward to this status; never backwards. True if it moved.

    A status for a wamid we have not recorded yet (the webhook beat the send response) is
    kept and applied when the send is recorded.
    """
    message = session.scalar(
        select(Message).where(Message.channel_id == channel.id, Message.wamid == update.wamid)
    )
    if message is None:
        session.add(
            EarlyStatus(
                channel_id=channel.id,
                wamid=update.wamid,
                payload=update.raw,
                created_at=datetime.now(UTC),
            )  # fmt: skip
        )
        return False
    return advance_status(session, message, update)


def advance_status(session: Session, message: Message, update: StatusUpdate) -> bool:
    if message.direction != Direction.OUTBOUND or not status_advances(
        message.status, update.status
    ):
        return False
    message.status = update.status
    message.status_at = update.timestamp
    if update.status == STATUS_FAILED:
        error = update.errors[0] if update.errors else None
        message.error_code = error.code if error else None
        message.error_title = error.title if error else "Failed"
        message.error_details = error.details if error else None
    else:
        message.error_code = message.error_title = message.error_details = None
    session.flush()
    conversation = session.get(Conversation, message.conversation_id)
    assert conversation is not None
    emit_message(session, conversation, message, MESSAGE_UPDATED)
    return True


def apply_early_statuses(session: Session, message: Message) -> None:
    """Apply statuses that arrived before this message's wamid was recorded, in time order."""
    early = session.scalars(
        select(EarlyStatus).where(
            EarlyStatus.channel_id == message.channel_id, EarlyStatus.wamid == message.wamid
        )
    ).all()
    channel = session.get(Channel, message.channel_id)
    assert channel is not None
    updates = sorted(
        (parse_status(row.payload, channel.phone_number_id) for row in early),
        key=lambda u: u.timestamp,
    )
    for update in updates:
        advance_status(session, message, update)
    for row in early:
        session.delete(row)


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
) -> Message:
    """Accept an agent's message: store it and its outbox row together, status queued.

    Free-form messages need the 24-hour window open (409 ``window_closed`` otherwise); a
    template may open it. ``reply_to_id`` quotes one of the conversation's messages.
    """
    conversation = session.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None or not can_see(user, conversation):
        raise Forbidden("not_your_conversation", "You cannot reply in this conversation.")
    if local_id:
        existing = session.scalar(
            select(Message).where(
                Message.conversation_id == conversation.id, Message.local_id == local_id
            )
        )
        if existing is not None:
            return existing  # the client retried a POST that had already been accepted
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
    if conversation.status == ConversationStatus.QUEUED and user.role == Role.AGENT:
        # Answering a queued conversation takes it: the customer now has an agent.
        conversation.assignee_id = user.id
        conversation.status = ConversationStatus.ASSIGNED
        conversation.assigned_at = now
    message = Message(
        channel_id=conversation.channel_id, conversation_id=conversation.id,
        direction=Direction.OUTBOUND, type=outgoing.type, text=outgoing.text,
        summary=outgoing.summary, status="queued", local_id=local_id, author_id=user.id,
        payload=outgoing.payload(quoted), created_at=now,
    )  # fmt: skip
    session.add(message)
    session.flush()
    session.add(
        OutboxItem(
            message_id=message.id,
            conversation_id=conversation.id,
            channel_id=conversation.channel_id,
            next_attempt_at=now,
            created_at=now,
        )  # fmt: skip
    )
    if outgoing.counts_as_message:
        conversation.last_message_at = now
        conversation.last_message_id = message.id
    session.flush()
    emit_message(session, conversation, message, MESSAGE_CREATED)
    wake(session, "outbox")
    return message


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
