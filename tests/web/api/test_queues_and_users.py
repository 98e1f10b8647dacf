"""Queues, users and a number's queue through the REST API, as an admin's program uses them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from cdmx.db.tables import User
from tests.conftest import PASSWORD, bearer, eventually
from tests.factories import text_message
from tests.web.api.test_conversations import conversations, deliver

WEEKDAYS = {"mon": [["09:00", "18:00"]], "tue": [["09:00", "14:00"], ["16:00", "19:00"]]}


async def test_an_admin_creates_lists_and_changes_queues(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    admin = make_user(role="admin", availability="away")
    agent = make_user()
    auth = await bearer(client, admin)
    listed = (await client.get("/api/v1/queues", headers=auth)).json()["queues"]
    assert [q["name"] for q in listed] == ["General"]
    assert listed[0]["member_ids"] == [admin.id, agent.id] and len(listed[0]["number_ids"]) == 1

    body = {
        "name": "Soporte", "member_ids": [agent.id], "greeting_message": "¡Hola! Soporte aquí.",
        "hours": {"weekly": WEEKDAYS, "holidays": "MX", "closed_dates": ["2026-12-24"]},
        "reroute_after_minutes": 10,
    }  # fmt: skip
    created = await client.post("/api/v1/queues", json=body, headers=auth)
    assert created.status_code == 201, created.text
    queue = created.json()
    assert set(queue) >= {
        "id", "name", "number_ids", "member_ids", "hours", "greeting_message",
        "closed_message", "reroute_after_minutes", "auto_close_after_hours", "open_now",
    }  # fmt: skip
    assert queue["hours"]["weekly"]["tue"] == [["09:00", "14:00"], ["16:00", "19:00"]]
    assert queue["hours"]["weekly"]["sun"] == [] and isinstance(queue["open_now"], bool)
    assert (queue["member_ids"], queue["auto_close_after_hours"]) == ([agent.id], None)

    changed = await client.patch(
        f"/api/v1/queues/{queue['id']}", json={"hours": None, "closed_message": "Cerrado"},
        headers=auth,
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["hours"] is None and changed.json()["open_now"] is True
    assert changed.json()["greeting_message"] == "¡Hola! Soporte aquí."  # untouched
    fetched = (await client.get(f"/api/v1/queues/{queue['id']}", headers=auth)).json()
    assert fetched["closed_message"] == "Cerrado"


async def test_queue_changes_refuse_bad_input_with_a_clear_error(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    admin, agent = make_user(role="admin"), make_user()
    auth = await bearer(client, admin)
    bad_hours = {"name": "Noche", "hours": {"weekly": {"mon": [["22:00", "25:00"]]}}}
    response = await client.post("/api/v1/queues", json=bad_hours, headers=auth)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_hours"
    assert "hours.weekly.mon[0]" in response.json()["error"]["message"]
    duplicate = await client.post("/api/v1/queues", json={"name": "general"}, headers=auth)
    assert duplicate.status_code == 409
    missing = await client.patch("/api/v1/queues/999", json={"name": "x"}, headers=auth)
    assert missing.status_code == 404
    agent_auth = await bearer(client, agent)
    refused = await client.post("/api/v1/queues", json={"name": "Mía"}, headers=agent_auth)
    assert refused.status_code == 403
    names = [q["name"] for q in (await client.get("/api/v1/queues", headers=auth)).json()["queues"]]
    assert names == ["General"]


async def test_a_number_moved_to_a_queue_sends_its_new_customers_there(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    admin = make_user(role="admin", availability="away")
    sales, support = make_user(name="Ventas"), make_user(name="Soporte")
    auth = await bearer(client, admin)
    queue = (
        await client.post(
            "/api/v1/queues", json={"name": "Soporte", "member_ids": [support.id]}, headers=auth
        )
    ).json()
    number_id = (await client.get("/api/v1/numbers", headers=auth)).json()["numbers"][0]["id"]
    moved = await client.patch(
        f"/api/v1/numbers/{number_id}", json={"queue_id": queue["id"]}, headers=auth
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["queue_id"] == queue["id"]
    await deliver(client, text_message("Mi módem no enciende"))
    [routed] = await eventually(lambda: conversations(client, auth, "all"))
    assert (routed["queue_id"], routed["assignee_id"]) == (queue["id"], support.id)
    assert routed["snoozed_until"] is None
    in_queue = await client.get(
        "/api/v1/conversations", params={"queue_id": queue["id"]}, headers=auth
    )
    assert [c["id"] for c in in_queue.json()["conversations"]] == [routed["id"]]
    other = await client.get("/api/v1/conversations", params={"queue_id": 999}, headers=auth)
    assert other.json()["conversations"] == []
    assert sales.id != routed["assignee_id"]
    wrong = await client.patch(f"/api/v1/numbers/{number_id}", json={"queue_id": 999}, headers=auth)
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "unknown_queue"


async def test_an_admin_creates_changes_and_deactivates_users(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    admin = make_user(role="admin", availability="away")
    auth = await bearer(client, admin)
    body = {"email": "Lucia@Example.MX", "name": "Lucía", "role": "agent", "password": PASSWORD}
    created = await client.post("/api/v1/users", json={**body, "capacity": 3}, headers=auth)
    assert created.status_code == 201, created.text
    user = created.json()
    assert {k: user[k] for k in ("email", "name", "role", "capacity", "active")} == {
        "email": "lucia@example.mx", "name": "Lucía", "role": "agent", "capacity": 3,
        "active": True,
    }  # fmt: skip
    assert len(user["queue_ids"]) == 1  # the default queue
    again = await client.post("/api/v1/users", json=body, headers=auth)
    assert again.status_code == 409

    login = {"email": "lucia@example.mx", "password": PASSWORD}
    token = (await client.post("/api/v1/auth/token", json=login)).json()["access_token"]
    lucia = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=lucia)).status_code == 200

    changed = await client.patch(
        f"/api/v1/users/{user['id']}", json={"role": "supervisor", "capacity": None},
        headers=auth,
    )  # fmt: skip
    assert (changed.json()["role"], changed.json()["capacity"]) == ("supervisor", None)
    listed = (await client.get("/api/v1/users", headers=auth)).json()["users"]
    assert {u["email"] for u in listed} == {admin.email, "lucia@example.mx"}

    off = await client.patch(f"/api/v1/users/{user['id']}", json={"active": False}, headers=auth)
    assert off.json()["active"] is False
    # Their token stops at once, and they cannot sign in again.
    assert (await client.get("/api/v1/me", headers=lucia)).status_code == 401
    assert (await client.post("/api/v1/auth/token", json=login)).status_code == 401


async def test_only_admins_manage_users_and_an_admin_cannot_lock_themself_out(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    admin, supervisor = make_user(role="admin"), make_user(role="supervisor")
    auth, sup = await bearer(client, admin), await bearer(client, supervisor)
    assert (await client.get("/api/v1/users", headers=sup)).status_code == 403
    itself = await client.patch(f"/api/v1/users/{admin.id}", json={"active": False}, headers=auth)
    assert itself.status_code == 403
    weak = await client.post(
        "/api/v1/users", json={"email": "x@y.mx", "password": "corta"}, headers=auth
    )
    assert weak.status_code == 422 and weak.json()["error"]["code"] == "weak_password"
    bad_capacity: dict[str, Any] = {"capacity": 5000}
    refused = await client.patch(f"/api/v1/users/{supervisor.id}", json=bad_capacity, headers=auth)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_capacity"


async def test_an_agent_sees_only_the_waiting_conversations_of_their_own_queues(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    admin = make_user(role="admin", availability="away")
    member, outsider = make_user(availability="away"), make_user(availability="away")
    auth = await bearer(client, admin)
    other = (await client.post("/api/v1/queues", json={"name": "Soporte"}, headers=auth)).json()
    moved = await client.patch(
        f"/api/v1/users/{outsider.id}", json={"queue_ids": [other["id"]]}, headers=auth
    )
    assert moved.status_code == 200, moved.text
    await deliver(client, text_message("Quiero una cotización de 40 sillas"))
    [waiting] = await eventually(lambda: conversations(client, auth, "queue"))
    mine, theirs = await bearer(client, member), await bearer(client, outsider)
    assert [c["id"] for c in await conversations(client, mine, "queue")] == [waiting["id"]]
    assert await conversations(client, theirs, "queue") == []
    assert await conversations(client, theirs, "all") == []
    path = f"/api/v1/conversations/{waiting['id']}"
    assert (await client.get(path, headers=mine)).status_code == 200
    assert (await client.get(path, headers=theirs)).status_code == 403
    found = await client.get("/api/v1/messages", params={"q": "sillas"}, headers=theirs)
    assert found.status_code == 200 and found.json()["messages"] == []
    found = await client.get("/api/v1/messages", params={"q": "sillas"}, headers=mine)
    assert len(found.json()["messages"]) == 1
    taken = await client.post(f"{path}/take", headers=theirs)
    assert taken.status_code in (403, 404), taken.text
