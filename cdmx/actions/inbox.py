"""The durable inbox: store webhook bodies first, then process them."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, event, select, update
from sqlalchemy.orm import Session

from cdmx.actions.events import wake
from cdmx.actions.inbound import do_record_inbound_message
from cdmx.actions.statuses import do_apply_status
from cdmx.db.engine import Database, dialect_insert, per_dialect
from cdmx.db.tables import CHANNELS, INBOX, Channel, InboxUpdate
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
    insert = dialect_insert(session.connection())
    result = session.execute(
        insert(InboxUpdate).values(**values).on_conflict_do_nothing(index_elements=["sha256"])
    )
    wake(session, "inbox")
    return bool(result.rowcount)  # type: ignore[attr-defined]


def do_store_updates(session: Session, bodies: Sequence[tuple[bytes, str]]) -> None:
    """Keep many webhook bodies (body, source) with one executemany of an idempotent INSERT.

    The batch form of ``do_store_update``: the webhook's group commit (``cdmx.web.ingest``).
    """
    rows = _rows(bodies)
    if not rows:
        return
    connection = session.connection()
    # One statement executed for many rows, not one multi-row INSERT: SQLAlchemy cannot
    # cache a multi-row VALUES statement and compiled it anew for every batch (a quarter of
    # the webhook's CPU, profiled at ~450 webhooks/s).
    connection.execute(_INSERT_MANY[connection.dialect.name], rows)
    wake(session, "inbox")


def store_updates_at_once(db: Database, bodies: Sequence[tuple[bytes, str]]) -> None:
    """``do_store_updates`` on PostgreSQL in one statement, which commits by itself.

    One round trip instead of three (BEGIN, the INSERT, COMMIT): the rows go as arrays and
    ``unnest`` turns them back into rows, so one prepared statement serves every batch
    size. Measured: single-message ingest +15-25%, docs/capacity.md. The arrays go in
    binary (``%b``): the bodies are sent as they are instead of escaped to text, which took
    a tenth of the webhook's CPU (profiled at ~7,500 webhooks/s).
    """
    rows = _rows(bodies)
    if not rows:
        return
    with db.autocommit() as connection:
        connection.exec_driver_sql(_INSERT_ARRAYS, {
            "sha256": [r["sha256"] for r in rows], "source": [r["source"] for r in rows],
            "body": [r["body"] for r in rows], "received_at": rows[0]["received_at"],
        })  # fmt: skip
    db.committed({"inbox"})


def _rows(bodies: Sequence[tuple[bytes, str]]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    rows: dict[str, dict[str, Any]] = {}
    for body, source in bodies:
        # A redelivery queued beside the original is sent once: one row per digest.
        digest = hashlib.sha256(body).hexdigest()
        rows.setdefault(digest, {
            "sha256": digest, "source": source, "body": body, "received_at": now, "attempts": 0,
        })  # fmt: skip
    # In digest order, so two concurrent batches sharing bodies lock them in the same order
    # on PostgreSQL and cannot deadlock.
    return [rows[d] for d in sorted(rows)]


_INSERT_MANY = per_dialect(
    lambda insert: insert(INBOX).on_conflict_do_nothing(index_elements=["sha256"])
)
_INSERT_ARRAYS = f"""INSERT INTO {INBOX.name} (sha256, source, body, received_at, attempts)
SELECT digest, source, body, %(received_at)s, 0
FROM unnest(%(sha256)b::varchar[], %(source)b::varchar[], %(body)b::bytea[])
    WITH ORDINALITY AS batch (digest, source, body, position)
ORDER BY position
ON CONFLICT (sha256) DO NOTHING
"""


@dataclass
class ClaimedUpdate:
    """A stored webhook body taken for processing (its row locked for the transaction)."""

    id: int
    body: bytes
    attempts: int
    _parsed: Update | PayloadError | None = field(default=None, repr=False, compare=False)

    def parsed(self) -> Update:
        """The body as an ``Update``, parsed once however often asked (the side-by-side
        processor reads its customer first); raises ``PayloadError`` for a body that is no
        update at all."""
        if self._parsed is None:
            try:
                self._parsed = parse_update(self.body)
            except PayloadError as exc:
                self._parsed = exc
        if isinstance(self._parsed, PayloadError):
            raise self._parsed
        return self._parsed


_PENDING = (
    select(INBOX.c.id)
    .where(INBOX.c.processed_at.is_(None))
    .where(INBOX.c.locked_until.is_(None) | (INBOX.c.locked_until <= bindparam("now")))
    .order_by(INBOX.c.id)
    .limit(bindparam("limit"))
)
_PENDING_SKIP_LOCKED = _PENDING.with_for_update(skip_locked=True)
# Bodies are read once the ids are claimed: sorting pending rows with their bodies spilled
# to disk on PostgreSQL when thousands were pending (15-25 ms per claim).
_BODIES = (
    select(INBOX.c.id, INBOX.c.body, INBOX.c.attempts)
    .where(INBOX.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(INBOX.c.id)
)
_FINISH = update(INBOX).where(INBOX.c.id == bindparam("update_id"))


def claim_updates(session: Session, now: datetime, limit: int) -> list[ClaimedUpdate]:
    """The oldest unprocessed updates no other worker holds, locked for this transaction."""
    connection = session.connection()
    query = _PENDING_SKIP_LOCKED if connection.dialect.name == "postgresql" else _PENDING
    ids = connection.execute(query, {"now": now, "limit": limit}).scalars().all()
    return _claimed(connection, ids)


def _claimed(connection: Connection, ids: Sequence[int]) -> list[ClaimedUpdate]:
    """The claimed rows' bodies, in id order."""
    if not ids:
        return []
    rows = connection.execute(_BODIES, {"ids": ids})
    return [ClaimedUpdate(row.id, row.body, row.attempts) for row in rows]


