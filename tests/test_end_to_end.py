"""The five PoC criteria over real HTTP: the app and the simulator on their own ports,
signed webhooks one way, Graph API calls the other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from cdmx.app import create_app
from cdmx.db.tables import User
from cdmx.settings import Settings
from cdmx.simulator import SimulatorConfig, create_simulator_app
from tests.conftest import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, bearer, eventually
from tests.servers import free_port, serving

CUSTOMER = "5215512345678"


async def test_customer_and_agent_talk_through_the_simulator(
    settings: Settings, make_user: Callable[..., User]
) -> None:
    agent = make_user(name="Ana")
    app_port, sim_port = free_port(), free_port()
    simulator_app = create_simulator_app(
        SimulatorConfig(
            app_secret=APP_SECRET, access_token=ACCESS_TOKEN, phone_number_id=PHONE_NUMBER_ID,
            webhook_url=f"http://127.0.0.1:{app_port}/webhooks/whatsapp",
        )
    )  # fmt: skip
    simulator = simulator_app.state.simulator
    app = create_app(
        settings.model_copy(update={"graph_api_base_url": f"http://127.0.0.1:{sim_port}"})
    )
    async with (
        serving(simulator_app, sim_port),
        serving(app, app_port) as base_url,
        httpx.AsyncClient(base_url=base_url) as client,
    ):
        auth = await bearer(client, agent)

        async def mine() -> list[dict[str, Any]]:
            response = await client.get("/api/v1/conversations?view=mine", headers=auth)
            return response.json()["conversations"]  # type: ignore[no-any-return]

        # 1. received  2. the agent has it
        await simulator.customer_sends_text(CUSTOMER, "María", "Hola, quiero cambiar mi pedido")
        conversation = (await eventually(mine))[0]
        assert conversation["assignee_id"] == agent.id

        # 3. the agent responds
        response = await client.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            json={"type": "text", "text": "Claro, ¿cuál es tu número de pedido?"},
            headers=auth,
        )
        assert response.status_code == 202

        # 4. the customer's phone has it, and the ticks come back to the agent
        def on_phone() -> list[dict[str, Any]]:
            return [m for m in simulator.messages_for(CUSTOMER) if m["direction"] == "out"]

        delivered = await eventually(on_phone)
        assert delivered[0]["text"] == "Claro, ¿cuál es tu número de pedido?"
        await simulator.customer_reads(CUSTOMER)

        async def last_status() -> str:
            url = f"/api/v1/conversations/{conversation['id']}/messages"
            return str((await client.get(url, headers=auth)).json()["messages"][-1]["status"])

        async def is_read() -> bool:
            return await last_status() == "read"

        await eventually(is_read)

        # 5. the customer writes again: same conversation, same agent
        await simulator.customer_sends_text(CUSTOMER, "María", "Es el 4512")

        async def second_message_in_place() -> bool:
            rows = await mine()
            return (
                len(rows) == 1
                and rows[0]["id"] == conversation["id"]
                and (rows[0]["last_message"]["summary"] == "Es el 4512")
            )

        await eventually(second_message_in_place)
        request = simulator.sent_requests[0]
        assert request.body["to"] == "+" + CUSTOMER
