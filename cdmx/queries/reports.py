"""The reports' figures (docs/reports.md), read from the reporting table only.

Medians and the 90th percentile are worked out in Python over the narrow rows of the
period, the same code on both databases: SQLite has no percentile function, and one
definition (linear between the two nearest ranks, PostgreSQL's ``percentile_cont``) means
the two databases can never disagree. docs/capacity.md has what it costs over a year.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from cdmx.db.tables import (
    CHANNELS,
    CONVERSATION_LABELS,
    LABELS,
    QUEUES,
    REPORT_EVENTS,
    USERS,
)
from cdmx.domain.errors import Forbidden, Invalid
from cdmx.domain.reporting import CLOSED, CSAT, FIRST_REPLY, OPENED, REPLY, SNOOZED
from cdmx.domain.states import Role
from cdmx.queries.conversations import queues_of

GROUPS = ("day", "agent", "queue", "number", "label")
DEFAULT_TARGET = 300  # seconds, a queue's target_first_response_seconds by default
MAX_DAYS = 400  # a year and a bit per request


@dataclass(frozen=True)
class Period:
    """From the start of ``first`` to the end of ``last``, local dates in ``zone``."""

    first: date
    last: date
    zone: ZoneInfo

    @classmethod
    def parse(cls, first: date, last: date, zone: ZoneInfo) -> Period:
        if last < first:
            raise Invalid("invalid_period", "to: a date on or after from.")
        if (last - first).days >= MAX_DAYS:
            raise Invalid("period_too_long", f"A report covers at most {MAX_DAYS} days.")
        return cls(first, last, zone)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), self.zone)

    @property
    def end(self) -> datetime:  # exclusive
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone)


def report_scope(session: Session, user: Any) -> frozenset[int] | None:
    """The queues a user's reports cover: None for an admin (all); a supervisor's own;
    an agent has no reports (403)."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.SUPERVISOR:
        return queues_of(session, user)
    raise Forbidden("supervisors_only", "Only supervisors and admins see reports.")


MEDIAN, P90 = Fraction(1, 2), Fraction(9, 10)


def percentile(values: list[float], share: Fraction) -> float | None:
    """The ``share`` percentile of sorted ``values``, linear between the two nearest ranks
    (PostgreSQL's percentile_cont); None when there are none. Worked out in fractions and
    rounded once, so 1,800 + 0.7 × 82,800 is 59,760, not 59,760.000000000015."""
    if not values:
        return None
    position = share * (len(values) - 1)
    low, high = math.floor(position), math.ceil(position)
    if low == high or values[low] == values[high]:  # on a rank: nothing to interpolate
        return float(values[low])
    exact = Fraction(values[low]) + (Fraction(values[high]) - Fraction(values[low])) * (
        position - low
    )
    return float(exact)


@dataclass
class _Figures:
    conversations: set[int] = field(default_factory=set)
    first: list[float] = field(default_factory=list)
    first_business: list[float] = field(default_factory=list)
    within_target: int = 0
    reply: list[float] = field(default_factory=list)
    reply_business: list[float] = field(default_factory=list)
    resolution: list[float] = field(default_factory=list)
    resolution_business: list[float] = field(default_factory=list)
    csat: list[int] = field(default_factory=list)
    snoozes: int = 0

    def add(
        self, kind: str, seconds: float, business: float, value: int | None, target: int
    ) -> None:
        if kind == REPLY:  # the most numerous first
            self.reply.append(seconds)
            self.reply_business.append(business)
        elif kind == FIRST_REPLY:
            self.first.append(seconds)
            self.first_business.append(business)
            self.within_target += business <= target
        elif kind == CLOSED:
            self.resolution.append(seconds)
            self.resolution_business.append(business)
        elif kind == CSAT and value is not None:
            self.csat.append(value)
        elif kind == SNOOZED:
            self.snoozes += 1

    def json(self) -> dict[str, Any]:
        for values in (
            self.first, self.first_business, self.reply, self.reply_business,
            self.resolution, self.resolution_business,
        ):  # fmt: skip
            values.sort()
        return {
            "conversations": len(self.conversations),
            "first_responses": len(self.first),
            "first_response_median_s": percentile(self.first, MEDIAN),
            "first_response_p90_s": percentile(self.first, P90),
            "first_response_business_median_s": percentile(self.first_business, MEDIAN),
            "first_response_business_p90_s": percentile(self.first_business, P90),
            "answered_within_target": (
                self.within_target / len(self.first) if self.first else None
            ),
            "replies": len(self.reply),
            "reply_median_s": percentile(self.reply, MEDIAN),
            "reply_business_median_s": percentile(self.reply_business, MEDIAN),
            "resolved": len(self.resolution),
            "resolution_median_s": percentile(self.resolution, MEDIAN),
            "resolution_business_median_s": percentile(self.resolution_business, MEDIAN),
            "snoozes": self.snoozes,
            "csat_avg": sum(self.csat) / len(self.csat) if self.csat else None,
            "csat_count": len(self.csat),
        }


