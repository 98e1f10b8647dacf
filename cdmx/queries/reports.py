"""The reports' figures (docs/reports.md), read from the daily rollup for the period's
built past days and from the reporting table for the rest (today, days not built, and
every day grouped by label).

Medians and the 90th percentile are worked out in Python over the period's waits, the
rollup's as bin counts merged with the rows' as values, the same code on both databases:
SQLite has no percentile function, and one definition (linear between the two nearest
ranks, PostgreSQL's ``percentile_cont``) means the two databases can never disagree. The
rollup's histograms are long rows summed by the database. An encoded column per key,
decoded and merged here, measured no better (SQLite, 20,000 conversations, a year by
agent: 0.35 s to decode and merge the waits alone, against 0.43 s for the whole rollup read
of long rows), and its cost grows with every wait where the summed rows stop at the bins
in use. docs/capacity.md has what it costs over a year.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    case,
    distinct,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from cdmx.db.tables import (
    CHANNELS,
    CONVERSATION_LABELS,
    LABELS,
    QUEUES,
    REPORT_BUILT_DAYS,
    REPORT_DAY_AGENTS,
    REPORT_DAY_WAITS,
    REPORT_DAYS,
    REPORT_EVENTS,
    USERS,
)
from cdmx.domain.errors import Forbidden, Invalid
from cdmx.domain.reporting import (
    CLOSED,
    CSAT,
    FIRST_REPLY,
    FIRST_RESPONSE,
    FIRST_RESPONSE_BUSINESS,
    OPENED,
    REPLY,
    REPLY_WAIT,
    REPLY_WAIT_BUSINESS,
    RESOLUTION,
    RESOLUTION_BUSINESS,
    SNOOZED,
    WAITS,
    WAITS_OF,
)
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
    return _interpolate(values.__getitem__, len(values), share)


def _interpolate(at: Callable[[int], float], count: int, share: Fraction) -> float | None:
    if not count:
        return None
    position = share * (count - 1)
    low, high = math.floor(position), math.ceil(position)
    below, above = at(low), at(high)
    if low == high or below == above:  # on a rank: nothing to interpolate
        return float(below)
    exact = Fraction(below) + (Fraction(above) - Fraction(below)) * (position - low)
    return float(exact)


@dataclass
class _Figures:
    """One group's figures: waits as raw values (days read from the reporting rows) and as
    bin counts (days read from the rollup), merged when the percentiles are taken."""

    conversations: set[int] = field(default_factory=set)
    counted: int = 0  # conversations the rollup counted, on days disjoint from the set's
    waits: list[list[float]] = field(default_factory=lambda: [[] for _ in WAITS])
    binned: list[Counter[float]] = field(default_factory=lambda: [Counter() for _ in WAITS])
    within_target: int = 0
    csat_sum: int = 0
    csat_count: int = 0
    snoozes: int = 0

    def add(
        self, kind: str, seconds: float, business: float, value: int | None, target: int
    ) -> None:
        if kind in WAITS_OF:
            raw, in_hours = WAITS_OF[kind]
            self.waits[raw].append(seconds)
            self.waits[in_hours].append(business)
            if kind == FIRST_REPLY:
                self.within_target += business <= target
        elif kind == CSAT and value is not None:
            self.csat_sum += value
            self.csat_count += 1
        elif kind == SNOOZED:
            self.snoozes += 1

    def _ranked(self, wait: int) -> _Ranked:
        values, binned = self.waits[wait], self.binned[wait]
        if not binned:
            values.sort()
            return _Ranked([(value, 1) for value in values])
        counts = binned.copy()
        counts.update(values)
        return _Ranked(sorted(counts.items()))

    def json(self) -> dict[str, Any]:
        first, first_business = self._ranked(FIRST_RESPONSE), self._ranked(FIRST_RESPONSE_BUSINESS)
        reply, reply_business = self._ranked(REPLY_WAIT), self._ranked(REPLY_WAIT_BUSINESS)
        resolution = self._ranked(RESOLUTION)
        resolution_business = self._ranked(RESOLUTION_BUSINESS)
        return {
            "conversations": len(self.conversations) + self.counted,
            "first_responses": first.total,
            "first_response_median_s": first.percentile(MEDIAN),
            "first_response_p90_s": first.percentile(P90),
            "first_response_business_median_s": first_business.percentile(MEDIAN),
            "first_response_business_p90_s": first_business.percentile(P90),
            "answered_within_target": (self.within_target / first.total if first.total else None),
            "replies": reply.total,
            "reply_median_s": reply.percentile(MEDIAN),
            "reply_business_median_s": reply_business.percentile(MEDIAN),
            "resolved": resolution.total,
            "resolution_median_s": resolution.percentile(MEDIAN),
            "resolution_business_median_s": resolution_business.percentile(MEDIAN),
            "snoozes": self.snoozes,
            "csat_avg": self.csat_sum / self.csat_count if self.csat_count else None,
            "csat_count": self.csat_count,
        }


class _Ranked:
    """Sorted (value, how many) pairs: a percentile finds its ranks by bisection."""

    def __init__(self, pairs: list[tuple[float, int]]) -> None:
        self.values = [value for value, _ in pairs]
        self.ends = list(accumulate(count for _, count in pairs))  # the rank after each
        self.total = self.ends[-1] if self.ends else 0

    def percentile(self, share: Fraction) -> float | None:
        return _interpolate(self._at, self.total, share)

    def _at(self, rank: int) -> float:
        return self.values[bisect_right(self.ends, rank)]


_SUMMARY_KINDS = (OPENED, FIRST_REPLY, REPLY, CLOSED, CSAT, SNOOZED)


def summary(
    session: Session,
    period: Period,
    group_by: str,
    queues: frozenset[int] | None,
    *,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """The summary's rows, one per group with something in the period (docs/reports.md):
    complete past days from the daily rollup where it is built, the rest (today, a day not
    built) from the reporting rows."""
    if group_by not in GROUPS:
        raise Invalid("invalid_group_by", f"group_by: one of {', '.join(GROUPS)}.")
    today = (now or datetime.now(UTC)).astimezone(period.zone).date()
    built = set() if group_by == "label" else _built_days(session, period, today)
    days = [period.first + timedelta(days=n) for n in range((period.last - period.first).days + 1)]
    rolled = _runs([day for day in days if day in built])
    raw = _runs([day for day in days if day not in built])
    targets = {
        row.id: row.target_first_response_seconds
        for row in session.execute(select(QUEUES.c.id, QUEUES.c.target_first_response_seconds))
    }
    groups: dict[Any, _Figures] = {}
    if rolled:
        _read_rollup(session, groups, rolled, group_by, queues, targets)
    if raw:
        _read_rows(session, groups, period, raw, group_by, queues, targets, count=not rolled)
    if rolled and group_by == "agent":
        _count_agents_conversations(session, groups, period, rolled, raw, queues)
    names = _names(session, group_by, [k for k in groups if group_by != "day"])
    rows = []
    for key, figures in groups.items():
        name = key if group_by == "day" else (names.get(key) or f"#{key}")
        rows.append({"key": key, "name": name, **figures.json()})
    rows.sort(key=lambda r: (r["key"],) if group_by == "day" else (str(r["name"]), r["key"]))
    return rows


def _built_days(session: Session, period: Period, today: date) -> set[date]:
    """The period's days the rollup has, built in the period's zone, before today."""
    return set(
        session.scalars(
            select(REPORT_BUILT_DAYS.c.day).where(
                REPORT_BUILT_DAYS.c.day >= period.first, REPORT_BUILT_DAYS.c.day <= period.last,
                REPORT_BUILT_DAYS.c.day < today, REPORT_BUILT_DAYS.c.zone == period.zone.key,
            )
        )
    )  # fmt: skip


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive ``days`` as (first, last) runs: a period is usually one or two."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _on_days(column: Any, runs: list[tuple[date, date]]) -> ColumnElement[bool]:
    return or_(*(and_(column >= first, column <= last) for first, last in runs))


def _at_times(period: Period, runs: list[tuple[date, date]]) -> ColumnElement[bool]:
    at, spans = REPORT_EVENTS.c.at, [Period(first, last, period.zone) for first, last in runs]
    return or_(*(and_(at >= span.start, at < span.end) for span in spans))


def _group(groups: dict[Any, _Figures], key: Any) -> _Figures:
    figures = groups.get(key)
    if figures is None:
        figures = groups[key] = _Figures()
    return figures


def _read_rows(
    session: Session,
    groups: dict[Any, _Figures],
    period: Period,
    runs: list[tuple[date, date]],
    group_by: str,
    queues: frozenset[int] | None,
    targets: dict[int, int],
    *,
    count: bool,
) -> None:
    """Fold the reporting rows of the ``runs`` of days into ``groups``; an agent's
    conversations only when ``count`` (else one query counts them over both sources)."""
    key_column = {
        "day": REPORT_EVENTS.c.at, "agent": REPORT_EVENTS.c.agent_id,
        "queue": REPORT_EVENTS.c.queue_id, "number": REPORT_EVENTS.c.channel_id,
        "label": CONVERSATION_LABELS.c.label_id,
    }[group_by]  # fmt: skip
    kinds: Iterable[str] = _SUMMARY_KINDS
    if group_by == "agent":  # every row naming the agent counts the conversation as theirs
        kinds = (*_SUMMARY_KINDS, "assigned", "transferred", "rerouted")
    # Only the columns the figures need, as plain tuples: this loop is the raw path's cost.
    query: Select[Any] = select(
        key_column, REPORT_EVENTS.c.kind, REPORT_EVENTS.c.conversation_id,
        REPORT_EVENTS.c.queue_id, REPORT_EVENTS.c.seconds, REPORT_EVENTS.c.business_seconds,
        REPORT_EVENTS.c.value,
    ).where(_at_times(period, runs), REPORT_EVENTS.c.kind.in_(kinds))  # fmt: skip
    if group_by == "label":
        query = query.join(
            CONVERSATION_LABELS,
            CONVERSATION_LABELS.c.conversation_id == REPORT_EVENTS.c.conversation_id,
        )
    if queues is not None:
        query = query.where(REPORT_EVENTS.c.queue_id.in_(queues))
    by_day, by_agent, zone = group_by == "day", group_by == "agent", period.zone
    result = session.connection().execute(query)
    for key, kind, conversation_id, queue_id, seconds, business, value in result:
        if key is None:
            continue
        if by_day:
            key = key.astimezone(zone).date().isoformat()
        figures = groups.get(key)
        if figures is None:
            figures = groups[key] = _Figures()
        if (by_agent and count) or kind == OPENED:
            figures.conversations.add(conversation_id)
        if kind != OPENED:
            figures.add(kind, seconds, business, value, targets.get(queue_id, DEFAULT_TARGET))


_ROLLUP_KEYS = {"day": "day", "agent": "agent_id", "queue": "queue_id", "number": "channel_id"}


def _read_rollup(
    session: Session,
    groups: dict[Any, _Figures],
    runs: list[tuple[date, date]],
    group_by: str,
    queues: frozenset[int] | None,
    targets: dict[int, int],
) -> None:
    """Fold the rollup's days into ``groups``: the counts, the summed bins, and the first
    responses within their queue's target (today's target, as the reporting rows are)."""
    name = _ROLLUP_KEYS[group_by]

    def where(table: Table) -> list[ColumnElement[bool]]:
        conditions = [_on_days(table.c.day, runs)]
        if queues is not None:
            conditions.append(table.c.queue_id.in_(queues))
        if group_by in ("agent", "queue"):  # 0: no agent, no queue
            conditions.append(table.c[name] != 0)
        return conditions

    def key_of(value: Any) -> Any:
        return value.isoformat() if group_by == "day" else value

    days, waits = REPORT_DAYS, REPORT_DAY_WAITS
    connection = session.connection()
    counts = connection.execute(
        select(
            days.c[name], func.sum(days.c.events), func.sum(days.c.opened),
            func.sum(days.c.snoozes), func.sum(days.c.csat_sum), func.sum(days.c.csat_count),
        ).where(*where(days)).group_by(days.c[name])
    )  # fmt: skip
    for key, events, opened, snoozes, csat_sum, csat_count in counts:
        if events or group_by == "agent":
            figures = _group(groups, key_of(key))
            figures.counted += opened
            figures.snoozes += snoozes
            figures.csat_sum += csat_sum
            figures.csat_count += csat_count
    # The first responses' business bins come per queue too, to compare with its target
    # here: a second pass for the share within target cost a third (SQLite, 40,000
    # conversations, a year by queue: p50 0.74 s with it, 0.50 s without).
    queue_of = case((waits.c.wait == FIRST_RESPONSE_BUSINESS, waits.c.queue_id), else_=0)
    bins = connection.execute(
        select(waits.c[name], waits.c.wait, waits.c.bin, queue_of, func.sum(waits.c.count))
        .where(*where(waits))
        .group_by(waits.c[name], waits.c.wait, waits.c.bin, queue_of)
    )
    current: _Figures | None = None
    last = None
    for key, wait, low, queue_id, count in bins:  # in no promised order: a new key looks up
        if current is None or key != last:
            current, last = _group(groups, key_of(key)), key
        current.binned[wait][low] += count
        if wait == FIRST_RESPONSE_BUSINESS and low <= targets.get(queue_id, DEFAULT_TARGET):
            current.within_target += count


def _count_agents_conversations(
    session: Session,
    groups: dict[Any, _Figures],
    period: Period,
    rolled: list[tuple[date, date]],
    raw: list[tuple[date, date]],
    queues: frozenset[int] | None,
) -> None:
    """Each agent's distinct conversations over the rollup's days and the rows' days at
    once: a conversation named on two days, one of each, counts once."""
    agents = REPORT_DAY_AGENTS
    pairs: Select[Any] = select(agents.c.agent_id, agents.c.conversation_id).where(
        _on_days(agents.c.day, rolled)
    )
    if queues is not None:
        pairs = pairs.where(agents.c.queue_id.in_(queues))
    if raw:
        rows = select(REPORT_EVENTS.c.agent_id, REPORT_EVENTS.c.conversation_id).where(
            _at_times(period, raw), REPORT_EVENTS.c.agent_id.is_not(None)
        )
        if queues is not None:
            rows = rows.where(REPORT_EVENTS.c.queue_id.in_(queues))
        pairs = union_all(pairs, rows).subquery().select()
    both = pairs.subquery()
    counted = session.connection().execute(
        select(both.c.agent_id, func.count(distinct(both.c.conversation_id))).group_by(
            both.c.agent_id
        )
    )
    for agent_id, conversations in counted:
        _group(groups, agent_id).counted = conversations


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
