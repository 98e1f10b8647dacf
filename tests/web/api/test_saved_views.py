"""Saved inbox views through the API: each user's own, named uniquely, filters checked."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from cdmx.db.tables import User
from tests.conftest import bearer

PATH = "/api/v1/views"
FILTERS = {"view": "all", "status": "queued", "order": "waiting", "label_id": 3}


async def test_a_user_saves_renames_and_deletes_their_own_views(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    auth = await bearer(client, make_user(name="Ana"))
    created = await client.post(
        PATH, json={"name": " Reclamos sin responder ", "filters": FILTERS}, headers=auth
    )
    assert created.status_code == 201, created.text
    view = created.json()
    assert view["name"] == "Reclamos sin responder" and view["created_at"]
    # Every key comes back, the unset ones as null.
    assert view["filters"] == {**FILTERS, "queue_id": None, "assignee_id": None}
    listed = await client.get(PATH, headers=auth)
    assert listed.status_code == 200 and listed.json() == {"views": [view]}

    changed = await client.patch(
        f"{PATH}/{view['id']}", json={"name": "Cola", "filters": {"view": "queue"}}, headers=auth
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Cola" and changed.json()["filters"]["view"] == "queue"
    assert changed.json()["filters"]["order"] is None
    assert (await client.delete(f"{PATH}/{view['id']}", headers=auth)).status_code == 204
    assert (await client.get(PATH, headers=auth)).json() == {"views": []}
    assert (await client.delete(f"{PATH}/{view['id']}", headers=auth)).status_code == 404


async def test_names_are_unique_per_user_and_views_are_private(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    ana = await bearer(client, make_user(name="Ana"))
    beto = await bearer(client, make_user(name="Beto", role="supervisor"))
    first = (await client.post(PATH, json={"name": "Mías"}, headers=ana)).json()
    again = await client.post(PATH, json={"name": "Mías"}, headers=ana)
    assert again.status_code == 409 and again.json()["error"]["code"] == "view_exists"
    # Another user may use the same name, and never sees or touches Ana's.
    assert (await client.post(PATH, json={"name": "Mías"}, headers=beto)).status_code == 201
    [own] = (await client.get(PATH, headers=beto)).json()["views"]
    assert own["id"] != first["id"]
    for method in ("patch", "delete"):
        kwargs = {"json": {"name": "x"}} if method == "patch" else {}
        response = await getattr(client, method)(f"{PATH}/{first['id']}", headers=beto, **kwargs)
        assert response.status_code == 404, method
    # Renaming onto one's own other view's name is the same conflict.
    second = (await client.post(PATH, json={"name": "Otra"}, headers=ana)).json()
    clash = await client.patch(f"{PATH}/{second['id']}", json={"name": "Mías"}, headers=ana)
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "view_exists"


async def test_bad_names_and_filters_are_refused(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    auth = await bearer(client, make_user(name="Ana"))
    for body in (
        {"name": ""},
        {"name": "x" * 101},
        {"name": "a", "filters": {"colour": "red"}},
        {"name": "a", "filters": {"order": "oldest"}},
        {"name": "a", "filters": {"view": "everything"}},
        {"name": "a", "filters": {"status": "open"}},
        {"name": "a", "filters": {"label_id": 0}},
        {"name": "a", "filters": {"queue_id": "uno"}},
        {"name": "a", "extra": 1},
    ):
        response = await client.post(PATH, json=body, headers=auth)
        assert response.status_code == 422, body
    assert (await client.get(PATH, headers=auth)).json() == {"views": []}
    assert (await client.post(PATH, json={"name": "x" * 100}, headers=auth)).status_code == 201
