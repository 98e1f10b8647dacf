"""Recording a customer's message in its conversation (statuses: ``statuses.py``; agents'
replies: ``replies.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cdmx.actions.assignment import (
    emit_conversation,
    open_conversation,
    routing_changes,
    update_conversation,
    wake_changes,
)
from cdmx.actions.contacts import (
    contact_id_with_identity,
    update_contact,
    upsert_contact,
)
from cdmx.actions.csat import record_survey_answer, survey_target
from cdmx.actions.events import emit_message
from cdmx.actions.media import do_register_inbound_media
from cdmx.actions.replies import send_automatic
from cdmx.actions.reporting import report
from cdmx.db.engine import per_dialect
from cdmx.db.tables import (
    MESSAGES,
    Channel,
    Contact,
    Conversation,
    Message,
)
from cdmx.domain.events import (
    CONVERSATION_ASSIGNED,
    CONVERSATION_CREATED,
    CONVERSATION_WOKEN,
    MESSAGE_CREATED,
)
from cdmx.domain.identity import canonical_wa_id, contact_identity
from cdmx.domain.reporting import OPENED
from cdmx.domain.states import (
    STATUS_RECEIVED,
    ConversationStatus,
    Direction,
)
from cdmx.queries.messages import user_name
from cdmx.queries.queues import business_zone, queue_of_channel, queue_rules
from cdmx.queries.serialize import conversation_json
from cdmx.whatsapp.payload import InboundMessage

ANNOTATIONS = frozenset({"reaction", "edit", "revoke"})
CHANGED_NUMBER = frozenset({"user_changed_number", "customer_changed_number"})
LATE_MESSAGE_SLACK = timedelta(seconds=5)
_SAME_WAMID = (
    MESSAGES.c.channel_id == bindparam("channel_id"),
    MESSAGES.c.wamid == bindparam("wamid"),
)
_BY_WAMID = select(MESSAGES.c.id).where(*_SAME_WAMID)
_INSERT = per_dialect(
    lambda insert: (
        insert(MESSAGES)
        .on_conflict_do_nothing(index_elements=["channel_id", "wamid"])
        .returning(MESSAGES.c.id)
    )
)


def do_record_inbound_message(
    session: Session, channel: Channel, inbound: InboundMessage
) -> Message | None:
    """Store a customer's message in its conversation; None when it was already stored.

    The hot path of the inbox: Core statements on the session's connection (nine for a new
    customer, ten on PostgreSQL with routing's lock; eight for a known one; the events'
    INSERT and the queues' rules, read once per transaction, included; counted by
    tests/actions/test_inbound.py), the events' snapshots built
    from the values written rather than read back. The ``Message`` returned is detached (a
    snapshot of its row).
    """
    now = datetime.now(UTC)
    connection = session.connection()
    if connection.execute(_BY_WAMID, {"channel_id": channel.id, "wamid": inbound.wamid}).first():
        return None
    contact, new_contact = upsert_contact(session, inbound.sender)
    # A tap on the satisfaction survey goes to the closed conversation it rates, before an
    # open one is looked for: answering must not open a new conversation.
    survey = None if new_contact else survey_target(session, channel.id, contact.id, inbound)
    if survey is not None:
        conversation, created = survey[0], False
    else:
        conversation, created = open_conversation(
            session, channel.id, contact.id, now,
            queue_id=queue_of_channel(session, channel), new_contact=new_contact,
        )  # fmt: skip
    error = inbound.errors[0] if inbound.errors else None
    values = {
        "channel_id": channel.id, "conversation_id": conversation.id,
        "direction": Direction.INBOUND, "type": inbound.type, "text": inbound.text,
        "summary": inbound.summary, "status": STATUS_RECEIVED, "wamid": inbound.wamid,
        "payload": inbound.raw, "sent_at": inbound.timestamp, "created_at": now,
        "error_code": error.code if error else None, "error_title": error.title if error else None,
        "error_details": error.details if error else None,
    }  # fmt: skip
    message_id = connection.execute(_INSERT[connection.dialect.name], values).scalar()
    if message_id is None:
        return None  # the same wamid inside another body, stored by someone else first
    message = Message(id=message_id, local_id=None, author_id=None, status_at=None, **values)
    if survey is not None:
        record_survey_answer(session, conversation, survey[1], message, now)
        return message
    _learn_about_contact(session, contact, inbound)
    do_register_inbound_media(session, message)  # the media worker fetches the file
    changes: dict[str, Any] = {}
    if conversation.last_inbound_at is None or inbound.timestamp > conversation.last_inbound_at:
        changes["last_inbound_at"] = inbound.timestamp
    # A reaction, edit or deletion changes an earlier bubble; it is not a new message to
    # read, nor the conversation's last message, but it does keep the window open.
    if inbound.type not in ANNOTATIONS:
        # (A conversation's last_message_at starts as its opening time, for the inbox's
        # index; it has a last message only once last_message_id is set.)
        last = conversation.last_message_at if conversation.last_message_id else None
        # Meta's timestamps have one-second resolution while ours have microseconds, so a
        # reply stored a moment ago can look "newer" than the customer's answer to it; only
        # a message clearly older (a late redelivery) leaves the last message alone.
        if last is None or inbound.timestamp >= last - LATE_MESSAGE_SLACK:
            changes["last_message_at"] = max(last, inbound.timestamp) if last else inbound.timestamp
            changes["last_message_id"] = message_id
        changes["unread_count"] = conversation.unread_count + 1  # the row is locked
        if inbound.type != "system":  # the customer wrote: counted, and waits for a person
            changes["messages_in"] = conversation.messages_in + 1
            if conversation.awaiting_since is None:
                changes["awaiting_since"] = now
    for name, value in changes.items():
        setattr(conversation, name, value)
    last_message = message if conversation.last_message_id == message_id else None
    routed: dict[str, Any] = {}
    if created:
        # Published as it was opened (queued), then as routing left it: one UPDATE for both.
        # Both are for whoever may see it once routed (its agent when it has one), so the
        # other agents never see in their queue a conversation that never waited there.
        opened = _snapshot(session, conversation, contact, channel, last_message)
        report(session, OPENED, conversation, now)
        routed = routing_changes(session, conversation, now, new_contact=new_contact)
        changes.update(routed)
    # The customer wrote to a snoozed conversation: it comes back now.
    automatic, closed_notice = _automatic_messages(session, conversation, inbound, created, now)
    if closed_notice:
        changes["closed_notice_at"] = now
    woken = conversation.status == ConversationStatus.SNOOZED
    snoozed_with = conversation.assignee_id
    if woken:
        changes.update(wake_changes(session, conversation, now))
    if changes:
        update_conversation(session, conversation, **changes)
    if created:
        emit_conversation(session, conversation, CONVERSATION_CREATED, snapshot=opened)
    if routed:
        emit_conversation(session, conversation, CONVERSATION_ASSIGNED, snapshot=_snapshot(
            session, conversation, contact, channel, last_message))  # fmt: skip
    if woken:
        # The agent it left, when it went back to its queue, hears of it too.
        gone = (snoozed_with,) if conversation.assignee_id != snoozed_with else ()
        emit_conversation(session, conversation, CONVERSATION_WOKEN, extra_audience=gone,
            snapshot=_snapshot(session, conversation, contact, channel, last_message))  # fmt: skip
    emit_message(session, conversation, message, MESSAGE_CREATED, snapshot=_snapshot(
        session, conversation, contact, channel, last_message))  # fmt: skip
    for text in automatic:
        send_automatic(session, conversation, text, now)
    return message


def _automatic_messages(
    session: Session,
    conversation: Conversation,
    inbound: InboundMessage,
    created: bool,
    now: datetime,
) -> tuple[list[str], bool]:
    """What the queue answers by itself, and whether that includes its closed message.
    The greeting opens a new conversation; the closed message goes once per closed period
    (``closed_notice_at`` remembers when it last went). A reaction, an edit or a system
    notice is not the customer writing, and gets neither."""
    rules = queue_rules(session, conversation.queue_id)
    if rules is None or inbound.type in ANNOTATIONS or inbound.type == "system":
        return [], False
    texts = [rules.greeting_message] if created and rules.greeting_message else []
    closed = bool(rules.closed_message) and rules.hours.closed_notice_due(
        now, conversation.closed_notice_at, business_zone(session)
    )
    if closed and rules.closed_message:
        texts.append(rules.closed_message)
    return texts, closed


def _snapshot(
    session: Session,
    conversation: Conversation,
    contact: Contact,
    channel: Channel,
    last_message: Message | None,
) -> dict[str, Any]:
    """The conversation's snapshot from values in hand; reads the last message only when
    it is not the one being recorded (an annotation or a late redelivery)."""
    if last_message is None and conversation.last_message_id is not None:
        last_message = session.get(Message, conversation.last_message_id)
    assignee_name = user_name(session, conversation.assignee_id)
    return conversation_json(conversation, contact, channel, assignee_name, last_message)


def _learn_about_contact(session: Session, contact: Contact, inbound: InboundMessage) -> None:
    """Keep what a message tells about its sender: the ad they came from, a new number."""
    referral = inbound.raw.get("referral")
    if isinstance(referral, dict) and referral:
        update_contact(session, contact, referral=referral)
    system = inbound.raw.get("system")
    if inbound.type == "system" and isinstance(system, dict):
        new_number = system.get("wa_id") or system.get("new_wa_id")
        if system.get("type") in CHANGED_NUMBER and isinstance(new_number, str) and new_number:
            # Same person, same history: re-key the contact instead of creating another.
            changes = {"wa_id": canonical_wa_id(new_number)}
            identity = contact_identity(wa_id=changes["wa_id"], user_id=None)
            taken = contact_id_with_identity(session, identity)
            if contact.identity.startswith("wa:") and taken is None:
                changes["identity"] = identity
            update_contact(session, contact, **changes)
