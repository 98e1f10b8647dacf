"""What ``/metrics`` reports, in statements that stay cheap however large the history.

Every statement reads an index range, never a whole table (``tests/queries/test_metrics.py``
checks the plans on SQLite and PostgreSQL): the backlogs through the partial and pending
indexes (the webhook deliveries' partial one too), open conversations through
``ix_conversations_status_last`` (closed ones, the bulk, are not counted), messages stored
as the highest message id (the primary key's last entry, where counting a million rows took
a full scan per scrape), and updates for an unknown number among the last
``RECENT_UPDATES`` only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cdmx.db.tables import (
    Channel,
    Conversation,
    InboxUpdate,
    Message,
    OutboxItem,
    WebhookDelivery,
)
from cdmx.domain.states import ConversationStatus

RECENT_UPDATES = 10_000
OPEN = [ConversationStatus.QUEUED.value, ConversationStatus.ASSIGNED.value,
        ConversationStatus.SNOOZED.value]  # fmt: skip

INBOX_PENDING = select(func.count()).where(InboxUpdate.processed_at.is_(None))
OUTBOX_PENDING = select(func.count()).where(OutboxItem.done_at.is_(None))
WEBHOOKS_PENDING = select(func.count()).where(WebhookDelivery.status == "pending")
OPEN_BY_STATUS = (
    select(Conversation.status, func.count())
    .where(Conversation.status.in_(OPEN))
    .group_by(Conversation.status)
)
# The last entry of the primary key (max() became a whole-index scan in PostgreSQL's plan).
MESSAGES_STORED = select(Message.id).order_by(Message.id.desc()).limit(1)
CHANNELS = select(Channel.phone_number_id, Channel.health)
_LAST_UPDATE = select(InboxUpdate.id).order_by(InboxUpdate.id.desc()).limit(1).scalar_subquery()
UNKNOWN_NUMBER = select(func.count()).where(
    InboxUpdate.id > func.coalesce(_LAST_UPDATE, 0) - RECENT_UPDATES,
    InboxUpdate.error.like("%unknown phone_number_id%"),
)
STATEMENTS = {
    "inbox_pending": INBOX_PENDING, "outbox_pending": OUTBOX_PENDING,
    "webhooks_pending": WEBHOOKS_PENDING,
    "open_by_status": OPEN_BY_STATUS, "messages_stored": MESSAGES_STORED,
    "unknown_number": UNKNOWN_NUMBER,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Metrics:
    inbox_pending: int
    outbox_pending: int
    webhooks_pending: int
    open_by_status: dict[str, int]
    messages_stored: int
    channels: list[tuple[str, str]]
    unknown_number: int


def read_metrics(session: Session) -> Metrics:
    """One scrape's figures."""
    return Metrics(
        inbox_pending=session.scalar(INBOX_PENDING) or 0,
        outbox_pending=session.scalar(OUTBOX_PENDING) or 0,
        webhooks_pending=session.scalar(WEBHOOKS_PENDING) or 0,
        open_by_status={
            **dict.fromkeys(OPEN, 0),
            **{str(s): int(n) for s, n in session.execute(OPEN_BY_STATUS).all()},
        },
        messages_stored=session.scalar(MESSAGES_STORED) or 0,
        channels=[(str(p), str(h)) for p, h in session.execute(CHANNELS).all()],
        unknown_number=session.scalar(UNKNOWN_NUMBER) or 0,
    )
