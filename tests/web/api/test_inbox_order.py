"""The inbox's orders through the API: recent, unread first, longest-waiting first (with
``waiting_since``), each keeping who sees what."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, User
from tests.conftest import bearer, eventually
from tests.factories import text_message
from tests.web.api.test_conversations import deliver

PATH = "/api/v1/conversations"
NOW = datetime.now(UTC).replace(microsecond=0)


async def names(client: httpx.AsyncClient, auth: dict[str, str], **params: Any) -> list[str]:
    response = await client.get(PATH, params=params, headers=auth)
    assert response.status_code == 200, response.text
    return [row["contact"]["name"] for row in response.json()["conversations"]]


async def four_customers(
    client: httpx.AsyncClient, db: Database, agent_auth: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Ana (waiting 40 min, read), Beto (waiting 10 min, unread), Carla (answered, latest
    activity, unread) and Dora (waiting 25 min, read): recent order is Carla, Beto, Dora, Ana."""
    for index, name in enumerate(("Ana", "Beto", "Carla", "Dora")):
        await deliver(client, text_message("hola", wa_id=f"52155100000{index}", name=name))

    async def all_four() -> list[Any]:
        response = await client.get(PATH, params={"view": "mine"}, headers=agent_auth)
        rows: list[Any] = response.json()["conversations"]
        return rows if len(rows) == 4 else []

    rows = await eventually(all_four, timeout=10)
    by_name = {row["contact"]["name"]: row for row in rows}
    reply = await client.post(
        f"{PATH}/{by_name['Carla']['id']}/messages",
        json={"type": "text", "text": "Con gusto"}, headers=agent_auth,
    )  # fmt: skip
    assert reply.status_code in (200, 201, 202), reply.text
    minutes = {"Ana": (40, 40, 0), "Beto": (10, 10, 2), "Carla": (30, 1, 1), "Dora": (25, 25, 0)}
    with db.write() as session:
        for name, (inbound, last, unread) in minutes.items():
            session.execute(
                update(Conversation)
                .where(Conversation.id == by_name[name]["id"])
                .values(
                    last_inbound_at=NOW - timedelta(minutes=inbound),
                    last_message_at=NOW - timedelta(minutes=last),
                    unread_count=unread,
                )
            )
    return by_name


async def test_each_order_and_waiting_since(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user(name="Agente")
    auth = await bearer(client, agent)
    await four_customers(client, db, auth)
    assert await names(client, auth, view="mine") == ["Carla", "Beto", "Dora", "Ana"]
    assert await names(client, auth, view="mine", order="recent") == [
        "Carla",
        "Beto",
        "Dora",
        "Ana",
    ]
    # Unread first (each group by recent activity).
    assert await names(client, auth, view="mine", order="unread") == [
        "Carla",
        "Beto",
        "Dora",
        "Ana",
    ][:2] + ["Dora", "Ana"]
    # Waiting: the customers whose message is the last, oldest first; the answered after.
    assert await names(client, auth, view="mine", order="waiting") == [
        "Ana",
        "Dora",
        "Beto",
        "Carla",
    ]
    response = await client.get(PATH, params={"view": "mine", "order": "waiting"}, headers=auth)
    waiting = {r["contact"]["name"]: r["waiting_since"] for r in response.json()["conversations"]}
    assert waiting["Carla"] is None
    assert datetime.fromisoformat(waiting["Ana"]) == NOW - timedelta(minutes=40)
    assert datetime.fromisoformat(waiting["Beto"]) == NOW - timedelta(minutes=10)
    one = await client.get(f"{PATH}/{response.json()['conversations'][0]['id']}", headers=auth)
    assert one.json()["waiting_since"] == waiting["Ana"]


async def test_unread_puts_unread_rows_first(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    auth = await bearer(client, make_user(name="Agente"))
    by_name = await four_customers(client, db, auth)
    with db.write() as session:  # Ana alone unread now: the oldest activity goes first
        session.execute(update(Conversation).values(unread_count=0))
        session.execute(
            update(Conversation)
            .where(Conversation.id == by_name["Ana"]["id"])
            .values(unread_count=3)
        )
    assert await names(client, auth, view="mine", order="unread") == [
        "Ana",
        "Carla",
        "Beto",
        "Dora",
    ]
    assert await names(client, auth, view="mine", order="recent") == [
        "Carla",
        "Beto",
        "Dora",
        "Ana",
    ]


async def test_orders_keep_visibility_and_refuse_other_values(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    auth = await bearer(client, make_user(name="Agente"))
    await four_customers(client, db, auth)
    other = await bearer(client, make_user(name="Otra"))
    boss = await bearer(client, make_user(name="Jefa", role="supervisor", availability="away"))
    for order in ("recent", "unread", "waiting"):
        assert await names(client, other, view="mine", order=order) == []
        assert await names(client, other, view="all", order=order) == []
        assert sorted(await names(client, boss, view="all", order=order)) == [
            "Ana", "Beto", "Carla", "Dora",
        ]  # fmt: skip
    refused = await client.get(PATH, params={"order": "oldest"}, headers=auth)
    assert refused.status_code == 422
