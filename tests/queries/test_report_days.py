"""The summary over the daily rollup: the same figures as over the reporting rows for the
scripted week (every wait there sits on a bin edge), a wait off an edge at its bin's lower
edge, today and days not built always from the reporting rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cdmx.actions.report_days import do_build_report_day
from cdmx.db.engine import Database
from cdmx.db.tables import CHANNELS, QUEUES, REPORT_BUILT_DAYS, REPORT_EVENTS
from cdmx.queries.reports import Period, summary
from tests.queries.test_reports_week import WEEK, ZONE, Week, week  # noqa: F401

LATER = datetime(2026, 12, 1, tzinfo=UTC)  # long after the week: every day of it is complete


def week_days() -> list[date]:
    return [WEEK.first + timedelta(days=n) for n in range(7)]


def build(db: Database, days: list[date], zone: ZoneInfo = ZONE, now: datetime = LATER) -> None:
    for day in days:
        with db.write() as session:
            do_build_report_day(session, day, zone, now, again=True)


def run(
    db: Database, group_by: str, period: Period = WEEK, queues: frozenset[int] | None = None,
    now: datetime = LATER,
) -> list[dict[str, Any]]:  # fmt: skip
    with db.read() as session:
        return summary(session, period, group_by, queues, now=now)


@pytest.mark.parametrize("group_by", ["day", "agent", "queue", "number", "label"])
def test_the_rollup_gives_the_week_s_figures_the_reporting_rows_give(
    week: Week,  # noqa: F811
    db: Database,
    group_by: str,
) -> None:
    from_rows = run(db, group_by)
    build(db, week_days())
    assert run(db, group_by) == from_rows
    ana = next(row for row in run(db, "agent") if row["name"] == "Ana")
    assert ana["conversations"] == 5  # docs/reports.md's worked week


def test_the_rollup_keeps_a_supervisor_s_queues_and_counts_a_conversation_once_across_sources(
    week: Week,  # noqa: F811
    db: Database,
) -> None:
    with db.read() as session:
        (queue_id,) = session.scalars(select(QUEUES.c.id)).all()
    mine, other = frozenset({queue_id}), frozenset({queue_id + 1})
    cases = [(queues, group_by) for queues in (mine, other) for group_by in ("agent", "queue")]
    expected = {case: run(db, case[1], queues=case[0]) for case in cases}
    build(db, week_days()[:2])  # Mon–Tue from the rollup (K1 goes on on Wednesday)
    for (queues, group_by), rows in expected.items():
        assert run(db, group_by, queues=queues) == rows
    assert run(db, "agent", queues=other) == []
    assert [row["conversations"] for row in run(db, "agent", queues=mine)] == [5, 1]


def insert_wait(db: Database, at: datetime, seconds: float, conversation_id: int = 9001) -> None:
    with db.write() as session:
        channel_id = session.scalars(select(CHANNELS.c.id)).first()
        session.execute(REPORT_EVENTS.insert(), [
            {"kind": kind, "conversation_id": conversation_id, "channel_id": channel_id,
             "queue_id": None, "agent_id": 1, "contact_id": 1, "at": at, "seconds": seconds,
             "business_seconds": seconds, "value": None}
            for kind in ("first_reply", "reply")
        ])  # fmt: skip


DAY = date(2026, 11, 10)
NOON = datetime(2026, 11, 10, 12, tzinfo=ZONE)
ONE_DAY = Period(DAY, DAY, ZONE)


def test_a_wait_off_a_bin_edge_is_reported_at_its_bin_s_lower_edge(db: Database) -> None:
    insert_wait(db, NOON, 605.5)  # the 10-second bins start at 10 minutes: 600–610
    (exact,) = run(db, "number", ONE_DAY)
    assert exact["first_response_median_s"] == 605.5
    build(db, [DAY])
    (binned,) = run(db, "number", ONE_DAY)
    assert binned["first_response_median_s"] == binned["reply_median_s"] == 600.0
    assert binned["first_responses"] == 1
    assert binned["answered_within_target"] == 0.0  # 600 > the default target of 300


def test_today_is_read_from_the_reporting_rows_even_when_built(db: Database) -> None:
    insert_wait(db, NOON, 605.5)
    build(db, [DAY])  # as if it were complete
    during = datetime(2026, 11, 10, 18, tzinfo=ZONE)
    (today,) = run(db, "number", ONE_DAY, now=during)
    assert today["first_response_median_s"] == 605.5


def test_a_day_built_in_another_zone_is_read_from_the_reporting_rows(db: Database) -> None:
    insert_wait(db, NOON, 605.5)
    build(db, [DAY], zone=ZoneInfo("Europe/Madrid"))
    (row,) = run(db, "number", ONE_DAY)
    assert row["first_response_median_s"] == 605.5


def test_a_day_rebuilt_after_more_rows_changes(db: Database) -> None:
    insert_wait(db, NOON, 60)
    build(db, [DAY])
    insert_wait(db, NOON, 120, conversation_id=9002)  # e.g. ``cdmx reports rebuild``
    (stale,) = run(db, "number", ONE_DAY)
    assert stale["first_responses"] == 1
    build(db, [DAY])
    (rebuilt,) = run(db, "number", ONE_DAY)
    assert rebuilt["first_responses"] == 2
    assert rebuilt["first_response_median_s"] == 90.0
    with db.read() as session:
        assert session.scalars(select(REPORT_BUILT_DAYS.c.day)).all() == [DAY]
