"""The outbox under a failing network and a failing Meta: nothing lost, order kept, retries
bounded, and a backlog after an outage drains within the number's rate."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from cdmx.app import create_app
from cdmx.db.tables import User
from cdmx.settings import Settings
from cdmx.simulator import SimulatorConfig, create_simulator_app
from tests.conftest import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, bearer, eventually


class FaultyNetwork(httpx.AsyncBaseTransport):
    """Between the app and "Meta": drops connections, times out (before and after Meta
    accepted the request), or lets the call through — at a given rate, reproducibly."""

    def __init__(self, rate: float, seed: int = 7) -> None:
        self.rate = rate
        self.inner: httpx.AsyncBaseTransport | None = None
        self.random = random.Random(seed)
        self.down = False
        self.injected: defaultdict[str, int] = defaultdict(int)
        self.starts: list[float] = []  # when the app started each call (what the limit governs)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert self.inner is not None
        if request.url.path.endswith("/messages"):  # sends, not the template sync
            self.starts.append(time.monotonic())
        if self.down:
            self.injected["outage"] += 1
            raise httpx.ConnectError("connection refused", request=request)
        roll = self.random.random()
        if roll < self.rate / 3:
            self.injected["dropped"] += 1
            raise httpx.ConnectError("connection reset by peer", request=request)
        if roll < 2 * self.rate / 3:
            self.injected["timeout"] += 1
            raise httpx.ReadTimeout("timed out before the request was sent", request=request)
        response = await self.inner.handle_async_request(request)
        if roll < self.rate:
            # Meta accepted it, but the answer never came back: the one duplicate window.
            await response.aread()
            self.injected["lost_response"] += 1
            raise httpx.ReadTimeout("timed out waiting for the response", request=request)
        return response


class Rig:
    def __init__(self, app: Any, simulator: Any, network: FaultyNetwork) -> None:
        self.app = app
        self.simulator = simulator
        self.network = network


@pytest.fixture
async def rig(settings: Settings, db: Any, request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    marker = request.node.get_closest_marker("faults")
    options = marker.kwargs if marker else {}
    network = FaultyNetwork(options.get("network_rate", 0.0))
    app = create_app(
        settings.model_copy(update=options.get("settings", {})), graph_transport=network
    )
    simulator_app = create_simulator_app(
        SimulatorConfig(
            app_secret=APP_SECRET, access_token=ACCESS_TOKEN, phone_number_id=PHONE_NUMBER_ID,
            webhook_url="http://testserver/webhooks/whatsapp",
            error_rate=options.get("meta_error_rate", 0.0),
            latency_ms=options.get("latency_ms", 0),
            throttle_per_second=options.get("throttle_per_second", 0),
            seed=11,
        ),
        webhook_transport=httpx.ASGITransport(app=app),
    )  # fmt: skip
    network.inner = httpx.ASGITransport(app=simulator_app)
    async with (
        app.router.lifespan_context(app),
        simulator_app.router.lifespan_context(simulator_app),
    ):
        yield Rig(app, simulator_app.state.simulator, network)


async def open_conversations(
    rig: Rig, client: httpx.AsyncClient, auth: dict[str, str], customers: list[str]
) -> dict[str, int]:
    for n, wa_id in enumerate(customers):
        await rig.simulator.customer_sends_text(wa_id, f"Cliente {n}", "hola")

    async def all_open() -> dict[str, int] | None:
        rows = (await client.get("/api/v1/conversations?view=all", headers=auth)).json()
        found = {c["contact"]["wa_id"]: c["id"] for c in rows["conversations"]}
        return found if len(found) == len(customers) else None

    return await eventually(all_open)  # type: ignore[no-any-return]


def accepted_by_meta(rig: Rig) -> list[tuple[float, str, str]]:
    """(time, recipient, text) of every send Meta accepted, in arrival order."""
    return [
        (r.received_at, r.body["to"], r.body["text"]["body"])
        for r in rig.simulator.sent_requests
        if r.status_code == 200 and r.body.get("type") == "text"
    ]


@pytest.mark.faults(network_rate=0.12, meta_error_rate=0.08, latency_ms=20, throttle_per_second=0)
async def test_with_a_fifth_of_calls_failing_every_reply_arrives_in_order(
    rig: Rig, make_user: Callable[..., User]
) -> None:
    agent = make_user(role="supervisor")
    customers = [f"52155000000{i:02d}" for i in range(4)]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=rig.app), base_url="http://testserver"
    ) as client:
        auth = await bearer(client, agent)
        conversations = await open_conversations(rig, client, auth, customers)
        written: dict[str, list[str]] = {wa_id: [] for wa_id in customers}
        for i in range(6):
            for wa_id, conversation_id in conversations.items():
                text = f"{wa_id[-2:]}-{i}"
                response = await client.post(
                    f"/api/v1/conversations/{conversation_id}/messages",
                    json={"type": "text", "text": text, "local_id": text}, headers=auth,
                )  # fmt: skip
                assert response.status_code == 202
                written[wa_id].append(text)

        def everything_arrived() -> bool:
            texts = {text for _, _, text in accepted_by_meta(rig)}
            return all(t in texts for ts in written.values() for t in ts)

        await eventually(everything_arrived, timeout=60)

        async def all_sent() -> bool:
            rows = []
            for conversation_id in conversations.values():
                url = f"/api/v1/conversations/{conversation_id}/messages"
                rows += (await client.get(url, headers=auth)).json()["messages"]
            return all(m["status"] != "queued" for m in rows if m["direction"] == "outbound")

        await eventually(all_sent, timeout=30)
    # Order per conversation: the first arrival of each text follows the order written.
    for wa_id, texts in written.items():
        first_seen: list[str] = []
        for _, to, text in accepted_by_meta(rig):
            if to == "+" + wa_id and text not in first_seen:
                first_seen.append(text)
        assert first_seen == texts
    injected = dict(rig.network.injected)
    failures = sum(injected.values()) + sum(
        1 for r in rig.simulator.sent_requests if r.status_code not in (200, None)
    )
    assert failures > 0, "the fault injection did not fire; the test proves nothing"
    # Duplicates only where Meta accepted but the answer was lost (no idempotency key).
    arrivals = [text for _, _, text in accepted_by_meta(rig)]
    duplicates = len(arrivals) - len(set(arrivals))
    assert duplicates <= injected.get("lost_response", 0)
    # Retries are bounded: no message needed more than a handful of attempts.
    attempts = (
        len(rig.simulator.sent_requests) + injected.get("dropped", 0) + injected.get("timeout", 0)
    )
    assert attempts <= 24 * 4


@pytest.mark.faults(settings={"outbound_rate_per_second": 5.0})
async def test_after_an_outage_the_backlog_drains_within_the_rate_limit(
    rig: Rig, make_user: Callable[..., User]
) -> None:
    agent = make_user(role="supervisor")
    customers = [f"52155111111{i:02d}" for i in range(10)]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=rig.app), base_url="http://testserver"
    ) as client:
        auth = await bearer(client, agent)
        conversations = await open_conversations(rig, client, auth, customers)
        rig.network.down = True
        for i in range(2):
            for conversation_id in conversations.values():
                response = await client.post(
                    f"/api/v1/conversations/{conversation_id}/messages",
                    json={"type": "text", "text": f"{conversation_id}-{i}"}, headers=auth,
                )  # fmt: skip
                assert response.status_code == 202
        await eventually(lambda: rig.network.injected["outage"] >= 10, timeout=10)
        assert accepted_by_meta(rig) == []
        rig.network.down = False
        await eventually(lambda: len(accepted_by_meta(rig)) >= 20, timeout=60)
    # Every call the app started, failed ones included, counts against the number's limit.
    starts = rig.network.starts
    busiest = max(sum(1 for u in starts if t <= u < t + 1.0) for t in starts)
    assert busiest <= 5, f"{busiest} calls started in one second with a limit of 5"
