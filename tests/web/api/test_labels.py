"""Labels through the API: admin-only management and its validation, setting a
conversation's labels (the copy, the refusals), copies following renames and deletes, and
``?label_id=`` filtering."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from cdmx.db.tables import User
from tests.conftest import bearer, eventually
from tests.factories import text_message
from tests.web.api.test_conversations import conversations, deliver

PATH = "/api/v1/labels"


async def make_label(
    client: httpx.AsyncClient, auth: dict[str, str], name: str, color: str = "#AA0000"
) -> dict[str, Any]:
    response = await client.post(PATH, json={"name": name, "color": color}, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_only_admins_manage_labels_and_bad_input_is_refused(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    admin = await bearer(client, make_user(role="admin"))
    agent = await bearer(client, make_user())
    refused = await client.post(PATH, json={"name": "VIP", "color": "#123456"}, headers=agent)
    assert refused.status_code == 403
    vip = await make_label(client, admin, "  VIP ", "#123456")
    assert (vip["name"], vip["color"]) == ("VIP", "#123456")
    await make_label(client, admin, "Factura")
    twin = await client.post(PATH, json={"name": "vip", "color": "#123456"}, headers=admin)
    assert (twin.status_code, twin.json()["error"]["code"]) == (409, "label_exists")
    bad = await client.post(PATH, json={"name": "X", "color": "red"}, headers=admin)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_color")
    empty = await client.post(PATH, json={"name": "  ", "color": "#123456"}, headers=admin)
    assert empty.status_code == 422
    listed = await client.get(PATH, headers=agent)
    assert [item["name"] for item in listed.json()["labels"]] == ["Factura", "VIP"]
    assert (await client.delete(f"{PATH}/{vip['id']}", headers=agent)).status_code == 403


async def test_setting_labels_keeps_the_copy_and_filters_the_inbox(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    admin = await bearer(client, make_user(role="admin", availability="offline"))
    agent = await bearer(client, make_user())
    await deliver(client, text_message("hola", wa_id="5215512340001", name="María"))
    [conversation] = await eventually(lambda: conversations(client, agent, "mine"))
    venta = await make_label(client, admin, "Venta", "#00AA00")
    reclamo = await make_label(client, admin, "Reclamo")
    url = f"/api/v1/conversations/{conversation['id']}/labels"
    unknown = await client.put(url, json={"label_ids": [999999]}, headers=agent)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (422, "unknown_label")
    ids = [venta["id"], reclamo["id"], venta["id"]]
    done = await client.put(url, json={"label_ids": ids}, headers=agent)
    assert done.status_code == 200, done.text
    assert [item["name"] for item in done.json()["labels"]] == ["Reclamo", "Venta"]
    other = await bearer(client, make_user(availability="offline"))
    assert (await client.put(url, json={"label_ids": []}, headers=other)).status_code == 403
    found = await client.get(
        "/api/v1/conversations", params={"label_id": venta["id"]}, headers=agent
    )
    assert [item["id"] for item in found.json()["conversations"]] == [conversation["id"]]
    renamed = await client.patch(
        f"{PATH}/{venta['id']}", json={"name": "Ventas", "color": "#0000aa"}, headers=admin
    )
    assert renamed.status_code == 200 and renamed.json()["color"] == "#0000AA"
    [shown] = await conversations(client, agent, "mine")
    assert {item["name"] for item in shown["labels"]} == {"Reclamo", "Ventas"}
    assert (await client.delete(f"{PATH}/{reclamo['id']}", headers=admin)).status_code == 204
    [shown] = await conversations(client, agent, "mine")
    assert [item["name"] for item in shown["labels"]] == ["Ventas"]
