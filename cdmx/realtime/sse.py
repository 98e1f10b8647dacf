"""The console's event stream: Server-Sent Events, resumable with Last-Event-ID.

On connect the stream subscribes to the bus first, then replays from the database what the
tab missed (events after its Last-Event-ID), then follows the bus, skipping ids it already
sent. A tab that was away too long, or that cannot keep up, gets a ``reset`` event telling
it to reload its state.

A ``user.updated`` about the stream's own user changes what it shows (a new role) or, when
the user was deactivated, is its last frame: the stream ends at once, on every instance
(the event reaches each one's feed), and the tab's next request is refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from cdmx.db.engine import Database
from cdmx.db.tables import Event, User
from cdmx.domain.events import USER_UPDATED, EventData, Hello, Reset
from cdmx.domain.states import Role
from cdmx.realtime.bus import PublishedEvent, format_event
from cdmx.realtime.feed import EventFeed
from cdmx.realtime.presence import Presence
from cdmx.realtime.visibility import QueueScope

REPLAY_LIMIT = 500
HEARTBEAT_SECONDS = 15.0
RETRY_MS = 2000


@dataclass(frozen=True, slots=True)
class Viewer:
    """Whom a stream shows events to (its user's role can change while it is open)."""

    id: int
    role: str


def visible_to(user: User | Viewer, event: PublishedEvent, scope: QueueScope | None = None) -> bool:
    """Admins see every event; agents the queue's and their own; supervisors their own and
    every one of a conversation of their queues (``scope``). A ``user.updated`` goes to
    admins (who alone manage users) and to that user only."""
    if event.type == USER_UPDATED:
        return user.role == Role.ADMIN or user.id in (event.audience or ())
    if user.role == Role.ADMIN or (event.audience is not None and user.id in event.audience):
        return True
    if user.role == Role.SUPERVISOR and event.conversation_id is not None:
        return scope is not None and scope.holds(event)
    return event.audience is None


def viewer_after(viewer: Viewer, event: PublishedEvent) -> Viewer | None:
    """The viewer once ``event`` happened: a ``user.updated`` about them may change their
    role; None when it deactivated them (the stream ends)."""
    changed = event.data.get("user") if event.type == USER_UPDATED else None
    if not isinstance(changed, dict) or changed.get("id") != viewer.id:
        return viewer
    if not changed.get("active", True):
        return None
    return Viewer(viewer.id, str(changed.get("role", viewer.role)))


def _is_active(db: Database, user_id: int) -> bool:
    with db.read() as session:
        return bool(session.scalar(select(User.is_active).where(User.id == user_id)))


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
    feed: EventFeed,
    user: User,
    last_event_id: int | None,
    stopping: asyncio.Event,
    presence: Presence | None = None,
    still_open: Callable[[], bool] | None = None,
) -> AsyncIterator[str]:
    """The frames of one console tab's stream, until it disconnects, the server stops or
    its user is deactivated; while it is open ``presence`` counts the user as here.
    ``still_open`` (whether the session or token that opened it is still good: one indexed
    read) is asked at each keep-alive, so a stream of a signed-out session — a copied
    cookie's — ends within HEARTBEAT_SECONDS."""
    subscription = feed.bus.subscribe()  # before reading the watermark: nothing falls between
    newest = feed.watermark
    viewer = Viewer(user.id, user.role)
    scope = QueueScope(feed.db, user.id)
    present = False
    try:
        # Deactivated after the request was let in but before the subscription: its
        # user.updated may have gone by already.
        if not await run_in_threadpool(_is_active, feed.db, user.id):
            return
        if viewer.role == Role.SUPERVISOR:
            await run_in_threadpool(scope.load)
        if presence is not None:
            presence.opened(user.id)
            present = True
        yield f"retry: {RETRY_MS}\n\n"
        missed, reset = await run_in_threadpool(_replay, feed.db, last_event_id, newest)
        sent = newest if last_event_id is None else last_event_id
        if reset:
            yield _frame(newest, Reset(reason="missed too much"))
            sent = newest
        elif last_event_id is None:
            yield _frame(newest, Hello(user_id=user.id))
            sent = newest
        if viewer.role == Role.SUPERVISOR and (unknown := scope.unknown(missed)):
            await run_in_threadpool(scope.read, unknown)
        for event in missed:
            scope.learn(event)
            if visible_to(viewer, event, scope):
                yield event.frame
            sent = event.id
            if (after := viewer_after(viewer, event)) is None:
                return
            viewer = after
        while not stopping.is_set():
            if subscription.overflowed:
                yield _frame(sent, Reset(reason="too slow"))
                return
            try:
                live = await asyncio.wait_for(subscription.queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                if still_open is not None and not await run_in_threadpool(still_open):
                    return  # signed out or revoked: the tab goes to the sign-in page
                yield ": keep-alive\n\n"
                continue
            if live is None:  # the server is stopping; the tab reconnects and resumes
                return
            if live.id <= sent:
                continue
            sent = live.id
            scope.learn(live)
            if viewer.role == Role.SUPERVISOR and (unknown := scope.unknown([live])):
                await run_in_threadpool(scope.read, unknown)
            if visible_to(viewer, live, scope):
                yield live.frame
            if (after := viewer_after(viewer, live)) is None:
                return  # deactivated: the tab goes to the sign-in page
            viewer = after
    finally:
        subscription.close()
        if present and presence is not None:
            presence.closed(user.id)


def _frame(event_id: int | None, event: EventData) -> str:
    """A stream-only frame (hello, reset): never stored, so never replayed."""
    return format_event(event_id, event.type, event.model_dump())
