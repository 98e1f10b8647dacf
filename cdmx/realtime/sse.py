"""The console's event stream: Server-Sent Events, resumable with Last-Event-ID.

On connect the stream subscribes to the bus first, then replays from the database what the
tab missed (events after its Last-Event-ID), then follows the bus, skipping ids it already
sent. A tab that was away too long, or that cannot keep up, gets a ``reset`` event telling
it to reload its state.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from cdmx.db.engine import Database
from cdmx.db.tables import Event, User
from cdmx.domain.events import EventData, Hello, Reset
from cdmx.domain.states import Role
from cdmx.realtime.bus import PublishedEvent, format_event
from cdmx.realtime.feed import EventFeed

REPLAY_LIMIT = 500
HEARTBEAT_SECONDS = 15.0
RETRY_MS = 2000


def visible_to(user: User, event: PublishedEvent) -> bool:
    """Supervisors and admins see every event; agents see the queue's and their own."""
    if user.role in (Role.SUPERVISOR, Role.ADMIN) or event.audience is None:
        return True
    return user.id in event.audience


def _replay(db: Database, after: int | None, newest: int) -> tuple[list[PublishedEvent], bool]:
    """Events in (after, newest] (or a reset flag when they are too many or already pruned).

    ``newest`` is the feed's watermark: everything up to it has been published in order, so
    the live stream continues exactly where the replay ends.
    """
    if after is None:
        return [], False
    with db.read() as session:
        oldest = session.scalar(select(func.min(Event.id))) or 0
        if after < oldest - 1 or newest - after > REPLAY_LIMIT or after > newest:
            return [], True
        rows = session.scalars(
            select(Event).where(Event.id > after, Event.id <= newest).order_by(Event.id)
        ).all()
        events = [
            PublishedEvent(
                r.id,
                r.type,
                r.data,
                r.conversation_id,
                tuple(r.audience) if r.audience is not None else None,
            )  # fmt: skip
            for r in rows
        ]
        return events, False


async def event_stream(
    feed: EventFeed, user: User, last_event_id: int | None, stopping: asyncio.Event
) -> AsyncIterator[str]:
    """The frames of one console tab's stream, until it disconnects or the server stops."""
    subscription = feed.bus.subscribe()  # before reading the watermark: nothing falls between
    newest = feed.watermark
    try:
        yield f"retry: {RETRY_MS}\n\n"
        missed, reset = await run_in_threadpool(_replay, feed.db, last_event_id, newest)
        sent = newest if last_event_id is None else last_event_id
        if reset:
            yield _frame(newest, Reset(reason="missed too much"))
            sent = newest
        elif last_event_id is None:
            yield _frame(newest, Hello(user_id=user.id))
            sent = newest
        for event in missed:
            if visible_to(user, event):
                yield event.frame
            sent = event.id
        while not stopping.is_set():
            if subscription.overflowed:
                yield _frame(sent, Reset(reason="too slow"))
                return
            try:
                live = await asyncio.wait_for(subscription.queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if live is None:  # the server is stopping; the tab reconnects and resumes
                return
            if live.id <= sent:
                continue
            sent = live.id
            if visible_to(user, live):
                yield live.frame
    finally:
        subscription.close()


def _frame(event_id: int | None, event: EventData) -> str:
    """A stream-only frame (hello, reset): never stored, so never replayed."""
    return format_event(event_id, event.type, event.model_dump())
