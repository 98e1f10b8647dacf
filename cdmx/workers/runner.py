"""Runs the workers as asyncio tasks and wakes them, from any thread, after a commit."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from cdmx.db.engine import Database
from cdmx.workers.inbox import run_inbox
from cdmx.workers.outbox import OutboxSender

log = logging.getLogger(__name__)


class Workers:
    """The inbox processor and the outbox sender of one process."""

    def __init__(self, db: Database, sender: OutboxSender) -> None:
        self.db = db
        self.sender = sender
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeups: dict[str, asyncio.Event] = {}
        self._stop: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._wakeups = {"inbox": asyncio.Event(), "outbox": asyncio.Event()}
        self._tasks = [
            asyncio.create_task(run_inbox(self.db, self._wakeups["inbox"], self._stop)),
            asyncio.create_task(self.sender.run(self._wakeups["outbox"], self._stop)),
        ]

    def wake(self, name: str) -> None:
        """Wake a worker now; safe to call from any thread, and before start (ignored)."""
        loop, event = self._loop, self._wakeups.get(name)
        if loop is None or event is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(event.set)

    async def stop(self) -> None:
        if self._stop is None:
            return
        self._stop.set()
        for event in self._wakeups.values():
            event.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                try:
                    await asyncio.wait_for(task, timeout=5)
                except TimeoutError:
                    log.warning("a worker did not stop in time; cancelled")
        self._tasks = []
