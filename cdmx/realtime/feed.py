"""The event feed: reads committed events from the database, in id order, and hands each to
the bus exactly once.

Every instance runs one. It is woken when this process commits events and, on PostgreSQL,
when any instance does (LISTEN/NOTIFY, see ``notify.py``), so a webhook processed by one
instance reaches console tabs connected to another.

Ids come from a sequence, and on PostgreSQL a transaction can commit after another that took
a higher id. So the feed never publishes past a gap at once: it waits up to ``GAP_WAIT``
for the missing id to commit; a gap still open after that belongs to a rolled-back
transaction and is skipped. ``watermark`` is the last id published; the SSE replay never
reads past it, so replay and live delivery meet without a hole or a repeat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from sqlalchemy import Row, bindparam, func, select

from cdmx.db.engine import Database
from cdmx.db.tables import EVENTS, Event
from cdmx.realtime.bus import EventBus, PublishedEvent

log = logging.getLogger(__name__)

GAP_WAIT = 1.0  # seconds; a transaction holding an id open longer than this is unusual
BATCH = 1000
SAFETY_POLL = 1.0  # seconds between polls when nothing wakes the feed

_AFTER = (
    select(EVENTS).where(EVENTS.c.id > bindparam("watermark")).order_by(EVENTS.c.id).limit(BATCH)
)


class EventFeed:
    def __init__(self, db: Database, bus: EventBus) -> None:
        self.db = db
        self.bus = bus
        self.watermark = 0
        self._gap_since: float | None = None
        self._wakeup: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start_position(self) -> None:
        """Begin after the newest stored event: what came before is history, not news."""
        with self.db.read() as session:
            self.watermark = session.scalar(select(func.max(Event.id))) or 0

    def poll(self) -> int:
        """Publish what has committed since the watermark; returns how many were published."""
        with self.db.read() as session:
            rows = session.connection().execute(_AFTER, {"watermark": self.watermark}).all()
        ready: list[PublishedEvent] = []
        expected = self.watermark + 1
        for row in rows:
            if row.id != expected:
                now = time.monotonic()
                if self._gap_since is None:
                    self._gap_since = now
                if now - self._gap_since < GAP_WAIT:
                    break  # an earlier transaction may still commit this id
                log.debug("event ids %s..%s never committed; skipped", expected, row.id - 1)
            self._gap_since = None
            ready.append(_published(row))
            expected = row.id + 1
        if ready:
            self.watermark = ready[-1].id
            self.bus.publish(ready)
        return len(ready)

    def wake(self) -> None:
        """Ask the feed to poll now; safe from any thread."""
        if self._loop is not None and self._wakeup is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wakeup.set)

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.start_position)
                break
            except Exception as exc:  # the database is down: keep trying, /readyz says why
                log.warning("event feed cannot read the database (%s); retrying", exc)
                await asyncio.sleep(SAFETY_POLL)
        while not stop.is_set():
            self._wakeup.clear()
            try:
                published = await asyncio.to_thread(self.poll)
            except Exception:
                log.exception("event feed poll failed; retrying")
                published = 0
            if published == BATCH:
                continue
            # A pending gap is re-checked soon; otherwise sleep until woken.
            timeout = 0.05 if self._gap_since is not None else SAFETY_POLL
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=timeout)
            except TimeoutError:
                pass


def _published(row: Row[Any]) -> PublishedEvent:
    return PublishedEvent(
        id=row.id,
        type=row.type,
        data=row.data,
        conversation_id=row.conversation_id,
        audience=tuple(row.audience) if row.audience is not None else None,
    )
