"""The loop every worker runs: work when woken, again at once while there is work, and poll
now and then as a safety net (a wake-up can be lost; the database cannot)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def run_woken(
    work: Callable[[], Awaitable[int]],
    wakeup: asyncio.Event,
    stop: asyncio.Event,
    *,
    poll_seconds: float,
    name: str,
) -> None:
    """Call ``work`` (returns how much it did) until ``stop``; a failure is logged and
    retried at the next wake-up or poll."""
    while not stop.is_set():
        wakeup.clear()
        try:
            done = await work()
        except Exception:
            log.exception("%s failed; retrying shortly", name)
            done = 0
        if done:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout=poll_seconds)
