""" "Send to…" actions through the API, to a real system: admins define them (the secret shown
once), agents see their names; pushing a conversation POSTs it signed — verified here with
the ``standardwebhooks`` package — with its contact, messages and labels, valid against the
published schema; the system's reference becomes a note; a failure comes back with the
system's answer and a retry carries the same request id."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import jsonschema
import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from cdmx.db.engine import Database
from cdmx.db.tables import AuditEntry, Message, User
from cdmx.domain.states import Direction
from tests.conftest import bearer, eventually
from tests.factories import text_message
from tests.servers import serving
from tests.web.api.test_conversations import conversations, deliver
from tests.webhook_receiver import Receiver

PATH = "/api/v1/send-actions"


@pytest.fixture
async def system() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver(reply={"reference": "4512", "url": "https://pedidos.example.com/4512"})
    async with serving(receiver.app) as base:
        yield receiver, f"{base}/hook"


async def make_action(
    client: httpx.AsyncClient, auth: dict[str, str], name: str, url: str
) -> dict[str, Any]:
    response = await client.post(PATH, json={"name": name, "url": url}, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_admins_define_actions_and_agents_see_only_their_names(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    admin = await bearer(client, make_user(role="admin"))
    agent = await bearer(client, make_user())
    refused = await client.post(PATH, json={"name": "X", "url": "https://x.example"}, headers=agent)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "admins_only")
    made = await make_action(client, admin, "  Pedidos ", "https://erp.example.com/push")
    assert made["name"] == "Pedidos" and made["secret"].startswith("whsec_")
    twin = await client.post(
        PATH, json={"name": "Pedidos", "url": "https://y.example"}, headers=admin
    )
    assert (twin.status_code, twin.json()["error"]["code"]) == (409, "action_exists")
    bad = await client.post(PATH, json={"name": "CRM", "url": "mailto:x@y"}, headers=admin)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_url")
    seen = (await client.get(PATH, headers=agent)).json()["actions"]
    assert seen == [{"id": made["id"], "name": "Pedidos", "active": True}]
    full = (await client.get(PATH, headers=admin)).json()["actions"]
    assert full[0]["url"] == "https://erp.example.com/push" and "secret" not in full[0]
    rotated = await client.post(f"{PATH}/{made['id']}/rotate-secret", headers=admin)
    assert rotated.json()["secret"] != made["secret"]
    off = await client.patch(f"{PATH}/{made['id']}", json={"active": False}, headers=admin)
    assert off.json()["active"] is False
    assert (await client.delete(f"{PATH}/{made['id']}", headers=admin)).status_code == 204
    assert (await client.get(PATH, headers=admin)).json()["actions"] == []


async def test_an_agent_pushes_a_conversation_and_the_reference_becomes_a_note(
    client: httpx.AsyncClient,
    make_user: Callable[..., User],
    db: Database,
    system: tuple[Receiver, str],
) -> None:
    receiver, url = system
    admin = await bearer(client, make_user(role="admin", availability="away"))
    ana_user = make_user(name="Ana López")
    ana = await bearer(client, ana_user)
    action = await make_action(client, admin, "Pedidos", url)
    await deliver(client, text_message("Quiero dos cajas", wamid="wamid.S1", name="María"))
    (conversation,) = await eventually(lambda: conversations(client, ana, "mine"))
    label = await client.post(
        "/api/v1/labels", json={"name": "Venta", "color": "#1F8A4C"}, headers=admin
    )
    await client.put(
        f"/api/v1/conversations/{conversation['id']}/labels",
        json={"label_ids": [label.json()["id"]]}, headers=ana,
    )  # fmt: skip

    pushed = await client.post(
        f"/api/v1/conversations/{conversation['id']}/send-to/{action['id']}", headers=ana
    )
    assert pushed.status_code == 200, pushed.text
    run = pushed.json()["run"]
    assert (run["status"], run["status_code"], run["reference"]) == ("sent", 200, "4512")
    assert run["url"] == "https://pedidos.example.com/4512"

    (got,) = receiver.received
    payload = Webhook(action["secret"]).verify(got.body, got.headers)
    schema = (await client.get("/api/v1/webhooks/schema", headers=ana)).json()
    jsonschema.validate(payload, schema["actions"]["conversation.sent"])
    assert payload["type"] == "conversation.sent" and payload["id"] == run["request_id"]
    data = payload["data"]
    assert data["action"] == {"id": action["id"], "name": "Pedidos"}
    assert data["sent_by"] == {"id": ana_user.id, "name": "Ana López"}
    assert [m["text"] for m in data["messages"]] == ["Quiero dos cajas"]
    assert data["contact"]["name"] == "María" and data["contact"]["phone"]
    assert [lb["name"] for lb in data["conversation"]["labels"]] == ["Venta"]

    with db.read() as session:
        note = session.get(Message, run["note_id"])
        assert note is not None
        assert note.direction == Direction.INTERNAL and note.author_id == ana_user.id
        assert note.text == "Enviado a Pedidos: 4512 — https://pedidos.example.com/4512"
        audited = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "conversation.sent_to")
        ).one()
    assert audited.actor_id == ana_user.id and audited.object_id == conversation["id"]
    assert audited.detail == {"action_id": action["id"], "status": "sent", "status_code": 200}

    # Someone else's conversation is not the agent's to push.
    beto = await bearer(client, make_user(name="Beto"))
    other = await client.post(
        f"/api/v1/conversations/{conversation['id']}/send-to/{action['id']}", headers=beto
    )
    assert other.status_code == 403


async def test_a_failure_shows_the_systems_answer_and_a_retry_sends_the_same_request(
    client: httpx.AsyncClient,
    make_user: Callable[..., User],
    db: Database,
    system: tuple[Receiver, str],
) -> None:
    receiver, url = system
    receiver.answer = lambda _: 500 if len(receiver.received) == 1 else 200
    admin = await bearer(client, make_user(role="admin", availability="away"))
    ana = await bearer(client, make_user(name="Ana López"))
    action = await make_action(client, admin, "Pedidos", url)
    await deliver(client, text_message("Hola", wamid="wamid.S2"))
    (conversation,) = await eventually(lambda: conversations(client, ana, "mine"))
    push_path = f"/api/v1/conversations/{conversation['id']}/send-to/{action['id']}"

    failed = (await client.post(push_path, headers=ana)).json()["run"]
    assert (failed["status"], failed["status_code"]) == ("failed", 500)
    assert failed["response"] == "answer 500" and failed["note_id"] is None
    again = (await client.post(push_path, json={"retry_of": failed["id"]}, headers=ana)).json()
    assert again["run"]["status"] == "sent" and again["run"]["request_id"] == failed["request_id"]
    assert receiver.ids() == [failed["request_id"]] * 2
    with db.read() as session:
        notes = session.scalars(
            select(Message.text).where(Message.direction == Direction.INTERNAL)
        ).all()
    assert notes == ["Enviado a Pedidos: 4512 — https://pedidos.example.com/4512"]

    # A system that is down: no answer, said so; an action turned off cannot be used.
    dead = await make_action(client, admin, "CRM", "http://127.0.0.1:9/none")
    down = (
        await client.post(
            f"/api/v1/conversations/{conversation['id']}/send-to/{dead['id']}", headers=ana
        )
    ).json()["run"]
    assert down["status"] == "failed" and down["status_code"] is None and down["error"]
    await client.patch(f"{PATH}/{dead['id']}", json={"active": False}, headers=admin)
    off = await client.post(
        f"/api/v1/conversations/{conversation['id']}/send-to/{dead['id']}", headers=ana
    )
    assert (off.status_code, off.json()["error"]["code"]) == (422, "action_inactive")
    stale = await client.post(push_path, json={"retry_of": 999999}, headers=ana)
    assert (stale.status_code, stale.json()["error"]["code"]) == (404, "run_not_found")


async def test_defining_changing_and_deleting_an_action_is_audited_without_its_secret(
    client: httpx.AsyncClient, make_user: Callable[..., User], db: Database
) -> None:
    admin_user = make_user(role="admin")
    admin = await bearer(client, admin_user)
    made = await make_action(client, admin, "Pedidos", "https://erp.example.com/push")
    await client.patch(f"{PATH}/{made['id']}", json={"name": "Pedidos ERP"}, headers=admin)
    rotated = (await client.post(f"{PATH}/{made['id']}/rotate-secret", headers=admin)).json()
    await client.delete(f"{PATH}/{made['id']}", headers=admin)
    with db.read() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "send_action")
            .order_by(AuditEntry.id)
        ).all()
    assert [e.action for e in entries] == [
        "send_action.created", "send_action.changed", "send_action.secret_rotated",
        "send_action.deleted",
    ]  # fmt: skip
    assert {e.actor_id for e in entries} == {admin_user.id}
    assert (entries[1].before, entries[1].after) == ({"name": "Pedidos"}, {"name": "Pedidos ERP"})
    everything = str([(e.before, e.after, e.detail) for e in entries])
    assert made["secret"] not in everything and rotated["secret"] not in everything
