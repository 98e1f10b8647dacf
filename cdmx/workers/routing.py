"""The routing worker: hands waiting conversations to agents with room when an action left
that to it (``wake(session, "routing")``), and sweeps now and then as a safety net."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from cdmx.actions.assignment import do_route_waiting
from cdmx.db.engine import Database
from cdmx.workers.loop import run_woken

POLL_SECONDS = 30.0


def route_waiting(db: Database) -> int:
    """One sweep in its own transaction; how many conversations it assigned."""
    with db.write() as session:
        return do_route_waiting(session, datetime.now(UTC))


async def run_routing(db: Database, wakeup: asyncio.Event, stop: asyncio.Event) -> None:
    async def work() -> int:
        # Once per wake-up: a sweep that assigned some has nothing left it could assign.
        await asyncio.to_thread(route_waiting, db)
        return 0

    await run_woken(work, wakeup, stop, poll_seconds=POLL_SECONDS, name="routing")
