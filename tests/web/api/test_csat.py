"""The satisfaction survey through the API: a queue turned on, a close, the list sent to
WhatsApp, the customer's tap, and the score on the closed conversation."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from cdmx.db.tables import User
from tests.conftest import GraphRecorder, bearer, eventually
from tests.factories import envelope, text_message
from tests.web.api.test_conversations import conversations, deliver


def list_reply(reply_id: str, title: str) -> dict[str, Any]:
    return envelope({
        "contacts": [{"profile": {"name": "María"}, "wa_id": "5215512345678"}],
        "messages": [{
            "from": "5215512345678", "id": f"wamid.TAP{time.time_ns()}",
            "timestamp": str(int(time.time())), "type": "interactive",
            "context": {"from": "15550000000", "id": "wamid.OUT1"},
            "interactive": {"type": "list_reply", "list_reply": {"id": reply_id, "title": title}},
        }],
    })  # fmt: skip


async def test_a_closed_conversation_gets_the_survey_and_shows_the_score(
    client: httpx.AsyncClient, make_user: Callable[..., User], graph: GraphRecorder
) -> None:
    admin = make_user(role="admin", availability="away")
    agent = make_user()
    admin_auth, auth = await bearer(client, admin), await bearer(client, agent)
    [queue] = (await client.get("/api/v1/queues", headers=admin_auth)).json()["queues"]
    assert (queue["csat_enabled"], queue["csat_template_name"]) == (False, None)
    changed = await client.patch(
        f"/api/v1/queues/{queue['id']}", headers=admin_auth,
        json={"csat_enabled": True, "csat_template_name": " encuesta ",
              "csat_template_language": "es_MX"},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["csat_enabled"] is True
    assert changed.json()["csat_template_name"] == "encuesta"
    assert changed.json()["csat_template_language"] == "es_MX"
    refused = await client.patch(
        f"/api/v1/queues/{queue['id']}", json={"csat_enabled": None}, headers=admin_auth
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_csat_enabled"

    await deliver(client, text_message("Hola", name="María"))
    [conversation] = await eventually(lambda: conversations(client, auth, "mine"))
    assert conversation["csat"] is None
    closed = await client.post(f"/api/v1/conversations/{conversation['id']}/close", headers=auth)
    assert closed.status_code == 200, closed.text
    await eventually(lambda: graph.requests)
    sent = graph.requests[0]["body"]
    assert sent["type"] == "interactive" and sent["interactive"]["type"] == "list"
    rows = sent["interactive"]["action"]["sections"][0]["rows"]
    assert rows[0] == {"id": f"csat:{conversation['id']}:5", "title": "5 — Excelente"}

    async def rated() -> dict[str, Any] | None:
        shown = await client.get(f"/api/v1/conversations/{conversation['id']}", headers=auth)
        body: dict[str, Any] = shown.json()
        return body if body["csat"] and body["csat"]["score"] is not None else None

    await deliver(client, list_reply(f"csat:{conversation['id']}:5", "5 — Excelente"))
    shown = await eventually(rated)
    assert shown["status"] == "closed" and shown["csat"]["score"] == 5
    assert shown["csat"]["sent_at"] and shown["csat"]["answered_at"]
    assert await conversations(client, auth, "mine") == []  # nothing reopened
