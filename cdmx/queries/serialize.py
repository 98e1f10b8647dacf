"""JSON shapes of messages and conversations, shared by the API and the event snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cdmx.db.tables import Channel, Contact, Conversation, Message
from cdmx.domain.window import window_expires_at
from cdmx.whatsapp.content import message_content, message_context, message_referral


def iso(value: datetime | None) -> str | None:
    """ISO-8601 in UTC with a Z, or None."""
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def message_json(
    message: Message, author_name: str | None = None, media: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A message as the API and the events show it."""
    payload = message.payload if isinstance(message.payload, dict) else {}
    inbound = message.direction == "inbound"
    error = None
    if message.status == "failed" or message.error_code is not None:
        error = {
            "code": message.error_code,
            "title": message.error_title or "",
            "details": message.error_details,
        }
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "direction": message.direction,
        "type": message.type,
        "text": message.text,
        "summary": message.summary,
        "status": message.status,
        "wamid": message.wamid,
        "local_id": message.local_id,
        "created_at": iso(message.sent_at or message.created_at),
        "status_at": iso(message.status_at),
        "author": None
        if message.author_id is None
        else {"id": message.author_id, "name": author_name or ""},
        "error": error,
        "content": message_content(message.type, payload),
        "context": message_context(payload),
        "referral": message_referral(payload) if inbound else None,
        "media": media,
    }


def conversation_json(
    conversation: Conversation,
    contact: Contact,
    channel: Channel,
    assignee_name: str | None,
    last_message: Message | None,
) -> dict[str, Any]:
    """A conversation snapshot: everything a list row and a thread header need."""
    return {
        "id": conversation.id,
        "status": conversation.status,
        "contact": {
            "id": contact.id,
            "wa_id": contact.wa_id,
            "name": contact.display_name or contact.name,
            "profile_name": contact.name,  # what WhatsApp says; "name" is the team's choice
            "merged_into_id": contact.merged_into_id,
            "referral": message_referral({"referral": contact.referral})
            if contact.referral
            else None,
        },
        "assignee_id": conversation.assignee_id,
        "assignee_name": assignee_name,
        "number_id": channel.id,
        "number": format_display_number(channel.display_phone_number),
        "queue_id": conversation.queue_id,
        "snoozed_until": iso(conversation.snoozed_until),
        "labels": conversation.labels or [],
        "unread_count": conversation.unread_count,
        "last_message": None
        if last_message is None
        else {
            "summary": last_message.summary,
            "direction": last_message.direction,
            "author_id": last_message.author_id,  # None on an outbound one: the product's
            "status": last_message.status,
            "created_at": iso(last_message.sent_at or last_message.created_at),
        },
        "last_message_at": iso(conversation.last_message_at),
        "waiting_since": iso(waiting_since(conversation, last_message)),
        "window_expires_at": iso(window_expires_at(conversation.last_inbound_at)),
        "created_at": iso(conversation.created_at),
        "closed_at": iso(conversation.closed_at),
        "csat": None
        if conversation.csat_sent_at is None and conversation.csat_score is None
        else {
            "sent_at": iso(conversation.csat_sent_at),
            "score": conversation.csat_score,
            "answered_at": iso(conversation.csat_answered_at),
        },
    }


def waiting_since(conversation: Conversation, last_message: Message | None) -> datetime | None:
    """Since when the customer waits for an answer: their latest message, when the
    conversation's last message is theirs (notes are never the last message); else None.
    The first unanswered message is not kept, and replied_at is only the first answer."""
    if last_message is None or last_message.direction != "inbound":
        return None
    return conversation.last_inbound_at or last_message.created_at


def format_display_number(number: str) -> str:
    """``525550000000`` → ``+52 555 000 0000``; other forms as given with a +."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if not digits:
        return number
    if digits.startswith("52") and len(digits) == 12:
        return f"+52 {digits[2:5]} {digits[5:8]} {digits[8:]}"
    return "+" + digits
