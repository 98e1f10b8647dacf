"""Internal notes and transfers (to an agent or a queue, with a note) through the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from cdmx.db.tables import User
from tests.conftest import GraphRecorder, bearer, eventually
from tests.factories import text_message
from tests.web.api.test_conversations import conversations, deliver


async def messages(client: httpx.AsyncClient, auth: dict[str, str], cid: int) -> list[Any]:
    response = await client.get(f"/api/v1/conversations/{cid}/messages", headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["messages"]  # type: ignore[no-any-return]


async def test_a_note_stays_inside_the_team_and_never_reaches_whatsapp(
    client: httpx.AsyncClient, make_user: Callable[..., User], graph: GraphRecorder
) -> None:
    agent = make_user(name="Ana")
    auth = await bearer(client, agent)
    await deliver(client, text_message("¿Me pueden facturar el pedido 7781?"))
    [conversation] = await eventually(lambda: conversations(client, auth, "mine"))
    before = len(graph.requests)
    response = await client.post(
        f"/api/v1/conversations/{conversation['id']}/notes",
        json={"text": "Pidió factura; RFC en el pedido 7781"}, headers=auth,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    note = response.json()
    assert (note["direction"], note["type"], note["author"]["name"]) == ("internal", "text", "Ana")
    thread = await messages(client, auth, conversation["id"])
    assert [m["direction"] for m in thread] == ["inbound", "internal"]
    shown = (await client.get(f"/api/v1/conversations/{conversation['id']}", headers=auth)).json()
    assert shown["last_message"]["direction"] == "inbound"  # the preview stays the customer's
    found = await client.get("/api/v1/messages", params={"q": "RFC"}, headers=auth)
    assert [m["id"] for m in found.json()["messages"]] == [note["id"]]
    assert len(graph.requests) == before  # nothing went to the Graph API
    empty = await client.post(
        f"/api/v1/conversations/{conversation['id']}/notes", json={"text": "  "}, headers=auth
    )
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "empty_text"


async def test_another_agent_cannot_write_a_note_in_a_conversation_they_cannot_see(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    agent, other = make_user(), make_user(availability="away")
    auth = await bearer(client, agent)
    await deliver(client, text_message("hola"))
    [conversation] = await eventually(lambda: conversations(client, auth, "mine"))
    refused = await client.post(
        f"/api/v1/conversations/{conversation['id']}/notes", json={"text": "mía"},
        headers=await bearer(client, other),
    )  # fmt: skip
    assert refused.status_code == 403
    assert [m["direction"] for m in await messages(client, auth, conversation["id"])] == ["inbound"]


async def test_a_transfer_with_a_note_reaches_the_other_agent_note_first(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    ana, beto = make_user(name="Ana"), make_user(name="Beto", availability="away")
    auth = await bearer(client, ana)
    await deliver(client, text_message("Quiero cambiar mi plan"))
    [conversation] = await eventually(lambda: conversations(client, auth, "mine"))
    moved = await client.post(
        f"/api/v1/conversations/{conversation['id']}/transfer",
        json={"agent_id": beto.id, "note": "Cliente de empresa; ofrecer plan anual"},
        headers=auth,
    )  # fmt: skip
    assert moved.status_code == 200, moved.text
    assert moved.json()["assignee_id"] == beto.id
    beto_auth = await bearer(client, beto)
    thread = await messages(client, beto_auth, conversation["id"])
    assert [(m["direction"], m["text"]) for m in thread][-1] == (
        "internal", "Cliente de empresa; ofrecer plan anual",
    )  # fmt: skip
    both = await client.post(
        f"/api/v1/conversations/{conversation['id']}/transfer",
        json={"agent_id": ana.id, "queue_id": 1}, headers=beto_auth,
    )  # fmt: skip
    assert both.status_code == 422 and both.json()["error"]["code"] == "agent_or_queue"


async def test_a_transfer_to_a_queue_routes_there_or_waits_there(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    admin = make_user(role="admin", availability="away")
    ana, carla = make_user(name="Ana"), make_user(name="Carla", availability="away")
    admin_auth, auth = await bearer(client, admin), await bearer(client, ana)
    support = (
        await client.post(
            "/api/v1/queues",
            json={"name": "Soporte", "member_ids": [carla.id]},
            headers=admin_auth,
        )  # fmt: skip
    ).json()
    await deliver(client, text_message("Mi módem parpadea en rojo"))
    [conversation] = await eventually(lambda: conversations(client, auth, "mine"))
    path = f"/api/v1/conversations/{conversation['id']}/transfer"
    waiting = await client.post(
        path, json={"queue_id": support["id"], "note": "Falla técnica"}, headers=auth
    )
    assert waiting.status_code == 200, waiting.text
    shown = waiting.json()
    # Carla is away: it waits in Soporte, where Ana no longer sees it.
    assert (shown["status"], shown["assignee_id"], shown["queue_id"]) == (
        "queued", None, support["id"],
    )  # fmt: skip
    assert await conversations(client, auth, "queue") == []
    carla_auth = await bearer(client, carla)
    away = await client.put(
        "/api/v1/me/availability", json={"availability": "available"}, headers=carla_auth
    )
    assert away.status_code == 200
    [mine] = await conversations(client, carla_auth, "mine")
    assert mine["id"] == conversation["id"]
    thread = await messages(client, carla_auth, conversation["id"])
    assert thread[-1]["direction"] == "internal" and thread[-1]["text"] == "Falla técnica"
    unknown = await client.post(path, json={"queue_id": 999}, headers=carla_auth)
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_queue"
