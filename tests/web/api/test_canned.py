"""Quick replies through the API: personal and shared scopes, who may manage which, the
variables filled for a conversation, and every refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cdmx.actions.queues import do_create_queue
from cdmx.actions.users import do_update_user
from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.queries.queues import default_queue_id
from tests.conftest import bearer, eventually
from tests.factories import text_message
from tests.web.api.test_conversations import conversations, deliver

PATH = "/api/v1/canned-responses"


async def listed(client: httpx.AsyncClient, auth: dict[str, str], **params: Any) -> list[Any]:
    response = await client.get(PATH, params=params, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["canned_responses"]  # type: ignore[no-any-return]


async def test_an_agent_s_own_reply_is_filled_for_the_open_conversation(
    client: httpx.AsyncClient, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = make_user(name="Ana")
    auth = await bearer(client, agent)
    await deliver(client, text_message("hola", wa_id="5215512340001", name="María José López"))
    [conversation] = await eventually(lambda: conversations(client, auth, "mine"))
    created = await client.post(PATH, headers=auth, json={
        "shortcut": "/Saludo", "personal": True,
        "text": "Hola {{contact.first_name}}, soy {{agent.name}} de {{business.name}}.",
    })  # fmt: skip
    assert created.status_code == 201, created.text
    item = created.json()
    assert (item["shortcut"], item["owner_id"], item["queue_id"]) == ("saludo", agent.id, None)
    [shown] = await listed(client, auth, conversation_id=conversation["id"])
    # No CDMX_BUSINESS_NAME in the tests: that one stays for the agent to fill in.
    assert shown["rendered"] == "Hola María, soy Ana de {{business.name}}."
    [plain] = await listed(client, auth)
    assert "rendered" not in plain and plain["text"] == item["text"]
    # Another agent never sees it, nor can change it.
    other = await bearer(client, make_user(name="Beto"))
    assert await listed(client, other) == []
    assert (
        await client.patch(f"{PATH}/{item['id']}", json={"text": "x"}, headers=other)
    ).status_code == 404
    changed = await client.patch(f"{PATH}/{item['id']}", json={"text": "Buen día"}, headers=auth)
    assert changed.status_code == 200 and changed.json()["text"] == "Buen día"
    assert (await client.delete(f"{PATH}/{item['id']}", headers=auth)).status_code == 204
    assert await listed(client, auth) == []


async def test_shared_replies_are_managed_by_supervisors_and_scoped_by_queue(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    supervisor = make_user(role="supervisor", availability="away", name="Sofía")
    ana, carla = make_user(name="Ana"), make_user(name="Carla")
    with db.write() as session:
        general = default_queue_id(session)
        soporte = do_create_queue(session, name="Soporte").id
        do_update_user(session, carla.id, queue_ids=[soporte])
    boss, ana_auth, carla_auth = (
        await bearer(client, supervisor),
        await bearer(client, ana),
        await bearer(client, carla),
    )
    refused = await client.post(
        PATH, json={"shortcut": "horario", "text": "9 a 18"}, headers=ana_auth
    )
    assert (
        refused.status_code == 403 and refused.json()["error"]["code"] == "shared_needs_supervisor"
    )
    everyone = await client.post(PATH, json={"shortcut": "horario", "text": "9 a 18"}, headers=boss)
    ventas = await client.post(
        PATH, json={"shortcut": "precios", "text": "Lista", "queue_id": general}, headers=boss
    )
    assert everyone.status_code == ventas.status_code == 201
    # Sofía is not in Soporte: she cannot write Soporte's replies.
    other_queue = await client.post(
        PATH, json={"shortcut": "falla", "text": "Reinicie", "queue_id": soporte}, headers=boss
    )
    assert other_queue.status_code == 403
    assert [c["shortcut"] for c in await listed(client, ana_auth)] == ["horario", "precios"]
    assert [c["shortcut"] for c in await listed(client, carla_auth)] == ["horario"]
    # An agent may have a personal /horario of their own; a second shared one is refused.
    mine = await client.post(
        PATH, json={"shortcut": "horario", "text": "el mío", "personal": True}, headers=ana_auth
    )
    assert mine.status_code == 201
    twice = await client.post(PATH, json={"shortcut": "horario", "text": "otra"}, headers=boss)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "shortcut_taken"
    shared_id = everyone.json()["id"]
    assert (
        await client.patch(f"{PATH}/{shared_id}", json={"text": "x"}, headers=ana_auth)
    ).status_code == 403
    assert (await client.delete(f"{PATH}/{shared_id}", headers=boss)).status_code == 204


async def test_bad_quick_replies_are_clear_422s(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    auth = await bearer(client, make_user())
    for body, code in (
        ({"shortcut": "con espacio", "text": "x", "personal": True}, "invalid_shortcut"),
        ({"shortcut": "vacio", "text": "   ", "personal": True}, "empty_text"),
        (
            {"shortcut": "cola", "text": "x", "personal": True, "queue_id": 1},
            "personal_has_no_queue",
        ),
    ):
        response = await client.post(PATH, json=body, headers=auth)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == code
    assert await listed(client, auth) == []
    assert (
        await client.get(PATH, params={"conversation_id": 999}, headers=auth)
    ).status_code == 404
