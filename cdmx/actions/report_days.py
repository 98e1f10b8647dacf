"""The daily rollup's writer (docs/reports.md#the-daily-rollup): a complete past local day
of reporting rows, folded into per queue × agent × number counts and wait histograms.

A day is built in one transaction that deletes what it had and writes it again, so building
is idempotent and a rebuilt day replaces the old one whole. On PostgreSQL an advisory lock
serializes builders, so several instances' timers can sweep at once: the second finds the
day built and leaves it. A day is complete ``GRACE`` after its local midnight, once a
transaction that began before midnight has committed its rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.orm import Session

from cdmx.db.tables import (
    REPORT_BUILT_DAYS,
    REPORT_DAY_AGENTS,
    REPORT_DAY_WAITS,
    REPORT_DAYS,
    REPORT_EVENTS,
)
from cdmx.domain.reporting import CSAT, OPENED, SNOOZED, WAITS_OF, wait_bin

GRACE = timedelta(minutes=5)
DAYS_PER_SWEEP = 31  # a year's backlog is built in a dozen sweeps, each day a short write
_BUILD_LOCK = text("SELECT pg_advisory_xact_lock(5702020002)")
# The kinds whose rows make a group show in the summary (the agent's figures count any row).
_SUMMARY_KINDS = frozenset((OPENED, CSAT, SNOOZED, *WAITS_OF))
_ROWS = select(
    REPORT_EVENTS.c.kind, REPORT_EVENTS.c.conversation_id, REPORT_EVENTS.c.queue_id,
    REPORT_EVENTS.c.agent_id, REPORT_EVENTS.c.channel_id, REPORT_EVENTS.c.seconds,
    REPORT_EVENTS.c.business_seconds, REPORT_EVENTS.c.value,
)  # fmt: skip


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A local day's start and (exclusive) end."""
    return (
        datetime.combine(day, time(), zone),
        datetime.combine(day + timedelta(days=1), time(), zone),
    )


def last_complete_day(zone: ZoneInfo, now: datetime) -> date:
    """The latest local day that is over, by ``GRACE``."""
    return (now - GRACE).astimezone(zone).date() - timedelta(days=1)


def complete_days(session: Session, zone: ZoneInfo, now: datetime) -> list[date]:
    """Every complete day since the first reporting row, and any built before it (the rows
    of a day may have gone since), newest first: yesterday's reports become fast first."""
    first_at = session.scalar(select(func.min(REPORT_EVENTS.c.at)))
    first_built = session.scalar(select(func.min(REPORT_BUILT_DAYS.c.day)))
    starts = [day for day in (first_built, first_at and first_at.astimezone(zone).date()) if day]
    if not starts:
        return []
    first, last = min(starts), last_complete_day(zone, now)
    return [last - timedelta(days=n) for n in range((last - first).days + 1)]


def days_to_build(session: Session, zone: ZoneInfo, now: datetime) -> list[date]:
    """The complete days not built in ``zone`` (built in another, or never), newest first."""
    days = complete_days(session, zone, now)
    if not days:
        return []
    built = set(
        session.scalars(
            select(REPORT_BUILT_DAYS.c.day).where(
                REPORT_BUILT_DAYS.c.day >= days[-1], REPORT_BUILT_DAYS.c.zone == zone.key
            )
        )
    )
    return [day for day in days if day not in built]


def do_build_report_day(
    session: Session, day: date, zone: ZoneInfo, now: datetime, *, again: bool = False
) -> bool:
    """Write ``day``'s rollup (in ``zone``) unless it is built already in that zone, or
    ``again``; whether it wrote. Refuses a day that is not complete."""
    if day > last_complete_day(zone, now):
        raise ValueError(f"{day} is not a complete past day in {zone.key}")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_BUILD_LOCK)
    built_zone = session.scalar(
        select(REPORT_BUILT_DAYS.c.zone).where(REPORT_BUILT_DAYS.c.day == day)
    )
    if built_zone == zone.key and not again:
        return False
    start, end = day_bounds(day, zone)
    counts: dict[tuple[int, int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    waits: Counter[tuple[int, int, int, int, int]] = Counter()
    agents: set[tuple[int, int, int]] = set()
    rows = session.connection().execute(
        _ROWS.where(REPORT_EVENTS.c.at >= start, REPORT_EVENTS.c.at < end)
    )
    for kind, conversation_id, queue_id, agent_id, channel_id, raw, business, value in rows:
        queue, agent = queue_id or 0, agent_id or 0
        if agent:
            agents.add((queue, agent, conversation_id))
        if kind not in _SUMMARY_KINDS:
            continue
        key = (queue, agent, channel_id)
        figures = counts[key]
        figures[0] += 1
        if kind == OPENED:
            figures[1] += 1
        elif kind == SNOOZED:
            figures[2] += 1
        elif kind == CSAT:
            if value is not None:
                figures[3] += value
                figures[4] += 1
        else:
            raw_wait, business_wait = WAITS_OF[kind]
            waits[(*key, raw_wait, wait_bin(raw))] += 1
            waits[(*key, business_wait, wait_bin(business))] += 1
    for table in (REPORT_DAYS, REPORT_DAY_WAITS, REPORT_DAY_AGENTS, REPORT_BUILT_DAYS):
        session.execute(delete(table).where(table.c.day == day))
    _insert(session, REPORT_DAYS, [
        {"day": day, "queue_id": q, "agent_id": a, "channel_id": c, "events": f[0],
         "opened": f[1], "snoozes": f[2], "csat_sum": f[3], "csat_count": f[4]}
        for (q, a, c), f in counts.items()
    ])  # fmt: skip
    _insert(session, REPORT_DAY_WAITS, [
        {"day": day, "queue_id": q, "agent_id": a, "channel_id": c, "wait": w, "bin": b,
         "count": n}
        for (q, a, c, w, b), n in waits.items()
    ])  # fmt: skip
    _insert(session, REPORT_DAY_AGENTS, [
        {"day": day, "queue_id": q, "agent_id": a, "conversation_id": c}
        for q, a, c in agents
    ])  # fmt: skip
    session.execute(insert(REPORT_BUILT_DAYS).values(day=day, zone=zone.key, built_at=now))
    return True


def _insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(insert(table), rows)
