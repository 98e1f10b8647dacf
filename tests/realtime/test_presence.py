"""Presence: an open event stream keeps its user seen; the timeout counts from the moment
their last tab went away, whichever instance it was on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from cdmx.app import create_app
from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.realtime.presence import Presence
from cdmx.settings import Settings
from cdmx.workers.presence import sweep_presence
from tests.conftest import GraphRecorder, bearer, eventually
from tests.servers import serving

TIMEOUT = 120


def seen_at(db: Database, user_id: int) -> datetime | None:
    with db.read() as session:
        return session.scalar(select(User.last_seen_at).where(User.id == user_id))


def availability(db: Database, user_id: int) -> str:
    with db.read() as session:
        return str(session.scalar(select(User.availability).where(User.id == user_id)))


def test_the_timeout_counts_from_when_the_last_tab_closed(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    start = seen_at(db, agent.id)
    assert start is not None
    now = [start]
    presence = Presence(db, clock=lambda: now[0])

    presence.opened(agent.id)
    presence.opened(agent.id)  # a second tab
    presence.touch(everyone=False)  # the first tab was recorded at once
    now[0] = start + timedelta(seconds=100)
    presence.touch(everyone=True)  # the 30-second round: every user with a tab here
    assert seen_at(db, agent.id) == start + timedelta(seconds=100)
    assert sweep_presence(db, TIMEOUT, start + timedelta(seconds=200)) == []

    now[0] = start + timedelta(seconds=150)
    presence.closed(agent.id)
    presence.touch(everyone=False)
    assert seen_at(db, agent.id) == start + timedelta(seconds=100)  # one tab is still open
    now[0] = start + timedelta(seconds=160)
    presence.closed(agent.id)  # the last one
    assert presence.online == set()
    presence.touch(everyone=False)
    assert seen_at(db, agent.id) == start + timedelta(seconds=160)

    assert sweep_presence(db, TIMEOUT, start + timedelta(seconds=160 + TIMEOUT)) == []
    assert availability(db, agent.id) == "available"
    assert sweep_presence(db, TIMEOUT, start + timedelta(seconds=161 + TIMEOUT)) == [agent.id]
    assert availability(db, agent.id) == "offline"


def test_a_touch_that_fails_is_tried_again(
    db: Database, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = make_user()
    presence = Presence(db)
    presence.opened(agent.id)

    def down(*_: object) -> None:
        raise ConnectionError("database down")

    monkeypatch.setattr("cdmx.realtime.presence.touch_users", down)
    with pytest.raises(ConnectionError):
        presence.touch(everyone=False)
    monkeypatch.undo()
    with db.write() as session:
        session.execute(update(User).values(last_seen_at=None))
    presence.touch(everyone=False)
    assert seen_at(db, agent.id) is not None


@pytest.fixture
async def live(settings: Settings, db: Database, graph: GraphRecorder) -> AsyncIterator[str]:
    async with serving(create_app(settings, graph_transport=graph.transport)) as base_url:
        yield base_url


async def test_an_open_stream_records_its_user_as_seen_and_again_when_it_closes(
    live: str, db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    with db.write() as session:
        session.execute(update(User).values(last_seen_at=long_ago))
    async with httpx.AsyncClient(base_url=live) as client:
        auth = await bearer(client, agent)
        opened: list[datetime | None] = []

        async def stream_until_seen() -> None:
            async def seen() -> bool:
                value = seen_at(db, agent.id)
                if value is not None and value > long_ago:
                    opened.append(value)
                    return True
                return False

            async with client.stream("GET", "/api/v1/events", headers=auth, timeout=10) as r:
                assert r.status_code == 200
                await eventually(seen)

        await asyncio.wait_for(stream_until_seen(), timeout=10)
    # The stream has closed: its user was seen until then, a little after it opened.
    await eventually(lambda: (seen_at(db, agent.id) or long_ago) > opened[0])
    assert availability(db, agent.id) == "available"
