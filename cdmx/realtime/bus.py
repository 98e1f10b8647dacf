"""The in-process event bus: actions publish after commit, SSE streams subscribe.

``publish`` may be called from any thread (actions run in the thread pool); each
subscriber is an asyncio queue fed on its own loop.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import Any

# A console tab that stops reading gets dropped (and resumes from the database) rather than
# growing memory without bound.
MAX_PENDING = 1000


@dataclass(frozen=True)
class PublishedEvent:
    id: int
    type: str
    data: dict[str, Any]
    conversation_id: int | None
    audience: tuple[int, ...] | None  # None: every signed-in user

    @cached_property
    def frame(self) -> str:
        """The SSE frame, encoded once for every stream that sends it."""
        return format_event(self.id, self.type, self.data)


def format_event(event_id: int | None, type_: str, data: dict[str, Any]) -> str:
    """One SSE frame."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"event: {type_}")
    lines.append("data: " + json.dumps(data, separators=(",", ":"), ensure_ascii=False))
    return "\n".join(lines) + "\n\n"


class Subscription:
    """One listener: a bounded queue on the loop that created it."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._loop = asyncio.get_running_loop()
        # None ends the stream: the server is shutting down.
        self.queue: asyncio.Queue[PublishedEvent | None] = asyncio.Queue(MAX_PENDING + 1)
        self.overflowed = False

    def _offer(self, events: list[PublishedEvent]) -> None:
        for event in events:
            if self.overflowed:
                return
            if self.queue.qsize() >= MAX_PENDING:
                self.overflowed = True  # the stream tells its tab to reload
                return
            self.queue.put_nowait(event)

    def _end(self) -> None:
        if not self.queue.full():
            self.queue.put_nowait(None)

    def close(self) -> None:
        self._bus._remove(self)


class EventBus:
    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()
        self._lock = threading.Lock()

    def subscribe(self) -> Subscription:
        subscription = Subscription(self)
        with self._lock:
            self._subscribers.add(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(subscription)

    def publish(self, events: list[PublishedEvent]) -> None:
        """Hand committed events to every subscriber (thread-safe)."""
        if not events:
            return
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            try:  # one hand-over per subscriber and batch: each one wakes its loop
                subscription._loop.call_soon_threadsafe(subscription._offer, events)
            except RuntimeError:  # its loop is closed: the stream is gone
                self._remove(subscription)

    def end_streams(self) -> None:
        """Tell every stream to finish now (the server is stopping); thread-safe."""
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            try:
                subscription._loop.call_soon_threadsafe(subscription._end)
            except RuntimeError:
                self._remove(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
