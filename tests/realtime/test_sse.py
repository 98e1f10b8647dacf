"""The console event stream over real HTTP: live delivery, resume, visibility."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from cdmx.app import create_app
from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.settings import Settings
from tests.conftest import GraphRecorder, bearer, signed
from tests.factories import text_message
from tests.servers import serving


@pytest.fixture
async def live(settings: Settings, db: Database, graph: GraphRecorder) -> AsyncIterator[str]:
    async with serving(create_app(settings, graph_transport=graph.transport)) as base_url:
        yield base_url


async def read_events(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    until: Callable[[list[dict[str, Any]]], bool],
) -> list[dict[str, Any]]:
    """Open the stream and collect parsed events until ``until`` is satisfied."""
    events: list[dict[str, Any]] = []
    async with client.stream("GET", "/api/v1/events", headers=headers, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        current: dict[str, Any] = {}
        async for line in response.aiter_lines():
            if line.startswith("id: "):
                current["id"] = int(line[4:])
            elif line.startswith("event: "):
                current["event"] = line[7:]
            elif line.startswith("data: "):
                current["data"] = json.loads(line[6:])
            elif line == "" and current:
                events.append(current)
                current = {}
                if until(events):
                    return events
    return events


async def test_a_customer_message_reaches_the_agents_stream(
    live: str, make_user: Callable[..., User]
) -> None:
    import asyncio

    agent = make_user()
    async with httpx.AsyncClient(base_url=live) as client:
        auth = await bearer(client, agent)

        async def send_later() -> None:
            await asyncio.sleep(0.3)
            body, headers = signed(text_message("¿Hay tallas grandes?"))
            assert (
                await client.post("/webhooks/whatsapp", content=body, headers=headers)
            ).status_code == 200

        sender = asyncio.create_task(send_later())
        events = await asyncio.wait_for(
            read_events(
                client, auth, lambda evs: any(e.get("event") == "message.created" for e in evs)
            ),
            timeout=10,
        )
        await sender
    created = next(e for e in events if e["event"] == "message.created")
    assert created["data"]["message"]["text"] == "¿Hay tallas grandes?"
    assert created["data"]["conversation"]["assignee_id"] == agent.id
    assert events[0]["event"] == "hello"  # a fresh stream starts by telling its position


async def test_a_tab_that_was_asleep_catches_up_from_last_event_id(
    live: str, make_user: Callable[..., User]
) -> None:
    import asyncio

    agent = make_user()
    async with httpx.AsyncClient(base_url=live) as client:
        auth = await bearer(client, agent)
        hello = await read_events(client, auth, lambda evs: len(evs) >= 1)
        position = hello[0]["id"]
        # While the tab sleeps, two customers write.
        for text, wa_id in (("uno", "5215500000001"), ("dos", "5215500000002")):
            body, headers = signed(text_message(text, wa_id=wa_id))
            await client.post("/webhooks/whatsapp", content=body, headers=headers)
        await asyncio.sleep(1.0)
        resumed = await asyncio.wait_for(
            read_events(
                client, {**auth, "Last-Event-ID": str(position)},
                lambda evs: sum(e.get("event") == "message.created" for e in evs) >= 2,
            ),
            timeout=10,
        )  # fmt: skip
    texts = [e["data"]["message"]["text"] for e in resumed if e.get("event") == "message.created"]
    assert texts == ["uno", "dos"]
    assert all(e["id"] > position for e in resumed if "id" in e and e.get("event") != "hello")


async def test_a_position_too_far_back_gets_a_reset(
    live: str, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    async with httpx.AsyncClient(base_url=live) as client:
        auth = await bearer(client, agent)
        events = await read_events(
            client, {**auth, "Last-Event-ID": "999999"}, lambda evs: len(evs) >= 1
        )
    assert events[0]["event"] == "reset"


async def test_an_agent_does_not_receive_another_agents_conversation(
    live: str, make_user: Callable[..., User]
) -> None:
    import asyncio

    ana = make_user(name="Ana")
    beto = make_user(name="Beto", availability="offline")
    async with httpx.AsyncClient(base_url=live) as client:
        beto_auth = await bearer(client, beto)
        ana_auth = await bearer(client, ana)
        hello = await read_events(client, beto_auth, lambda evs: len(evs) >= 1)
        body, headers = signed(text_message("solo para Ana"))
        await client.post("/webhooks/whatsapp", content=body, headers=headers)
        # Ana sees it…
        await asyncio.wait_for(
            read_events(
                client, {**ana_auth, "Last-Event-ID": str(hello[0]["id"])},
                lambda evs: any(e.get("event") == "message.created" for e in evs),
            ),
            timeout=10,
        )  # fmt: skip
        # …Beto, resuming from the same point, gets nothing of it: it never waited in the queue.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(
                read_events(
                    client, {**beto_auth, "Last-Event-ID": str(hello[0]["id"])},
                    lambda evs: any(e.get("event") == "message.created" for e in evs),
                ),
                timeout=1.5,
            )  # fmt: skip
