"""The conversation API end to end through the ASGI app, with a recorded Graph API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, User
from tests.conftest import GraphRecorder, bearer, eventually, signed
from tests.factories import status, text_message


async def deliver(client: httpx.AsyncClient, payload: dict[str, Any]) -> None:
    body, headers = signed(payload)
    response = await client.post("/webhooks/whatsapp", content=body, headers=headers)
    assert response.status_code == 200, response.text


async def conversations(client: httpx.AsyncClient, headers: dict[str, str], view: str) -> list[Any]:
    response = await client.get("/api/v1/conversations", params={"view": view}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["conversations"]  # type: ignore[no-any-return]


async def test_the_five_poc_criteria_through_the_api(
    client: httpx.AsyncClient, make_user: Callable[..., User], graph: GraphRecorder
) -> None:
    agent = make_user()
    auth = await bearer(client, agent)

    # 1-2. A customer writes; the agent has the conversation, with the message.
    await deliver(client, text_message("Hola, ¿tienen envíos a Coyoacán?", name="María"))
    mine = await eventually(lambda: conversations(client, auth, "mine"))
    conversation = mine[0]
    assert conversation["contact"] == {
        "id": conversation["contact"]["id"], "wa_id": "5215512345678", "name": "María",
        "profile_name": "María", "merged_into_id": None, "referral": None,
    }  # fmt: skip
    assert conversation["labels"] == []
    assert conversation["assignee_id"] == agent.id
    assert conversation["unread_count"] == 1
    assert conversation["last_message"]["summary"] == "Hola, ¿tienen envíos a Coyoacán?"

    # 3. The agent answers.
    reply = await client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"type": "text", "text": "¡Sí! Llegamos en 24 horas.", "local_id": "l-1"},
        headers=auth,
    )
    assert reply.status_code == 202, reply.text
    assert reply.json()["status"] == "queued"

    # 4. It reaches WhatsApp, addressed with a +, and the wamid is recorded.
    await eventually(lambda: graph.requests)
    sent = graph.requests[0]
    assert sent["path"] == "/v25.0/100000000000001/messages"
    assert sent["auth"] == "Bearer test-token"
    assert sent["body"]["to"] == "+5215512345678"
    assert sent["body"]["text"]["body"] == "¡Sí! Llegamos en 24 horas."

    async def message_status() -> str:
        response = await client.get(
            f"/api/v1/conversations/{conversation['id']}/messages", headers=auth
        )
        return str(response.json()["messages"][-1]["status"])

    assert await eventually(lambda: _is(message_status, "sent"))
    await deliver(client, status("wamid.OUT1", "delivered"))
    await deliver(client, status("wamid.OUT1", "read"))
    assert await eventually(lambda: _is(message_status, "read"))

    # 5. The customer writes again: same conversation, same agent.
    await deliver(client, text_message("¡Gracias!", name="María"))

    async def thread_length() -> int:
        response = await client.get(
            f"/api/v1/conversations/{conversation['id']}/messages", headers=auth
        )
        return len(response.json()["messages"])

    assert await eventually(lambda: _is(thread_length, 3))
    mine = await conversations(client, auth, "mine")
    assert [c["id"] for c in mine] == [conversation["id"]]
    assert mine[0]["assignee_id"] == agent.id


async def _is(fetch: Callable[[], Any], expected: Any) -> bool:
    return bool(await fetch() == expected)


async def test_statuses_never_move_backwards(
    client: httpx.AsyncClient, make_user: Callable[..., User], graph: GraphRecorder
) -> None:
    agent = make_user()
    auth = await bearer(client, agent)
    await deliver(client, text_message("hola"))
    conversation = (await eventually(lambda: conversations(client, auth, "mine")))[0]
    await client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"type": "text", "text": "hola"}, headers=auth,
    )  # fmt: skip
    await eventually(lambda: graph.requests)
    lookup = lambda: client.get("/api/v1/messages", params={"wamid": "wamid.OUT1"}, headers=auth)  # noqa: E731

    async def status_is(expected: str) -> bool:
        found = (await lookup()).json()["messages"]
        return bool(found) and found[0]["status"] == expected

    await eventually(lambda: status_is("sent"))
    # Read arrives before delivered, then a late failed: read stands.
    await deliver(client, status("wamid.OUT1", "read", timestamp=2_000_000_010))
    await deliver(client, status("wamid.OUT1", "delivered", timestamp=2_000_000_005))
    await deliver(
        client,
        status(
            "wamid.OUT1", "failed", timestamp=2_000_000_020,
            errors=[{"code": 131026, "title": "Message undeliverable"}],
        ),
    )  # fmt: skip
    await eventually(lambda: status_is("read"))
    health = await client.get("/metrics")
    assert "cdmx_inbox_pending 0" in health.text or "cdmx_inbox_pending" in health.text

    # Let the inbox drain, then check the final state once more.
    async def drained() -> bool:
        return "cdmx_inbox_pending 0\n" in (await client.get("/metrics")).text

    await eventually(drained)
    assert await status_is("read")


async def test_a_permanent_graph_error_fails_the_message_with_metas_words(
    client: httpx.AsyncClient, make_user: Callable[..., User], graph: GraphRecorder
) -> None:
    agent = make_user()
    auth = await bearer(client, agent)
    graph.responses.append(
        httpx.Response(
            400,
            json={"error": {
                "message": "(#131030) Recipient phone number not in allowed list",
                "type": "OAuthException", "code": 131030,
                "error_data": {"messaging_product": "whatsapp", "details": "Add the number to the list."},
                "fbtrace_id": "Abc",
            }},
        )
    )  # fmt: skip
    await deliver(client, text_message("hola"))
    conversation = (await eventually(lambda: conversations(client, auth, "mine")))[0]
    await client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"type": "text", "text": "hola"}, headers=auth,
    )  # fmt: skip

    async def failed() -> dict[str, Any] | None:
        response = await client.get(
            f"/api/v1/conversations/{conversation['id']}/messages", headers=auth
        )
        last = response.json()["messages"][-1]
        return last if last["status"] == "failed" else None

    message = await eventually(failed)
    assert message["error"] == {
        "code": 131030,
        "title": "(#131030) Recipient phone number not in allowed list",
        "details": "Add the number to the list.",
    }
    assert len(graph.requests) == 1  # not retried


async def test_transient_errors_are_retried_and_order_is_kept(
    client: httpx.AsyncClient, make_user: Callable[..., User], graph: GraphRecorder
) -> None:
    agent = make_user()
    auth = await bearer(client, agent)
    graph.responses.extend([
        httpx.Response(500, json={"error": {"message": "Service temporarily unavailable", "code": 131016}}),
        httpx.Response(429, json={"error": {"message": "Throughput reached", "code": 130429}}),
    ])  # fmt: skip
    await deliver(client, text_message("hola"))
    conversation = (await eventually(lambda: conversations(client, auth, "mine")))[0]
    for text in ("uno", "dos", "tres"):
        response = await client.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            json={"type": "text", "text": text}, headers=auth,
        )  # fmt: skip
        assert response.status_code == 202
    await eventually(lambda: len([r for r in graph.requests]) >= 5, timeout=15)
    texts = [r["body"]["text"]["body"] for r in graph.requests]
    # "uno" failed twice before it went; "dos" and "tres" never overtook it.
    assert texts == ["uno", "uno", "uno", "dos", "tres"]


async def test_replying_outside_the_window_is_refused_with_409(
    client: httpx.AsyncClient, make_user: Callable[..., User], db: Database, graph: GraphRecorder
) -> None:
    agent = make_user()
    auth = await bearer(client, agent)
    await deliver(client, text_message("hola"))
    conversation = (await eventually(lambda: conversations(client, auth, "mine")))[0]
    with db.write() as session:
        session.execute(
            update(Conversation).values(last_inbound_at=datetime.now(UTC) - timedelta(hours=25))
        )
    response = await client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"type": "text", "text": "¿sigues ahí?"}, headers=auth,
    )  # fmt: skip
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "window_closed"
    assert graph.requests == []


async def test_a_retried_post_with_the_same_local_id_makes_one_message(
    client: httpx.AsyncClient, make_user: Callable[..., User], graph: GraphRecorder
) -> None:
    agent = make_user()
    auth = await bearer(client, agent)
    await deliver(client, text_message("hola"))
    conversation = (await eventually(lambda: conversations(client, auth, "mine")))[0]
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    first = await client.post(
        url, json={"type": "text", "text": "hola", "local_id": "x1"}, headers=auth
    )
    again = await client.post(
        url, json={"type": "text", "text": "hola", "local_id": "x1"}, headers=auth
    )
    assert first.json()["id"] == again.json()["id"]
    await eventually(lambda: graph.requests)
    thread = (await client.get(url, headers=auth)).json()["messages"]
    assert len([m for m in thread if m["direction"] == "outbound"]) == 1


async def test_agents_cannot_read_each_others_conversations(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    ana = make_user(name="Ana")
    await deliver(client, text_message("hola"))
    ana_auth = await bearer(client, ana)
    conversation = (await eventually(lambda: conversations(client, ana_auth, "mine")))[0]
    beto = make_user(name="Beto")
    beto_auth = await bearer(client, beto)
    response = await client.get(
        f"/api/v1/conversations/{conversation['id']}/messages", headers=beto_auth
    )
    assert response.status_code == 403
    assert await conversations(client, beto_auth, "all") == []
    supervisor = make_user(role="supervisor", availability="offline")
    assert len(await conversations(client, await bearer(client, supervisor), "all")) == 1


async def test_requests_without_credentials_get_401_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/conversations")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    bad = await client.post("/api/v1/auth/token", json={"email": "x@y.z", "password": "nope"})
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "bad_credentials"


async def test_an_agent_replies_quoting_reacts_and_sends_buttons(
    client: httpx.AsyncClient, make_user: Callable[..., User], graph: GraphRecorder
) -> None:
    agent = make_user()
    auth = await bearer(client, agent)
    await deliver(client, text_message("¿Tienen cita mañana?", wamid="wamid.ASK"))
    conversation = (await eventually(lambda: conversations(client, auth, "mine")))[0]
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    inbound = (await client.get(url, headers=auth)).json()["messages"][0]
    quoted = await client.post(
        url, json={"type": "text", "text": "Sí, a las 10", "reply_to": inbound["id"]}, headers=auth
    )
    assert quoted.status_code == 202, quoted.text
    reaction = await client.post(
        url, json={"type": "reaction", "message_id": inbound["id"], "emoji": "👍"}, headers=auth
    )
    assert reaction.status_code == 202, reaction.text
    buttons = await client.post(
        url, json={"type": "buttons", "body": "¿Confirmas?", "buttons": [{"title": "Sí"}, {"title": "No"}]},
        headers=auth,
    )  # fmt: skip
    assert buttons.status_code == 202, buttons.text
    too_long = await client.post(
        url,
        json={"type": "buttons", "body": "¿Confirmas?", "buttons": [{"title": "x" * 21}]},
        headers=auth,
    )
    assert too_long.status_code == 422
    assert "buttons[0].title" in too_long.json()["error"]["message"]
    await eventually(lambda: len(graph.requests) >= 3)
    bodies = [r["body"] for r in graph.requests]
    assert bodies[0]["context"] == {"message_id": "wamid.ASK"}
    assert bodies[1]["type"] == "reaction" and bodies[1]["reaction"] == {
        "message_id": "wamid.ASK",
        "emoji": "👍",
    }
    assert bodies[2]["type"] == "interactive" and bodies[2]["interactive"]["type"] == "button"
    thread = (await client.get(url, headers=auth)).json()["messages"]
    assert thread[1]["context"]["reply_to"] == "wamid.ASK"  # the quote survives a reload
    sent_buttons = thread[3]["content"]
    assert (sent_buttons["body"], [b["title"] for b in sent_buttons["buttons"]]) == (
        "¿Confirmas?",
        ["Sí", "No"],
    )
    # The reaction did not become the conversation's last message.
    refreshed = (
        await client.get(f"/api/v1/conversations/{conversation['id']}", headers=auth)
    ).json()
    assert refreshed["last_message"]["summary"] == "¿Confirmas? [Sí / No]"


async def test_opening_a_conversation_sends_blue_ticks_and_writing_shows_typing(
    client: httpx.AsyncClient, make_user: Callable[..., User], graph: GraphRecorder
) -> None:
    agent = make_user()
    auth = await bearer(client, agent)
    await deliver(client, text_message("¿Me ayudas?", wamid="wamid.HELP"))
    conversation = (await eventually(lambda: conversations(client, auth, "mine")))[0]
    assert conversation["unread_count"] == 1
    read = await client.post(f"/api/v1/conversations/{conversation['id']}/read", headers=auth)
    assert read.status_code == 204
    for _ in range(3):  # throttled: one indicator however often the composer asks
        typing = await client.post(
            f"/api/v1/conversations/{conversation['id']}/typing", headers=auth
        )
        assert typing.status_code == 204
    await eventually(lambda: len(graph.requests) >= 2)
    bodies = [r["body"] for r in graph.requests]
    assert bodies[0] == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.HELP",
    }
    assert bodies[1]["typing_indicator"] == {"type": "text"}
    assert len(bodies) == 2
    refreshed = (
        await client.get(f"/api/v1/conversations/{conversation['id']}", headers=auth)
    ).json()
    assert refreshed["unread_count"] == 0