_LEASE = (
    update(INBOX)
    .where(INBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(locked_until=bindparam("until"))
)


# PostgreSQL leases in one statement: the ids are picked (skipping rows another worker
# holds) and the bodies come back from the UPDATE, so no sort ever carries a body.
_LEASE_NEXT = (
    update(INBOX)
    .where(INBOX.c.id.in_(_PENDING_SKIP_LOCKED.scalar_subquery()))
    .values(locked_until=bindparam("until"))
    .returning(INBOX.c.id, INBOX.c.body, INBOX.c.attempts)
)


def _by_id(update: ClaimedUpdate) -> int:
    return update.id


def lease_updates(
    connection: Connection, now: datetime, limit: int, lease: timedelta
) -> list[ClaimedUpdate]:
    """Claim updates for processing in other transactions: they stay out of every other
    claim until ``lease`` has passed (then a crashed worker's updates are taken again).

    On PostgreSQL one statement, which may run on an autocommit connection (one round trip);
    on SQLite two, in the caller's write transaction.
    """
    until = now + lease
    if connection.dialect.name == "postgresql":
        rows = connection.execute(_LEASE_NEXT, {"now": now, "limit": limit, "until": until})
        return sorted((ClaimedUpdate(r.id, r.body, r.attempts) for r in rows), key=_by_id)
    ids = connection.execute(_PENDING, {"now": now, "limit": limit}).scalars().all()
    if ids:
        connection.execute(_LEASE, {"ids": ids, "until": until})
    return _claimed(connection, ids)


def customer_key(row: ClaimedUpdate) -> str:
    """Whose update this is (its first sender's or recipient's id): one customer's updates
    are processed in order, different customers' may run side by side."""
    try:
        update = row.parsed()
    except PayloadError:
        return ""
    for inbound in update.messages:
        return inbound.sender.user_id or inbound.sender.wa_id or ""
    for status in update.statuses:
        return status.recipient_id or ""
    return ""


def claim_next_update(session: Session, now: datetime) -> ClaimedUpdate | None:
    claimed = claim_updates(session, now, 1)
    return claimed[0] if claimed else None


def do_process_update(session: Session, row: ClaimedUpdate) -> Update | None:
    """Turn a stored body into contacts, conversations, messages and statuses."""
    now = datetime.now(UTC)
    connection = session.connection()
    done = {"update_id": row.id, "attempts": row.attempts + 1, "processed_at": now}
    try:
        update = row.parsed()
    except PayloadError as exc:
        # Kept, never retried: there is nothing in it to act on. Visible for an operator.
        connection.execute(_FINISH, {**done, "error": str(exc)})
        log.warning("inbox %s: %s", row.id, exc)
        return None
    channels: dict[str, Channel | None] = session.info.setdefault("channels", {})
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
    if notes:  # one line per update, the same words as on its row
        log.warning("inbox %s kept with problems: %s", row.id, "; ".join(notes)[:500])
    # Marked processed at commit, with the transaction's other updates in one executemany.
    session.info.setdefault(_PROCESSED, []).append({**done, "error": "; ".join(notes) or None})
    return update


_PROCESSED = "processed_updates"


def forget_processed(session: Session) -> None:
    """A savepoint with an update in it rolled back: it is not processed after all."""
    session.info.pop(_PROCESSED, None)


@event.listens_for(Session, "before_commit")
def _mark_processed(session: Session) -> None:
    # Once, at the outermost commit (a savepoint's release also fires this hook).
    if not session.in_nested_transaction() and (done := session.info.pop(_PROCESSED, None)):
        session.connection().execute(_FINISH, done)


def do_record_refused_update(session: Session, row: ClaimedUpdate, error: str) -> None:
    """The database refused a value of the update (too long, out of range): kept, with
    the reason, and never retried, since the same bytes would be refused again."""
    log.warning("inbox %s kept unprocessed, a value was refused: %s", row.id, error[:300])
    session.connection().execute(_FINISH, {
        "update_id": row.id, "attempts": row.attempts + 1, "processed_at": datetime.now(UTC),
        "error": f"refused by the database: {error}"[:2000],
    })  # fmt: skip


def do_record_processing_failure(session: Session, row: ClaimedUpdate, error: str) -> None:
    """A bug stopped an update: back off, and after MAX_ATTEMPTS keep it as failed."""
    attempts = row.attempts + 1
    now = datetime.now(UTC)
    changes: dict[str, object] = {"update_id": row.id, "attempts": attempts, "error": error[:2000]}
    if attempts >= MAX_ATTEMPTS:
        changes["processed_at"] = now
        log.error("inbox %s failed %s times, kept as failed: %s", row.id, attempts, error)
    else:
        changes["locked_until"] = now + timedelta(seconds=2**attempts)
    session.connection().execute(_FINISH, changes)


_CHANNEL = select(CHANNELS).where(CHANNELS.c.phone_number_id == bindparam("phone_number_id"))


def _channel(
    session: Session, cache: dict[str, Channel | None], phone_number_id: str
) -> Channel | None:
    if phone_number_id not in cache:
        row = session.connection().execute(_CHANNEL, {"phone_number_id": phone_number_id}).first()
        cache[phone_number_id] = None if row is None else Channel(**row._mapping)
    return cache[phone_number_id]
