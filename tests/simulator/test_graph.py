"""The simulator's Graph API answers like Meta's: shapes, errors, faults, templates."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cdmx.simulator import SimulatorConfig, create_simulator_app
from cdmx.simulator.state import Simulator

CONFIG = SimulatorConfig(app_secret="s3cret", webhook_url="http://app/webhooks/whatsapp", seed=7)
AUTH = {"Authorization": "Bearer sim-token"}
MESSAGES = "/v25.0/100000000000001/messages"


async def _ok(request: Request) -> Response:
    return Response(status_code=200)


class World:
    """A running simulator, a Graph client for it, and its state."""

    def __init__(self, config: SimulatorConfig) -> None:
        receiver = Starlette(routes=[Route("/webhooks/whatsapp", _ok, methods=["POST"])])
        self.app = create_simulator_app(config, webhook_transport=httpx.ASGITransport(receiver))
        self.sim: Simulator = self.app.state.simulator
        self.graph = httpx.AsyncClient(
            transport=httpx.ASGITransport(self.app), base_url="http://graph"
        )

    async def send_text(self, to: str = "5215512345678", body: str = "Hola") -> httpx.Response:
        payload = {
            "messaging_product": "whatsapp",
            "to": to,
            "type": "text",
            "text": {"body": body},
        }
        return await self.graph.post(MESSAGES, json=payload, headers=AUTH)


MakeWorld = Callable[..., Awaitable[World]]


@pytest.fixture
async def world_factory() -> AsyncIterator[MakeWorld]:
    worlds: list[World] = []

    async def make(**changes: object) -> World:
        world = World(replace(CONFIG, **changes))
        await world.sim.start()
        worlds.append(world)
        return world

    yield make
    for world in worlds:
        await world.graph.aclose()
        await world.sim.stop()


@pytest.fixture
async def world(world_factory: MakeWorld) -> World:
    return await world_factory()


async def test_send_without_token_gets_error_190(world: World) -> None:
    payload = {"messaging_product": "whatsapp", "to": "5215512345678", "text": {"body": "x"}}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "sim-token"}):
        response = await world.graph.post(MESSAGES, json=payload, headers=headers)
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["code"] == 190
        assert error["type"] == "OAuthException"
        assert error["message"] == "Invalid OAuth access token - Cannot parse access token"
        assert error["fbtrace_id"]


async def test_text_send_returns_wamid_and_canonical_mexican_wa_id(world: World) -> None:
    world.sim.set_last_inbound("5215512345678", time.time())
    response = await world.send_text(to="+52 55-1234-5678")
    assert response.status_code == 200
    body = response.json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": "+52 55-1234-5678", "wa_id": "5215512345678"}]
    assert body["messages"][0]["id"].startswith("wamid.")
    chat = world.sim.messages_for("5215512345678")
    assert [(m["direction"], m["text"], m["wamid"]) for m in chat] == [
        ("out", "Hola", body["messages"][0]["id"])
    ]


async def test_sent_requests_are_recorded_with_arrival_time(world: World) -> None:
    before = time.time()
    await world.send_text()
    [record] = world.sim.sent_requests
    assert record.body["text"] == {"body": "Hola"}
    assert record.received_at >= before
    assert record.version == "v25.0"
    assert record.status_code == 200
    assert world.sim.versions_seen == {"v25.0"}


async def test_any_major_version_is_accepted_and_recorded(world: World) -> None:
    payload = {"messaging_product": "whatsapp", "to": "5215512345678", "text": {"body": "x"}}
    ok = await world.graph.post("/v23.0/100000000000001/messages", json=payload, headers=AUTH)
    bad = await world.graph.post("/v23/100000000000001/messages", json=payload, headers=AUTH)
    assert ok.status_code == 200
    assert bad.status_code == 400
    assert "v23.0" in world.sim.versions_seen


async def test_unknown_phone_number_id_gets_code_100(world: World) -> None:
    payload = {"messaging_product": "whatsapp", "to": "5215512345678", "text": {"body": "x"}}
    response = await world.graph.post("/v25.0/999/messages", json=payload, headers=AUTH)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100
    assert error["type"] == "GraphMethodException"
    assert "Object with ID '999' does not exist" in error["message"]


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"to": "5215512345678", "text": {"body": "x"}}, "messaging_product is required"),
        ({"messaging_product": "sms", "to": "1", "text": {"body": "x"}}, "messaging_product"),
        ({"messaging_product": "whatsapp", "text": {"body": "x"}}, "parameter to is required"),
        ({"messaging_product": "whatsapp", "to": "5215512345678", "type": "fax"}, "type must be"),
        ({"messaging_product": "whatsapp", "to": "5215512345678", "text": {}}, "text['body']"),
        (
            {"messaging_product": "whatsapp", "to": "5215512345678", "text": {"body": "x" * 4097}},
            "at most 4096 characters",
        ),
    ],
)
async def test_invalid_send_gets_code_100(world: World, payload: dict, fragment: str) -> None:
    response = await world.graph.post(MESSAGES, json=payload, headers=AUTH)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100
    assert fragment in error["message"]
    assert world.sim.messages_for("5215512345678") == []


async def test_text_of_exactly_4096_chars_is_accepted(world: World) -> None:
    response = await world.send_text(body="x" * 4096)
    assert response.status_code == 200


async def test_mark_as_read_answers_success_and_reads_the_customer_message(world: World) -> None:
    first = await world.sim.customer_sends_text("5215512345678", "Ana", "uno")
    second = await world.sim.customer_sends_text("5215512345678", "Ana", "dos")
    body = {"messaging_product": "whatsapp", "status": "read", "message_id": second}
    response = await world.graph.post(MESSAGES, json=body, headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"success": True}
    statuses = {m["wamid"]: m["status"] for m in world.sim.messages_for("5215512345678")}
    assert statuses == {first: "read", second: "read"}


async def test_typing_indicator_variant_answers_success(world: World) -> None:
    wamid = await world.sim.customer_sends_text("5215512345678", "Ana", "hola")
    body = {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": wamid,
        "typing_indicator": {"type": "text"},
    }
    response = await world.graph.post(MESSAGES, json=body, headers=AUTH)
    assert response.json() == {"success": True}


async def test_mark_as_read_of_garbage_id_gets_code_100(world: World) -> None:
    body = {"messaging_product": "whatsapp", "status": "read", "message_id": "nope"}
    response = await world.graph.post(MESSAGES, json=body, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


async def test_full_error_rate_gives_meta_transient_server_errors(world_factory: MakeWorld) -> None:
    world = await world_factory(error_rate=1.0)
    for _ in range(5):
        response = await world.send_text()
        assert response.status_code == 500
        error = response.json()["error"]
        assert error["code"] in (1, 131000)
        assert error["is_transient"] is True
        assert error["type"] == "OAuthException"
        assert error["fbtrace_id"]
    assert world.sim.messages_for("5215512345678") == []


async def test_throttle_answers_130429_above_the_rate(world_factory: MakeWorld) -> None:
    world = await world_factory(throttle_per_second=2)
    responses = [await world.send_text() for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    error = responses[2].json()["error"]
    assert error["code"] == 130429
    assert error["error_data"]["details"] == "Cloud API message throughput has been reached."


async def test_throttled_response_has_meta_error_shape(world_factory: MakeWorld) -> None:
    world = await world_factory(throttle_per_second=0.001)
    assert (await world.send_text()).status_code == 200
    response = await world.send_text()
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == 130429
    assert error["message"] == "(#130429) Rate limit hit"


async def test_latency_delays_each_graph_call(world_factory: MakeWorld) -> None:
    world = await world_factory(latency_ms=120)
    started = time.perf_counter()
    await world.send_text()
    assert time.perf_counter() - started >= 0.12


async def test_faults_can_be_changed_at_runtime(world: World) -> None:
    assert (await world.graph.get("/_sim/faults")).json() == {
        "error_rate": 0.0,
        "latency_ms": 0,
        "throttle_per_second": 0.0,
    }
    response = await world.graph.post("/_sim/faults", json={"error_rate": 1})
    assert response.json()["error_rate"] == 1.0
    assert (await world.send_text()).status_code == 500
    await world.graph.post("/_sim/faults", json={"error_rate": 0})
    assert (await world.send_text()).status_code == 200


async def test_bad_fault_settings_are_refused(world: World) -> None:
    for body in ({"error_rate": 2}, {"latency_ms": -1}, {"nonsense": 1}, [1]):
        response = await world.graph.post("/_sim/faults", json=body)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_faults"


async def test_same_seed_gives_the_same_fault_pattern(world_factory: MakeWorld) -> None:
    patterns = []
    for _ in range(2):
        world = await world_factory(error_rate=0.5, seed=42)
        patterns.append([(await world.send_text()).status_code for _ in range(12)])
    assert patterns[0] == patterns[1]
    assert set(patterns[0]) == {200, 500}


async def test_message_templates_lists_the_samples(world: World) -> None:
    response = await world.graph.get("/v25.0/200000000000001/message_templates", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    names = {(t["name"], t["language"], t["status"]) for t in body["data"]}
    assert {("bienvenida", "es_MX", "APPROVED"), ("hello_world", "en_US", "APPROVED")} <= names
    assert "paging" in body
    unauthorised = await world.graph.get("/v25.0/200000000000001/message_templates")
    assert unauthorised.json()["error"]["code"] == 190


async def test_template_send_is_rendered_and_unknown_template_gets_132001(world: World) -> None:
    template = {
        "name": "bienvenida",
        "language": {"code": "es_MX"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}],
    }
    payload = {
        "messaging_product": "whatsapp",
        "to": "+5215512345678",
        "type": "template",
        "template": template,
    }
    response = await world.graph.post(MESSAGES, json=payload, headers=AUTH)
    assert response.status_code == 200
    [message] = world.sim.messages_for("5215512345678")
    assert message["text"].startswith("¡Hola Ana!")
    template["language"] = {"code": "en_US"}
    response = await world.graph.post(MESSAGES, json=payload, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 132001


_KEYS = st.sampled_from(
    ["messaging_product", "to", "type", "text", "body", "status", "message_id", "template",
     "name", "language", "code", "components", "parameters", "image", "id", "link", "caption",
     "contacts", "interactive", "action", "buttons", "reply", "title", "location", "latitude",
     "longitude", "reaction", "emoji", "context", "typing_indicator", "recipient_type"]
)  # fmt: skip
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["whatsapp", "read", "text", "template", "image", "5215512345678"])
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(body=st.dictionaries(_KEYS, _JSON, max_size=6))
def test_no_request_body_gets_a_500(body: dict[str, object]) -> None:
    async def post() -> int:
        app = create_simulator_app(
            CONFIG, webhook_transport=httpx.MockTransport(lambda r: httpx.Response(200))
        )
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://g") as graph,
        ):
            return (await graph.post(MESSAGES, json=body, headers=AUTH)).status_code

    assert asyncio.run(post()) in (200, 400)
