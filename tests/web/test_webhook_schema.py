"""Every payload a webhook carries validates against the schema the API publishes: a day's
work through the API (a customer writes, the agent replies, labels it, mentions a colleague,
transfers, snoozes, the customer comes back, it is closed, an agent changes availability),
then every stored event, wrapped as a webhook is, is checked against its type's schema."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import jsonschema
from sqlalchemy import select

from cdmx.db.engine import Database
from cdmx.db.tables import Event, User
from cdmx.domain.webhooks import EVENT_TYPES, envelope, event_schemas, message_id
from tests.conftest import bearer, eventually
from tests.factories import text_message
from tests.web.api.test_conversations import conversations, deliver


async def test_every_emitted_payload_validates_against_the_published_schema(
    client: httpx.AsyncClient, make_user: Callable[..., User], db: Database
) -> None:
    admin = await bearer(client, make_user(role="admin", availability="away"))
    ana = await bearer(client, make_user(name="Ana López"))
    beto_user = make_user(name="Beto Ruiz", availability="away")
    await deliver(client, text_message("Hola, ¿tienen envío?", wa_id="5215512341001"))
    [conversation] = await eventually(lambda: conversations(client, ana, "mine"))
    path = f"/api/v1/conversations/{conversation['id']}"
    steps = [
        ("POST", f"{path}/messages", ana, {"type": "text", "text": "Sí, a todo México"}),
        ("POST", "/api/v1/labels", admin, {"name": "Venta", "color": "#1F8A4C"}),
    ]
    for method, url, auth, body in steps:
        response = await client.request(method, url, json=body, headers=auth)
        assert response.status_code < 300, response.text
    labels = (await client.get("/api/v1/labels", headers=ana)).json()["labels"]
    more = [
        ("PUT", f"{path}/labels", ana, {"label_ids": [labels[0]["id"]]}),
        ("POST", f"{path}/notes", ana, {"text": "@Beto Ruiz revisa el envío"}),
        ("POST", f"{path}/transfer", ana, {"agent_id": beto_user.id}),
    ]
    for method, url, auth, body in more:
        response = await client.request(method, url, json=body, headers=auth)
        assert response.status_code < 300, response.text
    beto = await bearer(client, beto_user)
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (
        await client.post(f"{path}/snooze", json={"until": until}, headers=beto)
    ).status_code == 200
    await deliver(client, text_message("¿Ya salió?", wa_id="5215512341001"))

    async def woken() -> bool:
        shown = (await client.get(path, headers=beto)).json()
        return shown["status"] == "assigned"

    await eventually(woken)
    assert (await client.post(f"{path}/close", headers=beto)).status_code == 200
    await client.put("/api/v1/me/availability", json={"availability": "away"}, headers=ana)

    schemas = event_schemas()["events"]
    with db.read() as session:
        events = session.scalars(select(Event).order_by(Event.id)).all()
    checked = set()
    for event in events:
        if event.type not in EVENT_TYPES:
            continue  # not offered to webhooks (the presence signal)
        payload = envelope(event.type, message_id(event.id, 0), event.created_at, event.data)
        jsonschema.validate(payload, schemas[event.type])
        checked.add(event.type)
    assert checked >= {
        "message.created", "message.updated", "conversation.created", "conversation.assigned",
        "conversation.updated", "conversation.closed", "conversation.snoozed",
        "conversation.woken", "mention.created", "agent.updated",
    }  # fmt: skip
