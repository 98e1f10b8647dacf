"""The timers worker: what happens because time passed. Snoozed conversations come back
when their time is up (``do_wake_due``), silent ones are re-routed per queue
(``do_reroute_silent``) and quiet ones closed (``do_auto_close``); each sweep is its own
transaction, so one that fails does not hold back the others."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from cdmx.actions.assignment import do_auto_close, do_reroute_silent, do_wake_due
from cdmx.db.engine import Database
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


async def run_timers(db: Database, wakeup: asyncio.Event, stop: asyncio.Event) -> None:
    async def work() -> int:
        return await asyncio.to_thread(run_timers_once, db)

    await run_woken(work, wakeup, stop, poll_seconds=POLL_SECONDS, name="timers")
