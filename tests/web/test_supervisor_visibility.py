"""Supervisors see everything of their queues and nothing of the others; admins see all.

The same rule for the list, one conversation, search, wamid look-ups, contacts, media links
and the event stream (``cdmx.queries.conversations.can_see``, ``visible_condition``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from cdmx.actions.assignment import do_transfer_to_queue
from cdmx.actions.queues import do_create_queue
from cdmx.actions.users import do_update_user
from cdmx.app import create_app
from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, Event, Message, User
from cdmx.queries.conversations import can_see, visible_condition
from cdmx.queries.queues import default_queue_id
from cdmx.settings import Settings
from tests.actions.test_outbox import open_conversation
from tests.conftest import GraphRecorder, bearer
from tests.factories import text_message
from tests.media_helpers import jpeg
from tests.realtime.test_sse import read_events
from tests.servers import serving
from tests.web.api.test_conversations import deliver
from tests.web.test_media import post_file


@dataclass
class Team:
    admin: User
    supervisor: User  # of the default queue ("A") only
    ana: User  # agent of A
    carla: User  # agent of B only
    queue_a: int
    queue_b: int
    in_a: int  # assigned to Ana, in A
    in_b: int  # assigned to Carla, in B


def two_queues(db: Database, make_user: Callable[..., User]) -> Team:
    """Queue A (the default) with a supervisor and Ana; queue B with Carla; one
    conversation each, assigned to its agent."""
    admin = make_user(role="admin", availability="away", name="Admin")
    supervisor = make_user(role="supervisor", availability="away", name="Sofía")
    ana = make_user(name="Ana")
    carla = make_user(name="Carla")
    with db.write() as session:
        queue_a = default_queue_id(session)
        assert queue_a is not None
        queue_b = do_create_queue(session, name="Soporte").id
        do_update_user(session, carla.id, queue_ids=[queue_b])
        do_update_user(session, admin.id, queue_ids=[])
    in_a = open_conversation(db, wa_id="5215500000001")
    in_b = open_conversation(db, wa_id="5215500000002")
    with db.write() as session:  # sent to B, where Carla takes it
        owner = session.get(User, admin.id)
        assert owner is not None
        do_transfer_to_queue(session, owner, in_b, queue_b)
    with db.read() as session:
        a, b = session.get(Conversation, in_a), session.get(Conversation, in_b)
        assert a is not None and (a.queue_id, a.assignee_id) == (queue_a, ana.id)
        assert b is not None and (b.queue_id, b.assignee_id) == (queue_b, carla.id)
    return Team(admin, supervisor, ana, carla, queue_a, queue_b, in_a, in_b)


async def listed(client: httpx.AsyncClient, auth: dict[str, str], **params: Any) -> set[int]:
    response = await client.get("/api/v1/conversations", params=params, headers=auth)
    assert response.status_code == 200, response.text
    return {c["id"] for c in response.json()["conversations"]}


def test_can_see_and_the_query_condition_agree_for_every_role(
    db: Database, make_user: Callable[..., User]
) -> None:
    team = two_queues(db, make_user)
    also_ana = open_conversation(db, wa_id="5215500000003")
    with db.read() as session:
        everyone = [team.admin, team.supervisor, team.ana, team.carla]
        for user in everyone:
            visible = visible_condition(user)
            query = select(Conversation.id)
            if visible is not None:
                query = query.where(visible)
            in_sql = set(session.scalars(query))
            in_python = {
                c.id for c in session.scalars(select(Conversation)) if can_see(session, user, c)
            }
            assert in_sql == in_python, user.name
    with db.read() as session:
        sees = {
            u.name: {c.id for c in session.scalars(select(Conversation)) if can_see(session, u, c)}
            for u in everyone
        }
    assert sees["Sofía"] == {team.in_a, also_ana}  # everything of A, Ana's included
    assert sees["Admin"] == {team.in_a, team.in_b, also_ana}
    assert sees["Carla"] == {team.in_b}


async def test_a_supervisor_lists_opens_and_searches_only_their_queues(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    team = two_queues(db, make_user)
    await deliver(client, text_message("Quiero mesas plegables", wa_id="5215500000001"))
    await deliver(client, text_message("Quiero sillas de madera", wa_id="5215500000002"))
    admin, supervisor = await bearer(client, team.admin), await bearer(client, team.supervisor)

    async def found(auth: dict[str, str], q: str) -> list[int]:
        for _ in range(100):  # the inbox worker records the messages
            response = await client.get("/api/v1/messages", params={"q": q}, headers=admin)
            if response.json()["messages"]:
                break
            await asyncio.sleep(0.05)
        response = await client.get("/api/v1/messages", params={"q": q}, headers=auth)
        assert response.status_code == 200, response.text
        return [m["conversation_id"] for m in response.json()["messages"]]

    assert await listed(client, supervisor, view="all") == {team.in_a}
    assert await listed(client, supervisor, view="all", queue_id=team.queue_b) == set()
    assert await listed(client, supervisor, view="all", assignee=team.ana.id) == {team.in_a}
    assert await listed(client, supervisor, view="all", assignee=team.carla.id) == set()
    assert await listed(client, admin, view="all") == {team.in_a, team.in_b}
    assert await listed(client, admin, view="all", queue_id=team.queue_b) == {team.in_b}
    for path in ("", "/messages"):
        b = await client.get(f"/api/v1/conversations/{team.in_b}{path}", headers=supervisor)
        assert b.status_code == 403, b.text
        a = await client.get(f"/api/v1/conversations/{team.in_a}{path}", headers=supervisor)
        assert a.status_code == 200, a.text
        assert (
            await client.get(f"/api/v1/conversations/{team.in_b}{path}", headers=admin)
        ).status_code == 200

    assert await found(supervisor, "sillas") == []
    assert await found(supervisor, "mesas") == [team.in_a]
    assert await found(admin, "sillas") == [team.in_b]

    with db.read() as session:
        wamid_b = session.scalar(
            select(Message.wamid).where(
                Message.conversation_id == team.in_b, Message.direction == "inbound"
            )
        )
    by_wamid = await client.get("/api/v1/messages", params={"wamid": wamid_b}, headers=supervisor)
    assert by_wamid.json()["messages"] == []
    by_wamid = await client.get("/api/v1/messages", params={"wamid": wamid_b}, headers=admin)
    assert len(by_wamid.json()["messages"]) == 1

    contacts = await client.get("/api/v1/contacts", headers=supervisor)
    assert [c["wa_id"] for c in contacts.json()["contacts"]] == ["5215500000001"]
    contacts = await client.get("/api/v1/contacts", headers=admin)
    assert len(contacts.json()["contacts"]) == 2


async def test_a_supervisor_gets_the_files_of_their_queues_only(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    team = two_queues(db, make_user)
    admin, supervisor = await bearer(client, team.admin), await bearer(client, team.supervisor)
    links = {}
    for conversation_id in (team.in_a, team.in_b):
        sent = await post_file(client, admin, conversation_id, "foto.jpg", jpeg(64, 48))
        assert sent.status_code == 202, sent.text
        links[conversation_id] = sent.json()["media"]["url"]
    assert (await client.get(links[team.in_a], headers=supervisor)).status_code == 200
    assert (await client.get(links[team.in_b], headers=supervisor)).status_code == 403
    assert (await client.get(links[team.in_b], headers=admin)).status_code == 200
    refused = await post_file(client, supervisor, team.in_b, "foto.jpg", jpeg(64, 48))
    assert refused.status_code == 403, refused.text


@pytest.fixture
async def live(settings: Settings, db: Database, graph: GraphRecorder) -> AsyncIterator[str]:
    async with serving(create_app(settings, graph_transport=graph.transport)) as base_url:
        yield base_url


async def test_a_supervisor_s_stream_carries_their_queues_events_only(
    live: str, db: Database, make_user: Callable[..., User]
) -> None:
    team = two_queues(db, make_user)
    with db.read() as session:
        position = session.scalar(select(func.max(Event.id))) or 0
    async with httpx.AsyncClient(base_url=live) as client:
        # B's customer writes first, then A's: the stream has judged B's by A's arrival.
        await deliver(client, text_message("sillas", wa_id="5215500000002"))
        await deliver(client, text_message("mesas", wa_id="5215500000001"))

        async def stream_of(user: User) -> list[dict[str, Any]]:
            auth = {**await bearer(client, user), "Last-Event-ID": str(position)}

            def got_a(events: list[dict[str, Any]]) -> bool:
                return any(
                    e.get("event") == "message.created"
                    and e["data"]["message"]["conversation_id"] == team.in_a
                    for e in events
                )

            return await asyncio.wait_for(read_events(client, auth, got_a), timeout=10)

        supervisor, admin = await stream_of(team.supervisor), await stream_of(team.admin)

    def conversations(events: list[dict[str, Any]]) -> set[int]:
        return {
            (e["data"].get("conversation") or e["data"]["message"])["id"]
            if "conversation" in e["data"]
            else e["data"]["message"]["conversation_id"]
            for e in events
            if e.get("event", "").startswith(("message.", "conversation."))
        }

    assert conversations(supervisor) == {team.in_a}  # Ana's: not the supervisor's own
    assert conversations(admin) == {team.in_a, team.in_b}


async def test_a_supervisor_manages_only_their_queues_conversations(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    team = two_queues(db, make_user)
    auth = await bearer(client, team.supervisor)
    path = f"/api/v1/conversations/{team.in_b}"
    for action, body in (
        ("transfer", {"agent_id": team.ana.id}),
        ("transfer", {"queue_id": team.queue_a}),
        ("close", None),
        ("snooze", {"until": "2099-01-01T09:00:00-06:00"}),
    ):
        refused = await client.post(f"{path}/{action}", json=body, headers=auth)
        assert refused.status_code == 403, (action, refused.text)
    with db.read() as session:
        untouched = session.get(Conversation, team.in_b)
        assert untouched is not None
        assert (untouched.status, untouched.assignee_id) == ("assigned", team.carla.id)
    # In their own queue they may: Ana's conversation goes to Beto.
    beto = make_user(name="Beto")
    moved = await client.post(
        f"/api/v1/conversations/{team.in_a}/transfer", json={"agent_id": beto.id}, headers=auth
    )
    assert moved.status_code == 200 and moved.json()["assignee_id"] == beto.id
