"""The timers worker: what happens because time passed. Snoozed conversations come back
when their time is up (``do_wake_due``), silent ones are re-routed per queue
(``do_reroute_silent``) and quiet ones closed (``do_auto_close``); each sweep is its own
transaction, so one that fails does not hold back the others. Then the reports' daily
rollup: yesterday, once it is complete, and any past day not built in the business time
zone (``do_build_report_day``, a transaction a day, a month of days a sweep)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from cdmx.actions.assignment import do_auto_close, do_reroute_silent, do_wake_due
from cdmx.actions.report_days import DAYS_PER_SWEEP, days_to_build, do_build_report_day
from cdmx.db.engine import Database
from cdmx.queries.queues import business_zone
from cdmx.workers.loop import run_woken

# How late a timer may fire: a snooze until 10:00 wakes by 10:00:15.
POLL_SECONDS = 15.0


def run_timers_once(db: Database, now: datetime | None = None) -> int:
    """One sweep; how many conversations it changed."""
    now = now or datetime.now(UTC)
    changed = 0
    for sweep in (do_wake_due, do_reroute_silent, do_auto_close):
        with db.write() as session:
            changed += sweep(session, now)
    return changed


def build_report_days_once(db: Database, now: datetime | None = None) -> int:
    """Build the report days due (at most ``DAYS_PER_SWEEP``); how many it built."""
    now = now or datetime.now(UTC)
    with db.read() as session:
        zone = business_zone(session)
        days = days_to_build(session, zone, now)[:DAYS_PER_SWEEP]
    built = 0
    for day in days:
        with db.write() as session:
            built += do_build_report_day(session, day, zone, now)
    return built


async def run_timers(db: Database, wakeup: asyncio.Event, stop: asyncio.Event) -> None:
    async def work() -> int:
        changed = await asyncio.to_thread(run_timers_once, db)
        return changed + await asyncio.to_thread(build_report_days_once, db)

    await run_woken(work, wakeup, stop, poll_seconds=POLL_SECONDS, name="timers")
