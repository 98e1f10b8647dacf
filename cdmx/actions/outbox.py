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

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from cdmx.actions.channels import channel_token, do_set_channel_health
from cdmx.actions.events import emit_message
from cdmx.actions.statuses import advance_status, apply_early_statuses
from cdmx.db.tables import (
    CHANNELS,
    CONTACTS,
    CONVERSATIONS,
    MESSAGES,
    OUTBOX,
    Channel,
    Conversation,
    Message,
    OutboxItem,
)
from cdmx.domain.events import MESSAGE_UPDATED
from cdmx.domain.identity import e164
from cdmx.domain.sealing import Sealer, SealError
from cdmx.domain.states import STATUS_FAILED, MessageStatus
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


_HEADS = (
    select(func.min(OUTBOX.c.id))
    .where(OUTBOX.c.done_at.is_(None))
    .group_by(OUTBOX.c.conversation_id)
)
_CLAIMABLE = (
    select(
        OUTBOX.c.id,
        OUTBOX.c.message_id,
        OUTBOX.c.conversation_id,
        OUTBOX.c.channel_id,
        OUTBOX.c.attempts,
        MESSAGES.c.type,
        MESSAGES.c.payload,
        CONTACTS.c.wa_id,
        CONTACTS.c.user_id,
    )  # fmt: skip
    .join(MESSAGES, MESSAGES.c.id == OUTBOX.c.message_id)
    .join(CHANNELS, CHANNELS.c.id == OUTBOX.c.channel_id)
    .join(CONVERSATIONS, CONVERSATIONS.c.id == OUTBOX.c.conversation_id)
    .join(CONTACTS, CONTACTS.c.id == CONVERSATIONS.c.contact_id)
    .where(
        OUTBOX.c.id.in_(_HEADS),
        OUTBOX.c.next_attempt_at <= bindparam("now"),
        OUTBOX.c.locked_until.is_(None) | (OUTBOX.c.locked_until <= bindparam("now")),
        CHANNELS.c.health == "ok",
    )
    .order_by(OUTBOX.c.id)
    .limit(bindparam("limit"))
)
_CLAIMABLE_SKIP_LOCKED = _CLAIMABLE.with_for_update(of=OUTBOX, skip_locked=True)
_CHANNELS = select(CHANNELS).where(CHANNELS.c.id.in_(bindparam("ids", expanding=True)))
_LEASE = (
    update(OUTBOX)
    .where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(locked_until=bindparam("until"), attempts=OUTBOX.c.attempts + 1)
)


def claim_sends(
    session: Session, now: datetime, limit: int = 50, *, sealer: Sealer | None = None
) -> list[SendJob]:
    """Lease the next sendable row of each conversation whose number is healthy."""
    connection = session.connection()
    query = _CLAIMABLE_SKIP_LOCKED if connection.dialect.name == "postgresql" else _CLAIMABLE
    rows = connection.execute(query, {"now": now, "limit": limit}).all()
    if not rows:
        return []
    channel_ids = sorted({row.channel_id for row in rows})
    channels = {
        row.id: Channel(**row._mapping)
        for row in connection.execute(_CHANNELS, {"ids": channel_ids})
    }
    tokens: dict[int, str | None] = {}
    for channel in channels.values():
        try:
            tokens[channel.id] = channel_token(session, channel, sealer)
        except SealError:
            pass  # held until the token is set again; the number shows why
    jobs = [
        SendJob(
            outbox_id=row.id,
            message_id=row.message_id,
            conversation_id=row.conversation_id,
            channel_id=row.channel_id,
            phone_number_id=channels[row.channel_id].phone_number_id,
            provider=channels[row.channel_id].provider,
            token=tokens[row.channel_id],
            rate_per_second=channels[row.channel_id].rate_per_second,
            attempts=row.attempts + 1,
            body=build_body(row.type, row.payload, wa_id=row.wa_id, user_id=row.user_id),
        )  # fmt: skip
        for row in rows
        if row.channel_id in tokens
    ]
    if jobs:
        connection.execute(_LEASE, {"ids": [job.outbox_id for job in jobs], "until": now + LEASE})
    return jobs


def build_body(
    type_: str, payload: Any, *, wa_id: str | None, user_id: str | None
) -> dict[str, Any]:
    """The Graph API request body for an outbound message: recipient plus stored payload."""
    body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    if wa_id:
        # With a +: without it Meta prepends the business number's country code.
        body["to"] = e164(wa_id)
    else:
        body["recipient"] = user_id  # username-only customer, reached by BSUID
    body.update(payload if isinstance(payload, dict) else {})
    body["type"] = type_
    return body


_FINISH = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("outbox_id"))
    .values(done_at=bindparam("now"), locked_until=None)
)
_MESSAGE = (
    select(
        MESSAGES,
        CONVERSATIONS.c.assignee_id.label("conversation_assignee_id"),
        CONVERSATIONS.c.queue_id.label("conversation_queue_id"),
    )
    .join(CONVERSATIONS, CONVERSATIONS.c.id == MESSAGES.c.conversation_id)
    .where(MESSAGES.c.id == bindparam("message_id"))
)
_SET_WAMID = (
    update(MESSAGES)
    .where(MESSAGES.c.id == bindparam("message_id"))
    .values(wamid=bindparam("wamid"))
)


def do_record_sent(session: Session, job: SendJob, wamid: str) -> None:
    """WhatsApp accepted the message: keep its wamid, mark it sent, finish the row."""
    connection = session.connection()
    now = datetime.now(UTC)
    finished = connection.execute(_FINISH, {"outbox_id": job.outbox_id, "now": now}).rowcount
    row = connection.execute(_MESSAGE, {"message_id": job.message_id}).first()
    if not finished or row is None:
        return
    fields = dict(row._mapping)
    owners = (fields.pop("conversation_assignee_id"), fields.pop("conversation_queue_id"))
    message = Message(**fields)
    sent = StatusUpdate(
        phone_number_id=job.phone_number_id, wamid=wamid, status=MessageStatus.SENT, timestamp=now,
        recipient_id=None, errors=(), raw={},
    )  # fmt: skip
    if not advance_status(session, message, sent, also={"wamid": wamid}, owners=owners):
        connection.execute(_SET_WAMID, {"message_id": message.id, "wamid": wamid})
    message.wamid = wamid
    apply_early_statuses(session, message, job.phone_number_id)


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
