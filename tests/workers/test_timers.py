"""The timers worker's report days: yesterday once it is complete, past days not built in
the business time zone, each once, however many instances sweep at the same time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from cdmx.actions.report_days import GRACE, do_build_report_day
from cdmx.db.engine import Database
from cdmx.db.tables import CHANNELS, REPORT_BUILT_DAYS, REPORT_DAYS, REPORT_EVENTS
from cdmx.queries.queues import ZONE_KEY
from cdmx.workers.timers import build_report_days_once

ZONE = ZoneInfo("America/Mexico_City")
MIDNIGHT = datetime(2026, 11, 12, tzinfo=ZONE)  # Thursday 12 November begins


def opened(db: Database, at: datetime, conversation_id: int) -> None:
    with db.write() as session:
        channel_id = session.scalars(select(CHANNELS.c.id)).first()
        session.execute(REPORT_EVENTS.insert().values(
            kind="opened", conversation_id=conversation_id, channel_id=channel_id,
            queue_id=None, agent_id=None, contact_id=1, at=at,
        ))  # fmt: skip


def built(db: Database) -> dict[date, str]:
    with db.read() as session:
        rows = session.execute(select(REPORT_BUILT_DAYS.c.day, REPORT_BUILT_DAYS.c.zone))
        return {day: zone for day, zone in rows}


def test_yesterday_is_built_once_complete_with_the_days_before_it_and_only_once(
    db: Database,
) -> None:
    opened(db, MIDNIGHT - timedelta(days=1, hours=12), 1)  # Tuesday noon
    opened(db, MIDNIGHT - timedelta(minutes=1), 2)  # Wednesday 23:59
    assert build_report_days_once(db, MIDNIGHT + GRACE - timedelta(seconds=1)) == 1
    assert set(built(db)) == {date(2026, 11, 10)}  # Wednesday may still get rows
    assert build_report_days_once(db, MIDNIGHT + GRACE) == 1
    assert built(db) == {date(2026, 11, 10): ZONE.key, date(2026, 11, 11): ZONE.key}
    assert build_report_days_once(db, MIDNIGHT + GRACE) == 0
    with db.read() as session:
        assert session.scalar(select(func.sum(REPORT_DAYS.c.opened))) == 2


def test_a_change_of_business_zone_builds_the_days_again_in_the_new_one(db: Database) -> None:
    opened(db, MIDNIGHT - timedelta(hours=12), 1)
    assert build_report_days_once(db, MIDNIGHT + GRACE) == 1
    madrid = ZoneInfo("Europe/Madrid")
    elsewhere = Database(db.engine.url.render_as_string(hide_password=False),
                         session_info={ZONE_KEY: madrid})  # fmt: skip
    try:
        now = MIDNIGHT + timedelta(days=1)
        assert build_report_days_once(elsewhere, now) >= 1
    finally:
        elsewhere.dispose()
    assert set(built(db).values()) == {madrid.key}


def test_a_day_not_over_is_refused(db: Database) -> None:
    with db.write() as session, pytest.raises(ValueError, match="not a complete past day"):
        do_build_report_day(session, date(2026, 11, 11), ZONE, MIDNIGHT)


def test_instances_building_the_same_day_at_once_write_it_once(db: Database) -> None:
    for n in range(50):
        opened(db, MIDNIGHT - timedelta(hours=12, minutes=n), n + 1)
    now = MIDNIGHT + timedelta(hours=1)

    def build() -> bool:
        with db.write() as session:
            return do_build_report_day(session, date(2026, 11, 11), ZONE, now)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: build(), range(4)))
    assert results.count(True) == 1
    with db.read() as session:
        assert session.scalar(select(func.sum(REPORT_DAYS.c.opened))) == 50
