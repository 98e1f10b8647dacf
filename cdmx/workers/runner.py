"""Runs the workers as asyncio tasks and wakes them, from any thread, after a commit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from cdmx.db.engine import Database
from cdmx.workers.inbox import run_inbox
from cdmx.workers.outbox import OutboxSender

log = logging.getLogger(__name__)


Loop = Callable[[asyncio.Event, asyncio.Event], Coroutine[Any, Any, None]]  # (wakeup, stop)


class Workers:
    """The inbox processor, the outbox sender and the other loops of one process."""

    def __init__(
        self,
        db: Database,
        sender: OutboxSender,
        *,
        woken: dict[str, Loop] | None = None,
        periodic: list[Callable[[asyncio.Event], Coroutine[Any, Any, None]]] | None = None,
        inbox_threads: int = 1,
        webhooks_waiting: Callable[[], int] | None = None,
    ) -> None:
        self.db = db
        self.inbox_threads = inbox_threads
        self.webhooks_waiting = webhooks_waiting  # the processor makes way for them
        self.sender = sender
        self.woken = woken or {}  # loops woken by name after a commit, e.g. "media"
        self.periodic = periodic or []  # loops on their own schedule, e.g. template sync
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeups: dict[str, asyncio.Event] = {}
        self._stop: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        names = ["inbox", "outbox", *self.woken]
        self._wakeups = {name: asyncio.Event() for name in names}
        self._tasks = [
            asyncio.create_task(
                run_inbox(
                    self.db,
                    self._wakeups["inbox"],
                    self._stop,
                    self.inbox_threads,
                    webhooks_waiting=self.webhooks_waiting,
                )  # fmt: skip
            ),
            asyncio.create_task(self.sender.run(self._wakeups["outbox"], self._stop)),
            *(
                asyncio.create_task(loop(self._wakeups[name], self._stop))
                for name, loop in self.woken.items()
            ),
            *(asyncio.create_task(loop(self._stop)) for loop in self.periodic),
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
