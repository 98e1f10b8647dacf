"""The timers worker: what happens because time passed. Snoozed conversations come back
when their time is up (``do_wake_due``); each sweep is its own transaction."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from cdmx.actions.assignment import do_wake_due
from cdmx.db.engine import Database
from cdmx.workers.loop import run_woken

# How late a timer may fire: a snooze until 10:00 wakes by 10:00:15.
POLL_SECONDS = 15.0


def run_timers_once(db: Database, now: datetime | None = None) -> int:
    """One sweep; how many conversations it changed."""
    now = now or datetime.now(UTC)
    with db.write() as session:
        return do_wake_due(session, now)


async def run_timers(db: Database, wakeup: asyncio.Event, stop: asyncio.Event) -> None:
    async def work() -> int:
        return await asyncio.to_thread(run_timers_once, db)

    await run_woken(work, wakeup, stop, poll_seconds=POLL_SECONDS, name="timers")
