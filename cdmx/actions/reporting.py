"""Reporting events: the narrow rows reports read (docs/reports.md), written with the action.

Each action that reports calls ``report`` (or ``report_wait``) inside its transaction; the
rows wait in ``session.info`` and are written together just before it commits, in one
``executemany`` beside the events' (``cdmx/actions/events.py``), so a message costs at most
one more INSERT whatever it reports, and a rolled-back action reports nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cdmx.db.tables import REPORT_EVENTS, Conversation
from cdmx.domain.hours import BusinessHours
from cdmx.domain.reporting import (
    CSAT,
    KINDS,
)
from cdmx.queries.queues import business_zone, queue_rules

REPORTS_KEY = "report_events"
_INSERT = REPORT_EVENTS.insert()


def report(
    session: Session,
    kind: str,
    conversation: Conversation,
    at: datetime,
    *,
    agent_id: int | None = None,
    seconds: float | None = None,
    business_seconds: float | None = None,
    value: int | None = None,
) -> None:
    """Queue a reporting row for this transaction (written just before it commits)."""
    assert kind in KINDS, kind
    session.info.setdefault(REPORTS_KEY, []).append({
        "kind": kind, "conversation_id": conversation.id, "channel_id": conversation.channel_id,
        "queue_id": conversation.queue_id, "agent_id": agent_id,
        "contact_id": conversation.contact_id, "at": at, "seconds": seconds,
        "business_seconds": business_seconds, "value": value,
    })  # fmt: skip


def span(
    hours: BusinessHours, zone: ZoneInfo, start: datetime, end: datetime
) -> tuple[float, float]:
    """The seconds from ``start`` to ``end``, raw and within business hours."""
    raw = max(0.0, (end - start).total_seconds())
    return raw, hours.open_seconds(start, end, zone)


def queue_hours(session: Session, queue_id: int | None) -> BusinessHours:
    """A queue's hours as this transaction read them (always open without a queue)."""
    rules = queue_rules(session, queue_id)
    return BusinessHours() if rules is None else rules.hours


def report_wait(
    session: Session,
    kind: str,
    conversation: Conversation,
    start: datetime,
    at: datetime,
    *,
    agent_id: int | None,
    hours: BusinessHours | None = None,
) -> None:
    """A row measuring ``start`` → ``at`` (a wait, a duration) in the queue's hours
    (``hours`` when the caller has them, else the transaction's queue rules)."""
    if hours is None:
        hours = queue_hours(session, conversation.queue_id)
    raw, business = span(hours, business_zone(session), start, at)
    report(session, kind, conversation, at, agent_id=agent_id, seconds=raw,
           business_seconds=business)  # fmt: skip


def record_csat(session: Session, conversation: Conversation, score: int, at: datetime) -> None:
    """The customer's satisfaction answer (1–5): the hook the CSAT survey will call."""
    if not 1 <= score <= 5:
        raise ValueError(f"a CSAT score is 1 to 5, not {score}")
    report(session, CSAT, conversation, at, agent_id=conversation.assignee_id, value=score)


def write_reports(session: Session) -> None:
    """Insert the transaction's reporting rows (one executemany)."""
    rows: list[dict[str, Any]] | None = session.info.pop(REPORTS_KEY, None)
    if rows:
        session.connection().execute(_INSERT, rows)


def forget_reports(session: Session) -> None:
    """A savepoint was rolled back: what it reported never happened."""
    session.info.pop(REPORTS_KEY, None)
