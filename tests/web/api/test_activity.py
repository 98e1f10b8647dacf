"""Who else is here: activity reaches the conversation's audience with its expiry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx
from sqlalchemy import select

from cdmx.db.engine import Database
from cdmx.db.tables import Event, User
from tests.conftest import bearer, eventually
from tests.counting import count_queries
from tests.factories import text_message
from tests.web.api.test_conversations import conversations, deliver


async def test_activity_is_published_with_its_expiry_and_validated(
    client: httpx.AsyncClient, make_user: Callable[..., User], db: Database
) -> None:
    ana, beto = make_user(name="Ana"), make_user(name="Beto", availability="away")
    auth = await bearer(client, ana)
    await deliver(client, text_message("hola"))
    [conversation] = await eventually(lambda: conversations(client, auth, "mine"))
    url = f"/api/v1/conversations/{conversation['id']}/activity"
    for state in ("viewing", "typing", "left"):
        with count_queries(db) as statements:
            assert (await client.post(url, json={"state": state}, headers=auth)).status_code == 204
        assert len(statements) <= 8, statements  # the cost of one call, session check included
    bad = await client.post(url, json={"state": "dancing"}, headers=auth)
    assert bad.status_code == 422
    hidden = await client.post(url, json={"state": "viewing"}, headers=await bearer(client, beto))
    assert hidden.status_code == 403
    missing = await client.post("/api/v1/conversations/999999/activity", json={"state": "left"},
                                headers=auth)  # fmt: skip
    assert missing.status_code == 404
    with db.read() as session:
        events = session.scalars(
            select(Event).where(Event.type == "conversation.activity").order_by(Event.id)
        ).all()
    assert [e.data["state"] for e in events] == ["viewing", "typing", "left"]
    assert all(e.audience == [ana.id] for e in events)
    viewing, typing, left = (datetime.fromisoformat(e.data["expires_at"]) for e in events)
    assert 14 <= (viewing - left).total_seconds() <= 16
    assert 5 <= (typing - left).total_seconds() <= 7
