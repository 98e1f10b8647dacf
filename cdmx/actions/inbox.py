"""The durable inbox: store webhook bodies first, process them one transaction each."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from cdmx.actions.events import wake
from cdmx.actions.messages import do_apply_status, do_record_inbound_message
from cdmx.db.tables import Channel, InboxUpdate
from cdmx.whatsapp.payload import PayloadError, Update, parse_update

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def do_store_update(session: Session, body: bytes, source: str = "meta") -> bool:
    """Keep a webhook body; False when the same bytes were already stored (a redelivery)."""
    digest = hashlib.sha256(body).hexdigest()
    values = {
        "sha256": digest, "source": source, "body": body,
        "received_at": datetime.now(UTC), "attempts": 0,
    }  # fmt: skip
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = session.execute(
        insert(InboxUpdate).values(**values).on_conflict_do_nothing(index_elements=["sha256"])
    )
    wake(session, "inbox")
    return bool(result.rowcount)  # type: ignore[attr-defined]


def claim_next_update(session: Session, now: datetime) -> InboxUpdate | None:
    """The oldest unprocessed update no other worker holds (locked for this transaction)."""
    query = (
        select(InboxUpdate)
        .where(InboxUpdate.processed_at.is_(None))
        .where((InboxUpdate.locked_until.is_(None)) | (InboxUpdate.locked_until <= now))
        .order_by(InboxUpdate.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalar(query)


def do_process_update(session: Session, row: InboxUpdate) -> Update | None:
    """Turn a stored body into contacts, conversations, messages and statuses."""
    now = datetime.now(UTC)
    row.attempts += 1
    try:
        update = parse_update(row.body)
    except PayloadError as exc:
        # Kept, never retried: there is nothing in it to act on. Visible for an operator.
        row.processed_at = now
        row.error = str(exc)
        log.warning("inbox %s: %s", row.id, exc)
        return None
    channels: dict[str, Channel | None] = {}
    unknown: set[str] = set()
    for inbound in update.messages:
        channel = _channel(session, channels, inbound.phone_number_id)
        if channel is None:
            unknown.add(inbound.phone_number_id)
            continue
        do_record_inbound_message(session, channel, inbound)
    for status in update.statuses:
        channel = _channel(session, channels, status.phone_number_id)
        if channel is None:
            unknown.add(status.phone_number_id)
            continue
        do_apply_status(session, channel, status)
    notes = list(update.problems)
    if unknown:
        notes.append("unknown phone_number_id: " + ", ".join(sorted(unknown)))
        log.warning("inbox %s: update for unknown number(s) %s kept", row.id, sorted(unknown))
    row.error = "; ".join(notes) or None
    row.processed_at = now
    return update


def do_record_processing_failure(session: Session, update_id: int, error: str) -> None:
    """A bug stopped an update: back off, and after MAX_ATTEMPTS keep it as failed."""
    row = session.get(InboxUpdate, update_id)
    if row is None:
        return
    row.attempts += 1
    row.error = error[:2000]
    now = datetime.now(UTC)
    if row.attempts >= MAX_ATTEMPTS:
        row.processed_at = now
        log.error("inbox %s failed %s times, kept as failed: %s", update_id, row.attempts, error)
    else:
        row.locked_until = now + timedelta(seconds=2**row.attempts)


def _channel(
    session: Session, cache: dict[str, Channel | None], phone_number_id: str
) -> Channel | None:
    if phone_number_id not in cache:
        cache[phone_number_id] = session.scalar(
            select(Channel).where(Channel.phone_number_id == phone_number_id)
        )
    return cache[phone_number_id]
