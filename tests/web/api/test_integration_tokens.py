"""Integration tokens: admins make named tokens with scopes and an optional expiry, shown
once and stored hashed; every /api/v1 route needs a scope (403 ``insufficient_scope``
otherwise); a revoked or expired token is refused at once; the token acts as its own
service user, the author of what it sends and the actor in the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from cdmx.db.engine import Database
from cdmx.db.tables import AuditEntry, Credential, User
from cdmx.domain.scopes import SCOPES
from cdmx.web.scopes import ROUTE_SCOPES
from tests.conftest import bearer, eventually
from tests.counting import count_queries
from tests.factories import text_message
from tests.web.api.test_conversations import deliver

# A route each scope opens (reports:read has no route on this branch yet).
OPENS = {
    "conversations:read": ("GET", "/api/v1/conversations"),
    "conversations:write": ("POST", "/api/v1/conversations/{cid}/read"),
    "messages:write": ("GET", "/api/v1/templates"),
    "contacts:read": ("GET", "/api/v1/contacts?q=Cliente"),
    "contacts:write": ("PATCH", "/api/v1/contacts/{contact}"),
    "webhooks:manage": ("GET", "/api/v1/webhooks"),
    "audit:read": ("GET", "/api/v1/audit"),
}


async def make_token(
    client: httpx.AsyncClient, admin: dict[str, str], scopes: list[str], **more: Any
) -> dict[str, Any]:
    made = await client.post(
        "/api/v1/integration-tokens", json={"name": more.pop("name", "Pedidos"), "scopes": scopes, **more},
        headers=admin,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def auth(token: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['token']}"}


@pytest.fixture
async def admin(client: httpx.AsyncClient, make_user: Callable[..., User]) -> dict[str, str]:
    return await bearer(client, make_user(role="admin", name="Alma Admin"))


async def a_conversation(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    await deliver(client, text_message("¿Ya salió mi pedido 4512?"))

    async def listed() -> list[Any]:
        found = await client.get("/api/v1/conversations", params={"view": "all"}, headers=admin)
        return found.json()["conversations"]  # type: ignore[no-any-return]

    return (await eventually(listed))[0]  # type: ignore[no-any-return]


def test_every_api_route_is_mapped_to_a_scope_or_closed_to_tokens(app: Any) -> None:
    routed = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert routed - set(ROUTE_SCOPES) == set(), "map these routes in cdmx/web/scopes.py"
    assert set(ROUTE_SCOPES) - routed == set(), "these mapped routes do not exist"
    assert {scope for scope in ROUTE_SCOPES.values() if scope} <= set(SCOPES)


async def test_each_scope_opens_its_routes_and_is_refused_everywhere_else(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    conversation = await a_conversation(client, admin)
    fill = {"cid": conversation["id"], "contact": conversation["contact"]["id"]}
    for scope in SCOPES:
        token = auth(await make_token(client, admin, [scope], name=f"solo {scope}"))
        for other, (method, path) in OPENS.items():
            body = {"name": "Cliente"} if method == "PATCH" else None
            answer = await client.request(method, path.format(**fill), json=body, headers=token)
            if other == scope:
                assert answer.status_code < 400, (scope, path, answer.text)
            else:
                assert answer.status_code == 403, (scope, path, answer.text)
                assert answer.json()["error"]["code"] == "insufficient_scope"
        # A person's own routes and the administration are closed to every token.
        for method, path in (
            ("GET", "/api/v1/me"),
            ("GET", "/api/v1/users"),
            ("GET", "/api/v1/integration-tokens"),
        ):
            refused = await client.request(method, path, headers=token)
            assert (
                refused.status_code == 403
                and refused.json()["error"]["code"] == "insufficient_scope"
            )


async def test_a_token_with_every_scope_still_cannot_make_tokens(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    token = auth(await make_token(client, admin, list(SCOPES)))
    refused = await client.post(
        "/api/v1/integration-tokens", json={"name": "x", "scopes": list(SCOPES)}, headers=token
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"


async def test_a_revoked_token_is_refused_at_once_and_the_revocation_is_audited(
    client: httpx.AsyncClient, admin: dict[str, str], db: Database
) -> None:
    made = await make_token(client, admin, ["conversations:read"])
    assert (await client.get("/api/v1/conversations", headers=auth(made))).status_code == 200
    revoked = await client.delete(f"/api/v1/integration-tokens/{made['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    refused = await client.get("/api/v1/conversations", headers=auth(made))
    assert refused.status_code == 401
    again = await client.delete(f"/api/v1/integration-tokens/{made['id']}", headers=admin)
    assert again.status_code == 200  # revoking twice changes nothing
    assert (await client.delete("/api/v1/integration-tokens/999", headers=admin)).status_code == 404
    with db.read() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "token")).all()
    assert [(r.action, r.object_id) for r in rows] == [
        ("token.created", made["id"]), ("token.revoked", made["id"]),
    ]  # fmt: skip
    assert rows[0].after == {
        "name": "Pedidos", "prefix": made["prefix"], "scopes": ["conversations:read"], "expires_at": None,
    }  # fmt: skip
    assert rows[1].detail == {"reason": "revoked_by_admin"}


async def test_an_expired_token_is_refused_at_once(
    client: httpx.AsyncClient, admin: dict[str, str], db: Database
) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    made = await make_token(client, admin, ["conversations:read"], expires_at=soon)
    assert made["expires_at"] is not None
    assert (await client.get("/api/v1/conversations", headers=auth(made))).status_code == 200
    with db.write() as session:
        session.execute(
            update(Credential)
            .where(Credential.id == made["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert (await client.get("/api/v1/conversations", headers=auth(made))).status_code == 401
    listed = (await client.get("/api/v1/integration-tokens", headers=admin)).json()
    assert listed["integration_tokens"][0]["status"] == "expired"


async def test_a_token_is_shown_once_and_listed_by_its_prefix_only(
    client: httpx.AsyncClient, admin: dict[str, str], db: Database
) -> None:
    made = await make_token(client, admin, ["contacts:read", "conversations:read"])
    assert made["token"].startswith("cdmxi_") and made["token"].startswith(made["prefix"])
    assert len(made["prefix"]) == 12 and made["scopes"] == ["contacts:read", "conversations:read"]
    listed = await client.get("/api/v1/integration-tokens", headers=admin)
    (shown,) = listed.json()["integration_tokens"]
    assert "token" not in shown and made["token"] not in listed.text
    assert shown["created_by"] == "Alma Admin" and shown["last_used_at"] is None
    assert set(listed.json()["scopes"]) == set(SCOPES)
    with db.read() as session:
        row = session.get(Credential, made["id"])
    assert row is not None
    assert made["token"] not in (row.token_hash, row.prefix)


async def test_bad_names_scopes_and_expiries_are_refused(
    client: httpx.AsyncClient, admin: dict[str, str], make_user: Callable[..., User]
) -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    for body, code in (
        ({"name": " ", "scopes": ["contacts:read"]}, "invalid_name"),
        ({"name": "x", "scopes": []}, "invalid_scopes"),
        ({"name": "x", "scopes": ["everything"]}, "unknown_scope"),
        ({"name": "x", "scopes": ["contacts:read"], "expires_at": past}, "invalid_expiry"),
    ):
        refused = await client.post("/api/v1/integration-tokens", json=body, headers=admin)
        assert refused.status_code == 422 and refused.json()["error"]["code"] == code, body
    agent = await bearer(client, make_user())
    refused = await client.post(
        "/api/v1/integration-tokens", json={"name": "x", "scopes": ["contacts:read"]}, headers=agent
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "admins_only"


async def test_a_token_reply_and_note_show_its_service_user_as_author_and_actor(
    client: httpx.AsyncClient, admin: dict[str, str], db: Database
) -> None:
    conversation = await a_conversation(client, admin)
    made = await make_token(
        client, admin, ["messages:write", "conversations:read"], name="Sistema de pedidos"
    )
    token = auth(made)
    path = f"/api/v1/conversations/{conversation['id']}"
    sent = await client.post(
        f"{path}/messages",
        json={"type": "text", "text": "Su pedido 4512 va en camino", "local_id": "p-4512"},
        headers=token,
    )
    assert sent.status_code == 202, sent.text
    note = await client.post(f"{path}/notes", json={"text": "pedido 4512 enviado"}, headers=token)
    assert note.status_code in (200, 201, 202), note.text
    thread = (await client.get(f"{path}/messages", headers=token)).json()["messages"]
    ours = [m for m in thread if m["direction"] != "inbound"]
    assert {m["text"] for m in ours} == {"Su pedido 4512 va en camino", "pedido 4512 enviado"}
    service = {"id": made["service_user_id"], "name": "Sistema de pedidos"}
    assert all(m["author"] == service for m in ours), ours
    with db.read() as session:
        (entry,) = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "note.created")
        ).all()
        user = session.get(User, made["service_user_id"])
    assert (entry.actor_id, entry.actor_name, entry.via) == (
        service["id"],
        service["name"],
        "token",
    )
    assert user is not None and user.role == "integration"


async def test_the_service_user_never_signs_in_and_is_not_listed_among_people(
    client: httpx.AsyncClient, admin: dict[str, str], db: Database
) -> None:
    made = await make_token(client, admin, ["conversations:read"])
    with db.read() as session:
        service = session.get(User, made["service_user_id"])
    assert service is not None
    for password in ("!", "", "x" * 12):
        tried = await client.post(
            "/api/v1/auth/token", json={"email": service.email, "password": password}
        )
        assert tried.status_code in (401, 422)
    users = (await client.get("/api/v1/users", headers=admin)).json()["users"]
    agents = (await client.get("/api/v1/agents", headers=admin)).json()["agents"]
    assert service.id not in {u["id"] for u in users} | {a["id"] for a in agents}
    changed = await client.patch(
        f"/api/v1/users/{service.id}", json={"password": "x" * 12}, headers=admin
    )
    assert changed.status_code == 404


async def test_last_use_is_written_at_most_once_a_minute(
    app: Any, client: httpx.AsyncClient, admin: dict[str, str], db: Database
) -> None:
    made = await make_token(client, admin, ["conversations:read"])
    web = app.state.services.db
    with count_queries(web) as first:
        assert (await client.get("/api/v1/labels", headers=auth(made))).status_code == 200
    with count_queries(web) as second:
        assert (await client.get("/api/v1/labels", headers=auth(made))).status_code == 200
    touches = [s for s in first + second if s.startswith("UPDATE credentials SET last_used_at")]
    assert len(touches) == 1 and len(second) == 2  # the read of the token, then the labels
    listed = (await client.get("/api/v1/integration-tokens", headers=admin)).json()
    assert listed["integration_tokens"][0]["last_used_at"] is not None
