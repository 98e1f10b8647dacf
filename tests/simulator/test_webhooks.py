"""Webhooks leave the simulator Meta-shaped, signed over their exact bytes, in order."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cdmx.simulator import SimulatorConfig, create_simulator_app
from cdmx.simulator.state import Simulator
from cdmx.simulator.webhooks import encode, sign

SECRET = "s3cret-app"
CONFIG = SimulatorConfig(app_secret=SECRET, webhook_url="http://app/webhooks/whatsapp", seed=3)
AUTH = {"Authorization": "Bearer sim-token"}
MESSAGES = "/v25.0/100000000000001/messages"
CUSTOMER = "5215512345678"


@dataclass
class Received:
    body: bytes
    signature: str
    at: float

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def value(self) -> dict[str, Any]:
        return self.payload["entry"][0]["changes"][0]["value"]

    @property
    def status(self) -> dict[str, Any]:
        [status] = self.value["statuses"]
        return status


@dataclass
class Receiver:
    """A stand-in for the app's webhook endpoint; can be told to fail first."""

    failures: int = 0
    received: list[Received] = field(default_factory=list)
    attempts: int = 0

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            self.attempts += 1
            if self.failures > 0:
                self.failures -= 1
                return Response(status_code=503)
            body = await request.body()
            signature = request.headers["x-hub-signature-256"]
            self.received.append(Received(body, signature, time.monotonic()))
            return Response(status_code=200)

        return Starlette(routes=[Route("/webhooks/whatsapp", hook, methods=["POST"])])

    def statuses(self) -> list[tuple[str, str]]:
        return [
            (r.status["id"], r.status["status"]) for r in self.received if "statuses" in r.value
        ]


class World:
    def __init__(self, config: SimulatorConfig, receiver: Receiver) -> None:
        self.receiver = receiver
        transport = httpx.ASGITransport(receiver.app())
        self.app = create_simulator_app(config, webhook_transport=transport)
        self.sim: Simulator = self.app.state.simulator
        self.sim.webhooks.retry_delays = (0.01, 0.01, 0.01)
        self.graph = httpx.AsyncClient(
            transport=httpx.ASGITransport(self.app), base_url="http://graph"
        )

    async def send_text(self, body: str = "Hola, ¿en qué te ayudo?") -> str:
        payload = {"messaging_product": "whatsapp", "to": CUSTOMER, "text": {"body": body}}
        response = await self.graph.post(MESSAGES, json=payload, headers=AUTH)
        assert response.status_code == 200
        return str(response.json()["messages"][0]["id"])


MakeWorld = Callable[..., Awaitable[World]]


@pytest.fixture
async def world_factory() -> AsyncIterator[MakeWorld]:
    async with contextlib.AsyncExitStack() as stack:

        async def make(failures: int = 0, **changes: Any) -> World:
            world = World(replace(CONFIG, **changes), Receiver(failures=failures))
            stack.push_async_callback(world.graph.aclose)
            # Run the real lifespan, as uvicorn would.
            await stack.enter_async_context(world.app.router.lifespan_context(world.app))
            return world

        yield make


@pytest.fixture
async def world(world_factory: MakeWorld) -> World:
    return await world_factory()


def verifies(received: Received) -> bool:
    expected = "sha256=" + hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(received.signature.encode(), expected.encode())


async def test_text_send_delivers_signed_sent_then_delivered(world: World) -> None:
    await world.sim.customer_sends_text(CUSTOMER, "Ana", "hola")
    wamid = await world.send_text()
    await world.sim.wait_idle()
    inbound, sent, delivered = world.receiver.received
    assert all(verifies(r) for r in world.receiver.received)
    assert "messages" in inbound.value
    assert (sent.status["id"], sent.status["status"]) == (wamid, "sent")
    assert (delivered.status["id"], delivered.status["status"]) == (wamid, "delivered")
    assert sent.status["recipient_id"] == CUSTOMER
    assert sent.status["pricing"] == {
        "billable": False,
        "pricing_model": "PMP",
        "type": "free_customer_service",
        "category": "service",
    }
    assert "conversation" not in sent.status  # dropped from v24.0 on
    assert sent.payload["entry"][0]["id"] == CONFIG.waba_id
    assert world.sim.messages_for(CUSTOMER)[-1]["status"] == "delivered"


async def test_statuses_arrive_after_the_send_response(world: World) -> None:
    world.sim.set_last_inbound(CUSTOMER, time.time())
    await world.send_text()
    answered = time.monotonic()
    await world.sim.wait_idle()
    assert [r.at > answered for r in world.receiver.received] == [True, True]


async def test_send_outside_the_window_fails_with_131047(world: World) -> None:
    never = await world.send_text()
    world.sim.set_last_inbound(CUSTOMER, time.time() - 25 * 3600)
    stale = await world.send_text()
    await world.sim.wait_idle()
    assert world.receiver.statuses() == [(never, "failed"), (stale, "failed")]
    status = world.receiver.received[0].status
    [error] = status["errors"]
    assert error["code"] == 131047
    assert error["title"] == "Re-engagement message"
    assert "more than 24 hours" in error["error_data"]["details"]
    assert "pricing" not in status
    assert "contacts" not in world.receiver.received[0].value
    assert {m["status"] for m in world.sim.messages_for(CUSTOMER)} == {"failed"}


