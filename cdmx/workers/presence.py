"""The presence worker: every ``POLL_SECONDS`` it sets offline whoever is available or away
and had no console event stream open, on any instance, for ``CDMX_PRESENCE_TIMEOUT_SECONDS``
(streams record ``users.last_seen_at``: ``cdmx/realtime/presence.py``). Every instance runs
one; the sweep's row locks keep two from setting the same user offline twice."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from cdmx.actions.presence import do_sweep_presence
from cdmx.db.engine import Database
from cdmx.workers.loop import run_woken

# An agent goes offline between the timeout and the timeout plus this after their last tab.
POLL_SECONDS = 15.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def sweep_presence(db: Database, timeout_seconds: float, now: datetime) -> list[int]:
    """One sweep in its own transaction; the ids of the users it set offline."""
    with db.write() as session:
        return do_sweep_presence(session, now, timeout_seconds)


async def run_presence(
    db: Database,
    timeout_seconds: float,
    wakeup: asyncio.Event,
    stop: asyncio.Event,
    *,
    clock: Callable[[], datetime] = _utc_now,
) -> None:
    async def work() -> int:
        await asyncio.to_thread(sweep_presence, db, timeout_seconds, clock())
        return 0  # a sweep leaves nothing a second one at once would find

    await run_woken(work, wakeup, stop, poll_seconds=POLL_SECONDS, name="presence")
