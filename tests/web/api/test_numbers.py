"""Several numbers: connected by an admin, each with its own encrypted token, one webhook URL
for all of them, routed by metadata.phone_number_id."""

from __future__ import annotations

import copy
from collections.abc import Callable

import httpx
from sqlalchemy import select

from cdmx.db.engine import Database
from cdmx.db.tables import Channel, InboxUpdate, User
from tests.conftest import GraphRecorder, bearer, eventually
from tests.factories import text_message
from tests.web.api.test_conversations import conversations, deliver

SECOND = {"phone_number_id": "100000000000002", "display_phone_number": "523312345678"}


def for_number(payload: dict, phone_number_id: str, display: str) -> dict:  # type: ignore[type-arg]
    changed = copy.deepcopy(payload)
    changed["entry"][0]["changes"][0]["value"]["metadata"] = {
        "phone_number_id": phone_number_id, "display_phone_number": display,
    }  # fmt: skip
    return changed


async def test_an_admin_connects_a_second_number_and_its_customers_are_answered_from_it(
    client: httpx.AsyncClient, make_user: Callable[..., User], graph: GraphRecorder, db: Database
) -> None:
    admin = make_user(role="admin", availability="offline")
    agent = make_user()
    admin_auth, agent_auth = await bearer(client, admin), await bearer(client, agent)
    refused = await client.post(
        "/api/v1/numbers", json={**SECOND, "access_token": "x"}, headers=agent_auth
    )
    assert refused.status_code == 403
    added = await client.post(
        "/api/v1/numbers",
        json={**SECOND, "access_token": "token-of-guadalajara"},
        headers=admin_auth,
    )
    assert added.status_code == 201, added.text
    assert added.json()["has_own_token"] is True and "token-of" not in added.text
    with db.read() as session:
        stored = session.scalars(
            select(Channel).where(Channel.phone_number_id == SECOND["phone_number_id"])
        ).one()
        assert stored.access_token_sealed and "token-of" not in stored.access_token_sealed

    await deliver(
        client,
        for_number(
            text_message("Hola GDL"), SECOND["phone_number_id"], SECOND["display_phone_number"]
        ),
    )
    conversation = (await eventually(lambda: conversations(client, agent_auth, "mine")))[0]
    assert conversation["number"] == "+52 331 234 5678"
    reply = await client.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"type": "text", "text": "¡Hola!"},
        headers=agent_auth,
    )  # fmt: skip
    assert reply.status_code == 202
    await eventually(lambda: graph.requests)
    assert graph.requests[0]["path"] == f"/v25.0/{SECOND['phone_number_id']}/messages"
    assert graph.requests[0]["auth"] == "Bearer token-of-guadalajara"
    numbers = (await client.get("/api/v1/numbers", headers=agent_auth)).json()["numbers"]
    assert [n["display"] for n in numbers] == ["+52 555 000 0000", "+52 331 234 5678"]


async def test_an_update_for_an_unknown_number_is_kept_and_reported(
    client: httpx.AsyncClient, db: Database
) -> None:
    await deliver(client, for_number(text_message("¿Hola?"), "999999999999999", "5210000000000"))

    def kept() -> str | None:
        with db.read() as session:
            row = session.scalars(select(InboxUpdate)).one()
            return row.error if row.processed_at else None

    assert "unknown phone_number_id: 999999999999999" in (await eventually(kept))
    assert "cdmx_inbox_unknown_number 1" in (await client.get("/metrics")).text


async def test_a_new_token_resumes_a_paused_number(
    client: httpx.AsyncClient, make_user: Callable[..., User], graph: GraphRecorder, db: Database
) -> None:
    admin = make_user(role="admin", availability="offline")
    agent = make_user()
    admin_auth, agent_auth = await bearer(client, admin), await bearer(client, agent)
    graph.responses.append(
        httpx.Response(
            401, json={"error": {"message": "Error validating access token", "code": 190}}
        )
    )
    await deliver(client, text_message("hola"))
    conversation = (await eventually(lambda: conversations(client, agent_auth, "mine")))[0]
    await client.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"type": "text", "text": "sigo aquí"},
        headers=agent_auth,
    )  # fmt: skip

    async def health() -> str:
        numbers = (await client.get("/api/v1/numbers", headers=admin_auth)).json()["numbers"]
        return str(numbers[0]["health"])

    async def needs_attention() -> bool:
        return await health() == "needs_attention"

    await eventually(needs_attention)
    number_id = (await client.get("/api/v1/numbers", headers=admin_auth)).json()["numbers"][0]["id"]
    fixed = await client.put(
        f"/api/v1/numbers/{number_id}/token", json={"access_token": "fresh"}, headers=admin_auth
    )
    assert fixed.status_code == 200 and fixed.json()["health"] == "ok"
    await eventually(lambda: len(graph.requests) >= 2, timeout=10)
    assert graph.requests[-1]["auth"] == "Bearer fresh"
    assert graph.requests[-1]["body"]["text"]["body"] == "sigo aquí"
