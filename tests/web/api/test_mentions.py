"""@mentions in notes: the named colleague is told and may read, not reply."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import select

from cdmx.db.engine import Database
from cdmx.db.tables import Event, User
from tests.conftest import bearer, eventually
from tests.factories import text_message
from tests.web.api.test_conversations import conversations, deliver


async def test_a_mention_lets_the_colleague_read_but_not_reply(
    client: httpx.AsyncClient, make_user: Callable[..., User], db: Database
) -> None:
    ana = make_user(name="Ana Ruiz")
    beto = make_user(name="Beto López", availability="away")
    auth = await bearer(client, ana)
    await deliver(client, text_message("Necesito factura"))
    [conversation] = await eventually(lambda: conversations(client, auth, "mine"))
    cid = conversation["id"]
    beto_auth = await bearer(client, beto)
    before = await client.get(f"/api/v1/conversations/{cid}", headers=beto_auth)
    assert before.status_code == 403
    note = await client.post(
        f"/api/v1/conversations/{cid}/notes",
        json={"text": "@beto lopez ¿lo ves? @ana @nadie @BETO"}, headers=auth,
    )  # fmt: skip
    assert note.status_code == 201, note.text
    assert (await client.get(f"/api/v1/conversations/{cid}", headers=beto_auth)).status_code == 200
    thread = await client.get(f"/api/v1/conversations/{cid}/messages", headers=beto_auth)
    assert thread.status_code == 200
    reply = await client.post(
        f"/api/v1/conversations/{cid}/messages", json={"text": "hola"}, headers=beto_auth
    )
    assert reply.status_code == 403
    listed = (await client.get("/api/v1/mentions", headers=beto_auth)).json()["mentions"]
    assert [(m["user_id"], m["author"]["name"]) for m in listed] == [(beto.id, "Ana Ruiz")]
    assert listed[0]["message_id"] == note.json()["id"]
    assert (await client.get("/api/v1/mentions", headers=auth)).json() == {"mentions": []}
    with db.read() as session:
        events = session.scalars(select(Event).where(Event.type == "mention.created")).all()
    assert [e.audience for e in events] == [[beto.id]]