async def test_template_outside_the_window_is_delivered(world: World) -> None:
    template = {"name": "hello_world", "language": {"code": "en_US"}}
    payload = {"messaging_product": "whatsapp", "to": CUSTOMER, "type": "template"}
    response = await world.graph.post(
        MESSAGES, json={**payload, "template": template}, headers=AUTH
    )
    wamid = response.json()["messages"][0]["id"]
    await world.sim.wait_idle()
    assert world.receiver.statuses() == [(wamid, "sent"), (wamid, "delivered")]
    assert world.receiver.received[0].status["pricing"]["category"] == "utility"


async def test_customer_text_webhook_is_meta_shaped_signed_and_ascii_escaped(
    world: World,
) -> None:
    wamid = await world.sim.customer_sends_text(CUSTOMER, "José", "¿Cómo estás? 😊")
    [received] = world.receiver.received
    assert verifies(received)
    assert received.body.isascii()
    assert b"\\u00bfC\\u00f3mo est\\u00e1s? \\ud83d\\ude0a" in received.body
    assert received.body == encode(received.payload)
    payload = received.payload
    assert payload["object"] == "whatsapp_business_account"
    [entry] = payload["entry"]
    assert entry["id"] == CONFIG.waba_id
    [change] = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {
        "display_phone_number": CONFIG.display_phone_number,
        "phone_number_id": CONFIG.phone_number_id,
    }
    [contact] = value["contacts"]
    assert contact["profile"] == {"name": "José"}
    assert contact["wa_id"] == CUSTOMER
    assert contact["user_id"].startswith("MX.")
    [message] = value["messages"]
    assert message["from"] == CUSTOMER
    assert message["from_user_id"] == contact["user_id"]
    assert message["id"] == wamid
    assert isinstance(message["timestamp"], str) and message["timestamp"].isdigit()
    assert message["type"] == "text"
    assert message["text"] == {"body": "¿Cómo estás? 😊"}
    assert world.sim.messages_for(CUSTOMER) == [
        {
            "wamid": wamid,
            "direction": "in",
            "type": "text",
            "text": "¿Cómo estás? 😊",
            "timestamp": int(message["timestamp"]),
            "status": "received",
            "errors": None,
            "context_id": None,
            "content": {"text": {"body": "¿Cómo estás? 😊"}},
        }
    ]


async def test_customer_reads_delivers_read_statuses(world: World) -> None:
    await world.sim.customer_sends_text(CUSTOMER, "Ana", "hola")
    first = await world.send_text("uno")
    second = await world.send_text("dos")
    await world.sim.customer_reads(CUSTOMER)
    await world.sim.wait_idle()
    reads = [s for s in world.receiver.statuses() if s[1] == "read"]
    assert reads == [(first, "read"), (second, "read")]
    read = world.receiver.received[-1].status
    # Meta prices "sent" and one of delivered/read: here delivered already carried it.
    assert "pricing" not in read
    assert [m["status"] for m in world.sim.messages_for(CUSTOMER)] == ["received", "read", "read"]


async def test_statuses_for_one_customer_keep_their_order(world: World) -> None:
    world.sim.set_last_inbound(CUSTOMER, time.time())
    wamids = [await world.send_text(f"m{i}") for i in range(5)]
    await world.sim.customer_reads(CUSTOMER)
    rank = {"sent": 1, "delivered": 2, "read": 3}
    for wamid in wamids:
        seen = [status for mid, status in world.receiver.statuses() if mid == wamid]
        assert seen == sorted(seen, key=rank.__getitem__) == ["sent", "delivered", "read"]


async def test_without_auto_deliver_statuses_wait_for_the_phone(world_factory: MakeWorld) -> None:
    world = await world_factory(auto_deliver=False)
    world.sim.set_last_inbound(CUSTOMER, time.time())
    wamid = await world.send_text()
    await world.sim.wait_idle()
    assert world.receiver.statuses() == []
    await world.sim.deliver_pending(CUSTOMER)
    assert world.receiver.statuses() == [(wamid, "sent"), (wamid, "delivered")]


async def test_failed_delivery_is_retried_until_the_app_answers_200(
    world_factory: MakeWorld,
) -> None:
    world = await world_factory(failures=2)
    await world.sim.customer_sends_text(CUSTOMER, "Ana", "hola")
    assert world.receiver.attempts == 3
    assert len(world.receiver.received) == 1
    [delivery] = world.sim.webhooks.deliveries
    assert (delivery.ok, delivery.attempts) == (True, 3)


async def test_delivery_gives_up_after_the_retry_bound(world_factory: MakeWorld) -> None:
    world = await world_factory(failures=100)
    await world.sim.customer_sends_text(CUSTOMER, "Ana", "hola")
    [delivery] = world.sim.webhooks.deliveries
    assert (delivery.ok, delivery.attempts, delivery.status_code) == (False, 4, 503)


async def test_connection_errors_are_retried() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("refused")
        return httpx.Response(200)

    app = create_simulator_app(CONFIG, webhook_transport=httpx.MockTransport(handler))
    sim: Simulator = app.state.simulator
    sim.webhooks.retry_delays = (0.01,)
    async with app.router.lifespan_context(app):
        await sim.customer_sends_text(CUSTOMER, "Ana", "hola")
    assert len(calls) == 2
    assert calls[1].headers["x-hub-signature-256"] == sign(SECRET, calls[1].content)
    assert str(calls[1].url) == CONFIG.webhook_url


def test_signature_is_hmac_sha256_of_the_exact_bytes() -> None:
    body = encode({"text": "ñ"})
    assert body == b'{"text":"\\u00f1"}'
    expected = hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert sign("k", body) == f"sha256={expected}"
