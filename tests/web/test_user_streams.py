"""A user's sessions and streams follow what an admin decides: ``user.updated`` reaches
admins and that user only; a deactivated user's open streams end at once, on every
instance, and their next request is refused; signing out sets them offline."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cdmx.actions.users import do_create_user
from cdmx.app import create_app
from cdmx.db.engine import Database
from cdmx.db.tables import Event, User
from cdmx.realtime.bus import PublishedEvent
from cdmx.realtime.sse import Viewer, viewer_after, visible_to
from cdmx.settings import Settings
from tests.conftest import PASSWORD, GraphRecorder, bearer
from tests.realtime.test_sse import read_events
from tests.servers import serving


@pytest.fixture
async def live(settings: Settings, db: Database, graph: GraphRecorder) -> AsyncIterator[str]:
    async with serving(create_app(settings, graph_transport=graph.transport)) as base_url:
        yield base_url


@pytest.fixture
async def other_instance(
    settings: Settings, db: Database, graph: GraphRecorder
) -> AsyncIterator[str]:
    """A second instance on the same database (PostgreSQL: LISTEN/NOTIFY; SQLite: the
    doorbell beside the file)."""
    async with serving(create_app(settings, graph_transport=graph.transport)) as base_url:
        yield base_url


def availability(db: Database, user_id: int) -> str:
    with db.read() as session:
        return str(session.scalar(select(User.availability).where(User.id == user_id)))


async def follow_to_the_end(
    client: httpx.AsyncClient, auth: dict[str, str], ready: asyncio.Event
) -> list[dict[str, Any]]:
    """Every event of a fresh stream until the server ends it; ``ready`` once it said hello."""

    def until(_: list[dict[str, Any]]) -> bool:
        ready.set()
        return False

    return await read_events(client, auth, until)


async def deactivation_ends_the_stream(
    stream_url: str, admin_url: str, make_user: Callable[..., User]
) -> None:
    agent, admin = make_user(), make_user(role="admin")
    async with (
        httpx.AsyncClient(base_url=stream_url) as agent_client,
        httpx.AsyncClient(base_url=admin_url) as admin_client,
    ):
        auth, admin_auth = await bearer(agent_client, agent), await bearer(admin_client, admin)
        ready = asyncio.Event()
        stream = asyncio.create_task(follow_to_the_end(agent_client, auth, ready))
        await asyncio.wait_for(ready.wait(), timeout=10)
        off = await admin_client.patch(
            f"/api/v1/users/{agent.id}", json={"active": False}, headers=admin_auth
        )
        assert off.status_code == 200, off.text
        events = await asyncio.wait_for(stream, timeout=10)  # it ends by itself, at once

        last = events[-1]
        assert (last["event"], last["data"]["user"]["active"]) == ("user.updated", False)
        offline = [e for e in events if e["event"] == "agent.updated"]
        assert offline[-1]["data"]["agent"]["availability"] == "offline"
        assert (await agent_client.get("/api/v1/me", headers=auth)).status_code == 401
        again = await agent_client.get("/api/v1/events", headers=auth)
        assert again.status_code == 401


async def test_a_deactivated_users_open_stream_ends_and_their_token_stops(
    live: str, make_user: Callable[..., User]
) -> None:
    await deactivation_ends_the_stream(live, live, make_user)


async def test_a_deactivation_on_another_instance_ends_the_stream_here(
    live: str, other_instance: str, make_user: Callable[..., User]
) -> None:
    await deactivation_ends_the_stream(live, other_instance, make_user)


async def test_user_updated_reaches_admins_and_that_user_only(
    live: str, make_user: Callable[..., User]
) -> None:
    admin, supervisor = make_user(role="admin"), make_user(role="supervisor")
    agent, colleague = make_user(), make_user()
    async with httpx.AsyncClient(base_url=live) as client:
        auths = {u.id: await bearer(client, u) for u in (admin, supervisor, agent, colleague)}
        hello = await read_events(client, auths[admin.id], lambda evs: bool(evs))
        position = str(hello[0]["id"])
        changed = await client.patch(
            f"/api/v1/users/{agent.id}", json={"name": "Ana María"}, headers=auths[admin.id]
        )
        assert changed.status_code == 200, changed.text
        # Then an event everyone receives: reading up to it shows what came before it.
        away = await client.put(
            "/api/v1/me/availability", json={"availability": "away"}, headers=auths[agent.id]
        )
        assert away.status_code == 200, away.text

        def marker(events: list[dict[str, Any]]) -> bool:
            return any(
                e["event"] == "agent.updated" and e["data"]["agent"]["availability"] == "away"
                for e in events
            )

        received = {}
        for user_id, auth in auths.items():
            events = await asyncio.wait_for(
                read_events(client, {**auth, "Last-Event-ID": position}, marker), timeout=10
            )
            received[user_id] = [e["data"]["user"] for e in events if e["event"] == "user.updated"]
    # The stream's start may trail the users' creation by a moment (a replay from it can
    # carry those too): what matters is the change, to whom, and to nobody else.
    about_agent = [u for u in received[admin.id] if u["id"] == agent.id]
    assert about_agent[-1]["name"] == "Ana María"
    assert {u["id"] for u in received[agent.id]} == {agent.id}
    assert received[agent.id][-1] == about_agent[-1]
    assert received[agent.id][-1] == {
        "id": agent.id, "email": agent.email, "name": "Ana María", "role": "agent",
        "capacity": None, "queue_ids": received[agent.id][-1]["queue_ids"], "active": True,
    }  # fmt: skip
    for other in (supervisor, colleague):  # at most their own creation, never the agent's
        assert {u["id"] for u in received[other.id]} <= {other.id}


def test_creating_a_user_emits_user_updated_for_admins_and_them(db: Database) -> None:
    with db.write() as session:
        user = do_create_user(
            session, email="lucia@test.cdmx", name="Lucía", role="agent", password=PASSWORD
        )
    with db.read() as session:
        events = list(session.scalars(select(Event).where(Event.type == "user.updated")))
    assert [(e.audience, e.data["user"]["id"], e.data["user"]["active"]) for e in events] == [
        ([user.id], user.id, True)
    ]


def test_a_stream_follows_its_users_role_and_ends_on_deactivation() -> None:
    def user_updated(user_id: int, **changes: Any) -> PublishedEvent:
        user = {"id": user_id, "role": "agent", "active": True, **changes}
        return PublishedEvent(1, "user.updated", {"user": user}, None, (user_id,))

    agent = Viewer(7, "agent")
    assert viewer_after(agent, user_updated(8, active=False)) == agent  # someone else
    promoted = viewer_after(agent, user_updated(7, role="supervisor"))
    assert promoted == Viewer(7, "supervisor")
    assert viewer_after(agent, user_updated(7, active=False)) is None
    # user.updated: admins and the user; supervisors, who see everything else, do not.
    assert visible_to(Viewer(1, "admin"), user_updated(7))
    assert visible_to(agent, user_updated(7))
    assert not visible_to(Viewer(2, "supervisor"), user_updated(7))
    assert not visible_to(Viewer(8, "agent"), user_updated(7))


async def test_signing_out_sets_the_user_offline(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"email": agent.email, "password": PASSWORD, "csrf_token": token.group(1)}
    assert (await client.post("/login", data=form)).status_code == 303
    console = await client.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', console.text)
    assert token is not None and availability(db, agent.id) == "available"

    out = await client.post("/logout", data={"csrf_token": token.group(1)})
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert availability(db, agent.id) == "offline"
    assert (await client.get("/")).headers["location"] == "/login"
    with db.read() as session:
        last = session.scalars(
            select(Event).where(Event.type == "agent.updated").order_by(Event.id.desc())
        ).first()
    assert last is not None and last.data["agent"]["availability"] == "offline"