_SUMMARY_KINDS = (OPENED, FIRST_REPLY, REPLY, CLOSED, CSAT, SNOOZED)


def summary(
    session: Session, period: Period, group_by: str, queues: frozenset[int] | None
) -> list[dict[str, Any]]:
    """The summary's rows, one per group with something in the period (docs/reports.md)."""
    if group_by not in GROUPS:
        raise Invalid("invalid_group_by", f"group_by: one of {', '.join(GROUPS)}.")
    key_column = {
        "day": REPORT_EVENTS.c.at, "agent": REPORT_EVENTS.c.agent_id,
        "queue": REPORT_EVENTS.c.queue_id, "number": REPORT_EVENTS.c.channel_id,
        "label": CONVERSATION_LABELS.c.label_id,
    }[group_by]  # fmt: skip
    kinds: Iterable[str] = _SUMMARY_KINDS
    if group_by == "agent":  # every row naming the agent counts the conversation as theirs
        kinds = (*_SUMMARY_KINDS, "assigned", "transferred", "rerouted")
    # Only the columns the figures need, as plain tuples: this loop is the summary's cost.
    query: Select[Any] = select(
        key_column, REPORT_EVENTS.c.kind, REPORT_EVENTS.c.conversation_id,
        REPORT_EVENTS.c.queue_id, REPORT_EVENTS.c.seconds, REPORT_EVENTS.c.business_seconds,
        REPORT_EVENTS.c.value,
    ).where(
        REPORT_EVENTS.c.at >= period.start, REPORT_EVENTS.c.at < period.end,
        REPORT_EVENTS.c.kind.in_(kinds),
    )  # fmt: skip
    if group_by == "label":
        query = query.join(
            CONVERSATION_LABELS,
            CONVERSATION_LABELS.c.conversation_id == REPORT_EVENTS.c.conversation_id,
        )
    if queues is not None:
        query = query.where(REPORT_EVENTS.c.queue_id.in_(queues))
    targets = {
        row.id: row.target_first_response_seconds
        for row in session.execute(select(QUEUES.c.id, QUEUES.c.target_first_response_seconds))
    }
    by_day, by_agent, zone = group_by == "day", group_by == "agent", period.zone
    groups: dict[Any, _Figures] = {}
    result = session.connection().execute(query)
    for key, kind, conversation_id, queue_id, seconds, business, value in result:
        if key is None:
            continue
        if by_day:
            key = key.astimezone(zone).date().isoformat()
        figures = groups.get(key)
        if figures is None:
            figures = groups[key] = _Figures()
        if by_agent or kind == OPENED:
            figures.conversations.add(conversation_id)
        if kind != OPENED:
            figures.add(kind, seconds, business, value, targets.get(queue_id, DEFAULT_TARGET))
    names = _names(session, group_by, [k for k in groups if group_by != "day"])
    rows = []
    for key, figures in groups.items():
        name = key if group_by == "day" else (names.get(key) or f"#{key}")
        rows.append({"key": key, "name": name, **figures.json()})
    rows.sort(key=lambda r: (r["key"],) if group_by == "day" else (str(r["name"]), r["key"]))
    return rows


def _names(session: Session, group_by: str, keys: list[Any]) -> dict[Any, str]:
    wanted = [k for k in keys if k is not None]
    if not wanted:
        return {}
    table, label = {
        "agent": (USERS, USERS.c.name),
        "queue": (QUEUES, QUEUES.c.name),
        "number": (CHANNELS, CHANNELS.c.display_phone_number),
        "label": (LABELS, LABELS.c.name),
    }[group_by]
    return {
        row.id: row.name
        for row in session.execute(
            select(table.c.id, label.label("name")).where(table.c.id.in_(wanted))
        )
    }
