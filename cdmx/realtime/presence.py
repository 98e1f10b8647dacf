"""Who has a console open: each instance records, per user, when one of their event streams
was last open (``users.last_seen_at``), so every instance's presence sweep
(``cdmx/workers/presence.py``) can tell who left.

One ``Presence`` per instance counts its open streams per user and touches them all in one
``UPDATE`` every ``TOUCH_SECONDS`` — one statement per instance however many tabs are open —,
plus once at once when a user's first stream opens here and when their last one here closes,
so the timeout counts from the moment the last tab went away, not from the last touch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Collection
from datetime import UTC, datetime

from sqlalchemy import update

from cdmx.db.engine import Database
from cdmx.db.tables import User

log = logging.getLogger(__name__)

# Far below the shortest presence timeout allowed (CDMX_PRESENCE_TIMEOUT_SECONDS >= 60), so
# a user with a tab open is never older than this and a late touch cannot make them offline.
TOUCH_SECONDS = 30.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def touch_users(db: Database, user_ids: Collection[int], now: datetime) -> None:
    """Record that these users had a stream open at ``now`` (no event: nothing changed)."""
    if not user_ids:
        return
    with db.write() as session:
        session.execute(update(User).where(User.id.in_(sorted(user_ids))).values(last_seen_at=now))


class Presence:
    """This instance's open streams per user, and the loop that records them."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] = _utc_now,
        touch_seconds: float = TOUCH_SECONDS,
    ) -> None:
        self.db = db
        self.clock = clock
        self.touch_seconds = touch_seconds
        self._open: Counter[int] = Counter()
        self._pending: set[int] = set()  # opened or left here since the last touch
        self._wakeup: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def online(self) -> set[int]:
        """The users with a stream open on this instance."""
        return set(self._open)

    def opened(self, user_id: int) -> None:
        """A stream of this user opened (call on the event loop that runs the streams)."""
        self._open[user_id] += 1
        if self._open[user_id] == 1:
            self._note(user_id)

    def closed(self, user_id: int) -> None:
        """A stream of this user ended; their last one here is recorded as seen now."""
        self._open[user_id] -= 1
        if self._open[user_id] <= 0:
            del self._open[user_id]
            self._note(user_id)

    def wake(self) -> None:
        """Run the loop now (to see its stop); safe from any thread."""
        if self._loop is not None and self._wakeup is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wakeup.set)

    def _note(self, user_id: int) -> None:
        self._pending.add(user_id)
        if self._wakeup is not None:
            self._wakeup.set()

    def touch(self, *, everyone: bool) -> None:
        """Touch the users noted since the last touch (and, with ``everyone``, every user
        with a stream open here); a failure keeps them for the next try."""
        ids = self._take(everyone=everyone)
        try:
            touch_users(self.db, ids, self.clock())
        except Exception:
            self._pending |= ids
            raise

    def _take(self, *, everyone: bool) -> set[int]:
        ids = self._pending | (set(self._open) if everyone else set())
        self._pending = set()
        return ids

    async def run(self, stop: asyncio.Event) -> None:
        """Touch every ``touch_seconds``, and soon after a user's first or last stream here."""
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        next_round = self._loop.time()
        while not stop.is_set():
            self._wakeup.clear()
            everyone = self._loop.time() >= next_round
            if everyone:
                next_round = self._loop.time() + self.touch_seconds
            # Taken here, on the loop the streams run on, never in the writing thread.
            ids = self._take(everyone=everyone)
            try:
                await asyncio.to_thread(touch_users, self.db, ids, self.clock())
            except Exception:
                self._pending |= ids
                log.exception("presence not recorded; retrying shortly")
            timeout = max(0.0, next_round - self._loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=timeout)
        # The server is stopping: record who was here until now.
        ids = self._take(everyone=True)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(touch_users, self.db, ids, self.clock())
