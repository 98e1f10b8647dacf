"""No 500 for anything a client can send: NUL characters, integers past 64 bits, deeply
nested or huge JSON, invalid UTF-8 — each a clear 4xx, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cdmx.db.engine import Database
from cdmx.db.tables import User
from tests.conftest import bearer
from tests.media_helpers import jpeg, media_webhook, record_inbound

BIG = "99999999999999999999999"  # past 64 bits
JSON = {"content-type": "application/json"}


async def test_a_nul_in_a_json_string_is_refused_and_an_escaped_backslash_is_text(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    auth = await bearer(client, make_user(role="admin"))
    refused = await client.post(
        "/api/v1/labels", json={"name": "Ven\u0000ta", "color": "#1F8A4C"}, headers=auth
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "invalid"
    assert "NUL" in refused.json()["error"]["message"]
    # A backslash followed by "u0000" is six characters of text, not a NUL.
    text = "C:\\u0000"
    kept = await client.post(
        "/api/v1/labels", json={"name": text, "color": "#1F8A4C"}, headers=auth
    )
    assert kept.status_code == 201, kept.text
    assert kept.json()["name"] == text


async def test_a_nul_in_a_query_is_dropped(
    client: httpx.AsyncClient, make_user: Callable[..., User], db: Database
) -> None:
    record_inbound(db, media_webhook("image", "1", mime_type="image/jpeg"))
    auth = await bearer(client, make_user(role="admin"))
    plain = await client.get("/api/v1/contacts?wa_id=5215512345678", headers=auth)
    with_nul = await client.get("/api/v1/contacts?wa_id=521551234%005678", headers=auth)
    assert with_nul.status_code == 200, with_nul.text
    assert with_nul.json() == plain.json() and plain.json()["contacts"]
    by_wamid = await client.get("/api/v1/messages?wamid=wamid.%00", headers=auth)
    assert by_wamid.status_code == 200 and by_wamid.json()["messages"] == []


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/api/v1/auth/token", {"json": {"email": "a\u0000@b.mx", "password": "x"}}),
        ("POST", "/login", {"data": {"email": "ana\u0000@b.mx", "password": "x"}}),
        ("POST", "/api/v1/contact-fields", {"json": {"name": "RFC\u0000"}}),
    ],
)
async def test_a_nul_in_a_form_or_a_json_body_is_refused(
    client: httpx.AsyncClient, make_user: Callable[..., User], method: str, path: str,
    kwargs: dict[str, Any],
) -> None:  # fmt: skip
    auth = await bearer(client, make_user(role="admin"))
    response = await client.request(method, path, headers=auth, **kwargs)
    assert response.status_code == 422, response.text


async def test_a_nul_in_an_upload_caption_is_stripped(
    client: httpx.AsyncClient, make_user: Callable[..., User], db: Database
) -> None:
    conversation = record_inbound(db, media_webhook("image", "1", mime_type="image/jpeg"))
    auth = await bearer(client, make_user())
    response = await client.post(
        f"/api/v1/conversations/{conversation.conversation_id}/media", headers=auth,
        files={"file": ("foto.jpg", jpeg(64, 64), "image/jpeg")},
        data={"caption": "ho\u0000la", "local_id": "l\u00001"},
    )  # fmt: skip
    assert response.status_code == 202, response.text
    assert response.json()["text"] == "hola"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/api/v1/conversations/{BIG}", None),
        ("GET", f"/api/v1/conversations/{BIG}/messages", None),
        ("GET", f"/api/v1/conversations?before={BIG}", None),
        ("GET", f"/api/v1/conversations/1/messages?before={BIG}", None),
        ("GET", f"/api/v1/contacts/{BIG}", None),
        ("POST", f"/api/v1/conversations/{BIG}/take", None),
        ("POST", f"/api/v1/conversations/{BIG}/messages", {"type": "text", "text": "hola"}),
        ("PATCH", f"/api/v1/labels/{BIG}", {"name": "x"}),
        ("PUT", f"/api/v1/conversations/{BIG}/labels", {"label_ids": [int(BIG)]}),
        ("PATCH", f"/api/v1/users/{BIG}", {"name": "x"}),
        ("POST", f"/api/v1/conversations/{BIG}/media", None),
    ],
)
async def test_integers_past_64_bits_are_answered_not_crashed_on(
    client: httpx.AsyncClient, make_user: Callable[..., User], method: str, path: str,
    body: dict[str, Any] | None,
) -> None:  # fmt: skip
    auth = await bearer(client, make_user(role="admin"))
    response = await client.request(method, path, headers=auth, json=body)
    assert response.status_code < 500, response.text
    assert response.status_code < 400 or "error" in response.json()


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 200_000 + b"]" * 200_000,  # nested past any parser's recursion
        b'{"name": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_000 + b', "color": "#000000"}',
        json.dumps({"name": "x", "color": "#1F8A4C", "extra": list(range(100_000))}).encode(),
        b'{"name": "\xff\xfe\xc3", "color": "#1F8A4C"}',  # invalid UTF-8
        b'{"name": "\\ud800", "color": "#1F8A4C"}',  # a lone surrogate
        b"\xef\xbb\xbf{}",
        b"",
    ],
)
async def test_odd_json_bodies_get_a_4xx(
    client: httpx.AsyncClient, make_user: Callable[..., User], content: bytes
) -> None:
    auth = await bearer(client, make_user(role="admin"))
    for path in ("/api/v1/labels", "/api/v1/auth/token", "/api/v1/conversations/1/messages"):
        response = await client.post(path, content=content, headers={**auth, **JSON})
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text)


async def test_invalid_utf8_in_a_form_and_a_query_gets_a_4xx(client: httpx.AsyncClient) -> None:
    form = await client.post(
        "/login", content=b"email=%FF%FE&password=\xff",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert form.status_code < 500, form.text
    query = await client.get("/api/v1/contacts?q=%FF%FE")
    assert query.status_code == 401
