"""The customer phone page: its HTML hooks, its JSON API and its live event stream."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cdmx.simulator import SimulatorConfig, create_simulator_app
from cdmx.simulator.phone import event_stream
from cdmx.simulator.state import Simulator

CUSTOMER = "5215512345678"
AUTH = {"Authorization": "Bearer sim-token"}
MESSAGES = "/v25.0/100000000000001/messages"


class World:
    def __init__(self, config: SimulatorConfig) -> None:
        self.webhooks: list[dict[str, Any]] = []

        def receive(request: httpx.Request) -> httpx.Response:
            self.webhooks.append(json.loads(request.content))
            return httpx.Response(200)

        self.app = create_simulator_app(config, webhook_transport=httpx.MockTransport(receive))
        self.sim: Simulator = self.app.state.simulator
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(self.app), base_url="http://sim"
        )

    def statuses(self) -> list[tuple[str, str]]:
        found = []
        for payload in self.webhooks:
            value = payload["entry"][0]["changes"][0]["value"]
            found += [(s["id"], s["status"]) for s in value.get("statuses", [])]
        return found

    async def reply(self, text: str = "¡Hola! ¿En qué te ayudo?") -> str:
        payload = {"messaging_product": "whatsapp", "to": CUSTOMER, "text": {"body": text}}
        response = await self.http.post(MESSAGES, json=payload, headers=AUTH)
        return str(response.json()["messages"][0]["id"])


async def _world(**changes: Any) -> AsyncIterator[World]:
    config = SimulatorConfig(app_secret="s", webhook_url="http://app/webhooks/whatsapp", **changes)
    world = World(config)
    async with world.http, world.app.router.lifespan_context(world.app):
        yield world


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async for world in _world():
        yield world


@pytest.fixture
async def offline_world() -> AsyncIterator[World]:
    async for world in _world(auto_deliver=False):
        yield world


async def test_root_redirects_to_the_phone(world: World) -> None:
    response = await world.http.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/phone"


async def test_phone_page_has_the_hooks_and_makes_no_external_requests(world: World) -> None:
    response = await world.http.get("/phone")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="es-MX">' in html
    for hook in ('id="wa-id"', 'id="name"', 'id="composer"', 'id="send"', 'id="lang"'):
        assert hook in html
    assert 'value="5215512345678"' in html
    assert 'value="Cliente Demo"' in html
    assert '<script type="module" src="/phone/static/phone.js">' in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)


async def test_phone_script_and_styles_are_served_and_render_text_safely(world: World) -> None:
    script = await world.http.get("/phone/static/phone.js")
    styles = await world.http.get("/phone/static/phone.css")
    assert script.status_code == styles.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "innerHTML" not in script.text
    assert "insertAdjacentHTML" not in script.text
    assert "textContent = message.text" in script.text
    assert "http://" not in script.text and "https://" not in script.text
    assert ".bubble.in" in styles.text and ".bubble.out" in styles.text


async def test_send_api_delivers_the_webhook_with_the_canonical_wa_id(world: World) -> None:
    body = {"wa_id": "+52 55 1234 5678", "name": "Ana", "text": "¿Tienen envíos?"}
    response = await world.http.post("/phone/api/send", json=body)
    assert response.status_code == 200
    result = response.json()
    assert result["wa_id"] == CUSTOMER
    await world.sim.wait_idle()
    [payload] = world.webhooks
    [message] = payload["entry"][0]["changes"][0]["value"]["messages"]
    assert (message["id"], message["from"]) == (result["wamid"], CUSTOMER)
    assert message["text"] == {"body": "¿Tienen envíos?"}
    listed = (await world.http.get("/phone/api/messages", params={"wa_id": CUSTOMER})).json()
    assert [(m["direction"], m["text"]) for m in listed["messages"]] == [("in", "¿Tienen envíos?")]


@pytest.mark.parametrize(
    "body",
    [
        {"wa_id": "12", "text": "hola"},
        {"wa_id": CUSTOMER, "text": "   "},
        {"wa_id": CUSTOMER},
        {"wa_id": CUSTOMER, "text": "hola", "name": 5},
    ],
)
async def test_send_api_refuses_bad_input(world: World, body: dict[str, Any]) -> None:
    response = await world.http.post("/phone/api/send", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"].startswith("invalid_")
    assert world.sim.customers == {}


async def test_business_replies_show_on_the_phone_only_once_delivered(
    offline_world: World,
) -> None:
    world = offline_world
    await world.sim.customer_sends_text(CUSTOMER, "Ana", "hola")
    reply = await world.reply()
    await world.sim.wait_idle()
    params = {"wa_id": CUSTOMER}
    shown = (await world.http.get("/phone/api/messages", params=params)).json()["messages"]
    assert [m["direction"] for m in shown] == ["in"]
    await world.sim.deliver_pending(CUSTOMER)
    shown = (await world.http.get("/phone/api/messages", params=params)).json()["messages"]
    assert [(m["direction"], m["wamid"], m["status"]) for m in shown][-1] == (
        "out",
        reply,
        "delivered",
    )


async def test_read_api_marks_the_replies_on_screen_read(offline_world: World) -> None:
    world = offline_world
    await world.sim.customer_sends_text(CUSTOMER, "Ana", "hola")
    delivered = await world.reply("uno")
    await world.sim.deliver_pending(CUSTOMER)
    not_on_phone = await world.reply("dos")
    response = await world.http.post("/phone/api/read", json={"wa_id": CUSTOMER})
    assert response.json() == {"ok": True}
    await world.sim.wait_idle()
    assert (delivered, "read") in world.statuses()
    assert all(wamid != not_on_phone for wamid, _ in world.statuses())


async def test_event_stream_sends_a_snapshot_then_what_reaches_the_phone(world: World) -> None:
    mine = await world.sim.customer_sends_text(CUSTOMER, "Ana", "hola")
    stream = event_stream(world.sim, CUSTOMER, heartbeat=0.05)

    async def frame() -> tuple[str, Any]:
        while True:
            text = await asyncio.wait_for(anext(stream), 2)
            if not text.startswith(":"):  # keep-alive comments
                event, data = text.strip().split("\n")
                return event.removeprefix("event: "), json.loads(data.removeprefix("data: "))

    try:
        event, data = await frame()
        assert event == "snapshot"
        assert [m["wamid"] for m in data["messages"]] == [mine]
        reply = await world.reply()
        event, data = await frame()
        # "accepted" and "sent" never reach the phone; the first frame is the delivery.
        assert (event, data["wamid"], data["status"]) == ("message", reply, "delivered")
        body = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": mine,
            "typing_indicator": {"type": "text"},
        }
        await world.http.post(MESSAGES, json=body, headers=AUTH)
        event, data = await frame()
        assert (event, data["wamid"], data["direction"], data["status"]) == (
            "message",
            mine,
            "in",
            "read",
        )
        assert await frame() == ("typing", {"seconds": 25})
    finally:
        await stream.aclose()
    assert world.sim.watchers(CUSTOMER) == 0


async def test_events_endpoint_streams_sse_until_the_simulator_stops(world: World) -> None:
    request = asyncio.create_task(world.http.get("/phone/api/events", params={"wa_id": CUSTOMER}))
    deadline = time.monotonic() + 2
    while world.sim.watchers(CUSTOMER) == 0:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    wamid = await world.sim.customer_sends_text(CUSTOMER, "Ana", "hola")
    await world.sim.stop()
    response = await asyncio.wait_for(request, 2)
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.startswith('event: snapshot\ndata: {"messages": []}\n\n')
    assert f'"wamid": "{wamid}"' in response.text


async def test_events_endpoint_refuses_a_bad_number(world: World) -> None:
    response = await world.http.get("/phone/api/events", params={"wa_id": "abc"})
    assert response.status_code == 400
