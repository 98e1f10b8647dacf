"""The CSV exports' rows: one per conversation opened in a period (from the reporting
table and the conversations), and one per contact. Generators over keyset batches: a year
of data is read EXPORT_BATCH rows at a time, never held whole."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from cdmx.db.tables import CHANNELS, CONTACTS, CONVERSATIONS, QUEUES, REPORT_EVENTS, USERS
from cdmx.domain.reporting import CLOSED, CSAT, FIRST_REPLY, OPENED
from cdmx.queries.reports import Period

EXPORT_BATCH = 1000

CONVERSATION_FIELDS = (
    "id", "number", "queue", "contact_id", "contact_name", "contact_wa_id", "agents",
    "opened_at", "first_reply_at", "closed_at", "first_response_s", "first_response_business_s",
    "resolution_s", "resolution_business_s", "messages_in", "messages_out", "labels", "csat",
)  # fmt: skip
CONTACT_FIELDS = (
    "id", "wa_id", "name", "display_name", "email", "notes", "merged_into_id", "created_at",
)  # fmt: skip
_HANDLED = ("assigned", "transferred", "rerouted", FIRST_REPLY, "reply", CLOSED)


def local_time(value: datetime | None, zone: ZoneInfo) -> str | None:
    """An instant in the business time zone, ISO 8601 with its offset."""
    return None if value is None else value.astimezone(zone).isoformat()


def conversation_rows(
    session: Session, period: Period, queues: frozenset[int] | None
) -> Iterator[dict[str, Any]]:
    """One row per conversation opened in ``period`` (in a queue of ``queues``; None: all),
    oldest first."""
    agents = {row.id: row.name for row in session.execute(select(USERS.c.id, USERS.c.name))}
    after: tuple[datetime, int] | None = None
    while True:
        query = select(
            REPORT_EVENTS.c.id, REPORT_EVENTS.c.at, REPORT_EVENTS.c.conversation_id
        ).where(
            REPORT_EVENTS.c.kind == OPENED,
            REPORT_EVENTS.c.at >= period.start, REPORT_EVENTS.c.at < period.end,
        )  # fmt: skip
        if queues is not None:
            query = query.where(REPORT_EVENTS.c.queue_id.in_(queues))
        if after is not None:
            # The plain range lets PostgreSQL start the index scan at the last row; with the
            # OR alone it did not (a year's CSV: 1,410 → 4,528 rows/s; SQLite unchanged).
            query = query.where(
                REPORT_EVENTS.c.at >= after[0],
                or_(
                    REPORT_EVENTS.c.at > after[0],
                    and_(REPORT_EVENTS.c.at == after[0], REPORT_EVENTS.c.id > after[1]),
                ),
            )
        opened = session.execute(
            query.order_by(REPORT_EVENTS.c.at, REPORT_EVENTS.c.id).limit(EXPORT_BATCH)
        ).all()
        if not opened:
            return
        yield from _conversation_batch(
            session, [row.conversation_id for row in opened], agents, period.zone
        )
        if len(opened) < EXPORT_BATCH:
            return
        after = (opened[-1].at, opened[-1].id)


def _conversation_batch(
    session: Session, ids: list[int], agents: dict[int, str], zone: ZoneInfo
) -> Iterator[dict[str, Any]]:
    handled: dict[int, list[int]] = defaultdict(list)
    figures: dict[tuple[int, str], Any] = {}
    for row in session.execute(
        select(
            REPORT_EVENTS.c.conversation_id, REPORT_EVENTS.c.kind, REPORT_EVENTS.c.agent_id,
            REPORT_EVENTS.c.seconds, REPORT_EVENTS.c.business_seconds, REPORT_EVENTS.c.value,
        )
        .where(REPORT_EVENTS.c.conversation_id.in_(ids))
        .order_by(REPORT_EVENTS.c.conversation_id, REPORT_EVENTS.c.id)
    ):  # fmt: skip
        if row.kind in _HANDLED and row.agent_id is not None:
            if row.agent_id not in handled[row.conversation_id]:
                handled[row.conversation_id].append(row.agent_id)
        if row.kind in (FIRST_REPLY, CLOSED, CSAT):
            figures[(row.conversation_id, row.kind)] = row  # the last one of its kind
    conversations = {
        row.id: row
        for row in session.execute(
            select(
                CONVERSATIONS.c.id,
                CONVERSATIONS.c.created_at,
                CONVERSATIONS.c.first_reply_at,
                CONVERSATIONS.c.closed_at,
                CONVERSATIONS.c.messages_in,
                CONVERSATIONS.c.messages_out,
                CONVERSATIONS.c.labels,
                CONVERSATIONS.c.contact_id,
                CONTACTS.c.name.label("contact_name"),
                CONTACTS.c.display_name,
                CONTACTS.c.wa_id,
                CHANNELS.c.display_phone_number,
                QUEUES.c.name.label("queue"),
            )
            .join(CONTACTS, CONTACTS.c.id == CONVERSATIONS.c.contact_id)
            .join(CHANNELS, CHANNELS.c.id == CONVERSATIONS.c.channel_id)
            .outerjoin(QUEUES, QUEUES.c.id == CONVERSATIONS.c.queue_id)
            .where(CONVERSATIONS.c.id.in_(ids))
        )  # fmt: skip
    }
    for conversation_id in ids:
        c = conversations.get(conversation_id)
        if c is None:
            continue  # gone (a test's cleanup; nothing in the product deletes one)
        first = figures.get((conversation_id, FIRST_REPLY))
        closed = figures.get((conversation_id, CLOSED))
        csat = figures.get((conversation_id, CSAT))
        yield {
            "id": c.id, "number": c.display_phone_number, "queue": c.queue,
            "contact_id": c.contact_id, "contact_name": c.display_name or c.contact_name,
            "contact_wa_id": c.wa_id,
            "agents": "; ".join(agents.get(a, f"#{a}") for a in handled[conversation_id]),
            "opened_at": local_time(c.created_at, zone),
            "first_reply_at": local_time(c.first_reply_at, zone),
            "closed_at": local_time(c.closed_at, zone),
            "first_response_s": first.seconds if first else None,
            "first_response_business_s": first.business_seconds if first else None,
            "resolution_s": closed.seconds if closed else None,
            "resolution_business_s": closed.business_seconds if closed else None,
            "messages_in": c.messages_in, "messages_out": c.messages_out,
            "labels": "; ".join(label["name"] for label in c.labels or ()),
            "csat": csat.value if csat else None,
        }  # fmt: skip


def contact_rows(
    session: Session, queues: frozenset[int] | None, zone: ZoneInfo
) -> Iterator[dict[str, Any]]:
    """Every contact (a supervisor's: those with a conversation in their queues), by id."""
    after = 0
    while True:
        query = select(*(CONTACTS.c[name] for name in CONTACT_FIELDS)).where(CONTACTS.c.id > after)
        if queues is not None:
            query = query.where(
                exists().where(
                    CONVERSATIONS.c.contact_id == CONTACTS.c.id,
                    CONVERSATIONS.c.queue_id.in_(queues),
                )
            )
        rows = session.execute(query.order_by(CONTACTS.c.id).limit(EXPORT_BATCH)).all()
        for row in rows:
            item = dict(row._mapping)
            item["created_at"] = local_time(item["created_at"], zone)
            yield item
        if len(rows) < EXPORT_BATCH:
            return
        after = rows[-1].id
