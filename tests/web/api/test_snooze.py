"""POST /api/v1/conversations/{id}/snooze: the contract, the errors, and the lists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from cdmx.db.tables import User
from tests.conftest import bearer, eventually
from tests.factories import text_message
from tests.web.api.test_conversations import conversations, deliver


async def test_snooze_through_the_api_and_back_when_the_customer_writes(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    agent = make_user(name="Ana")
    auth = await bearer(client, agent)
    await deliver(client, text_message("hola", wa_id="5215512340001"))
    [opened] = await eventually(lambda: conversations(client, auth, "mine"))
    until = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    response = await client.post(
        f"/api/v1/conversations/{opened['id']}/snooze",
        json={"until": until.astimezone().isoformat()}, headers=auth,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    snoozed = response.json()
    assert snoozed["status"] == "snoozed"
    assert snoozed["snoozed_until"] == until.isoformat().replace("+00:00", "Z")
    # Still in the agent's list (theirs, put aside), and in the snoozed filter.
    assert [c["id"] for c in await conversations(client, auth, "mine")] == [opened["id"]]
    listed = await client.get("/api/v1/conversations?view=all&status=snoozed", headers=auth)
    assert [c["id"] for c in listed.json()["conversations"]] == [opened["id"]]
    await deliver(client, text_message("¿siguen ahí?", wa_id="5215512340001"))

    async def woken() -> list[object]:
        shown = await client.get(f"/api/v1/conversations/{opened['id']}", headers=auth)
        return [True] if shown.json()["status"] == "assigned" else []

    await eventually(woken)
    back = (await client.get(f"/api/v1/conversations/{opened['id']}", headers=auth)).json()
    assert (back["assignee_id"], back["snoozed_until"]) == (agent.id, None)


async def test_a_snooze_without_offset_or_in_the_past_is_a_clear_422(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    auth = await bearer(client, agent)
    await deliver(client, text_message("hola", wa_id="5215512340002"))
    [opened] = await eventually(lambda: conversations(client, auth, "mine"))
    path = f"/api/v1/conversations/{opened['id']}/snooze"
    naive = await client.post(path, json={"until": "2030-01-01T09:00:00"}, headers=auth)
    assert naive.status_code == 422
    past = await client.post(path, json={"until": "2020-01-01T09:00:00-06:00"}, headers=auth)
    assert past.status_code == 422 and past.json()["error"]["code"] == "until_in_past"
    shown = (await client.get(f"/api/v1/conversations/{opened['id']}", headers=auth)).json()
    assert shown["status"] == "assigned"
