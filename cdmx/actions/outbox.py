"""The outbox: claiming replies to send, and recording what WhatsApp answered.

Rows are claimed head-of-conversation only (the oldest unsent row of each conversation), so
a conversation's replies leave in the order the agent wrote them even while one is being
retried. A claim is a lease: a crashed sender's rows come back when it expires.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cdmx.actions.channels import channel_token, do_set_channel_health
from cdmx.actions.messages import advance_status, apply_early_statuses, emit_message
from cdmx.db.tables import Channel, Contact, Conversation, Message, OutboxItem
from cdmx.domain.events import MESSAGE_UPDATED
from cdmx.domain.identity import e164
from cdmx.domain.sealing import Sealer, SealError
from cdmx.domain.states import STATUS_FAILED
from cdmx.whatsapp.errors import AuthFailed, GraphError, Retryable, Throttled
from cdmx.whatsapp.payload import StatusUpdate

# Longer than the slowest Graph call can take (see TIMEOUT in cdmx/whatsapp/graph.py), so a
# live sender never loses its row; short enough that a dead one's rows come back soon.
LEASE = timedelta(seconds=40)
AUTH_PAUSE = timedelta(minutes=5)
MAX_BACKOFF_SECONDS = 300.0
# About 40 minutes of retries with the backoff below; after that the agent is told, rather
# than the customer getting a reply hours late.
MAX_ATTEMPTS = 15
PAIR_RATE_CODE = 131056
PAIR_RATE_SECONDS = 6.0


@dataclass(frozen=True)
class SendJob:
    outbox_id: int
    message_id: int
    conversation_id: int
    channel_id: int
    phone_number_id: str
    provider: str  # "meta" (Graph API) or "aws" (End User Messaging Social)
    token: str | None  # the number's own token (decrypted), None for META_ACCESS_TOKEN
    rate_per_second: float | None  # the number's own limit, None for CDMX_OUTBOUND_RATE
    attempts: int
    body: dict[str, Any]


def claim_sends(
    session: Session, now: datetime, limit: int = 50, *, sealer: Sealer | None = None
) -> list[SendJob]:
    """Lease the next sendable row of each conversation whose number is healthy."""
    heads = (
        select(func.min(OutboxItem.id))
        .where(OutboxItem.done_at.is_(None))
        .group_by(OutboxItem.conversation_id)
    )
    query = (
        select(OutboxItem, Message, Channel, Contact)
        .join(Message, Message.id == OutboxItem.message_id)
        .join(Channel, Channel.id == OutboxItem.channel_id)
        .join(Conversation, Conversation.id == OutboxItem.conversation_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(
            OutboxItem.id.in_(heads),
            OutboxItem.next_attempt_at <= now,
            (OutboxItem.locked_until.is_(None)) | (OutboxItem.locked_until <= now),
            Channel.health == "ok",
        )
        .order_by(OutboxItem.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=OutboxItem, skip_locked=True)
    jobs = []
    for item, message, channel, contact in session.execute(query):
        try:
            token = channel_token(session, channel, sealer)
        except SealError:
            continue  # held until the token is set again; the number shows why
        item.locked_until = now + LEASE
        item.attempts += 1
        jobs.append(
            SendJob(
                outbox_id=item.id,
                message_id=message.id,
                conversation_id=item.conversation_id,
                channel_id=channel.id,
                phone_number_id=channel.phone_number_id,
                provider=channel.provider,
                token=token,
                rate_per_second=channel.rate_per_second,
                attempts=item.attempts,
                body=build_body(message, contact),
            )  # fmt: skip
        )
    return jobs


def build_body(message: Message, contact: Contact) -> dict[str, Any]:
    """The Graph API request body for an outbound message: recipient plus stored payload."""
    body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    if contact.wa_id:
        # With a +: without it Meta prepends the business number's country code.
        body["to"] = e164(contact.wa_id)
    else:
        body["recipient"] = contact.user_id  # username-only customer, reached by BSUID
    payload = message.payload if isinstance(message.payload, dict) else {}
    body.update(payload)
    body["type"] = message.type
    return body


def do_record_sent(session: Session, job: SendJob, wamid: str) -> None:
    """WhatsApp accepted the message: keep its wamid, mark it sent, finish the row."""
    item = session.get(OutboxItem, job.outbox_id)
    message = session.get(Message, job.message_id)
    if item is None or message is None:
        return
    now = datetime.now(UTC)
    item.done_at = now
    item.locked_until = None
    message.wamid = wamid
    session.flush()
    advance_status(session, message, StatusUpdate(
        phone_number_id=job.phone_number_id, wamid=wamid, status="sent", timestamp=now,
        recipient_id=None, errors=(), raw={},
    ))  # fmt: skip
    apply_early_statuses(session, message)


def do_record_send_error(session: Session, job: SendJob, error: GraphError) -> str:
    """Decide what a failed send means; returns "retry", "paused" or "failed"."""
    item = session.get(OutboxItem, job.outbox_id)
    message = session.get(Message, job.message_id)
    if item is None or message is None:
        return "failed"
    now = datetime.now(UTC)
    item.last_error = _describe(error)
    item.locked_until = None
    if isinstance(error, AuthFailed):
        do_set_channel_health(session, job.channel_id, "needs_attention", _describe(error))
        item.attempts -= 1  # not the message's fault
        item.next_attempt_at = now + AUTH_PAUSE
        return "paused"
    if isinstance(error, Retryable) and item.attempts < MAX_ATTEMPTS:
        item.next_attempt_at = now + timedelta(seconds=backoff_seconds(item.attempts, error))
        return "retry"
    item.done_at = now
    message.status = STATUS_FAILED
    message.status_at = now
    message.error_code = error.code
    message.error_title = error.message
    message.error_details = error.details
    session.flush()
    conversation = session.get(Conversation, message.conversation_id)
    assert conversation is not None
    emit_message(session, conversation, message, MESSAGE_UPDATED)
    return "failed"


def backoff_seconds(attempts: int, error: GraphError) -> float:
    """Exponential backoff with full jitter; throttling starts slower (Meta asks ≥ 6 s/pair)."""
    base = 2.0 if isinstance(error, Throttled) else 0.5
    ceiling = min(MAX_BACKOFF_SECONDS, base * 2 ** max(0, attempts - 1))
    delay = random.uniform(ceiling / 2, ceiling)
    if error.code == PAIR_RATE_CODE:
        # Too many messages to this one customer: WhatsApp allows about one per 6 s.
        delay = max(delay, PAIR_RATE_SECONDS)
    return delay


def _describe(error: GraphError) -> str:
    code = f"#{error.code} " if error.code is not None else ""
    return f"{code}{error.message}"[:2000]
