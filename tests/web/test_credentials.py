"""Sessions and tokens are revocable from the server: signing out ends the session wherever
its cookie was copied; a password change or a deactivation ends all of a user's sessions and
tokens; a program can revoke its own token. Each request pays one indexed read for it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from cdmx.app import create_app
from cdmx.db.engine import Database
from cdmx.db.tables import AuditEntry, Credential, User
from cdmx.realtime import sse
from cdmx.settings import Settings
from tests.conftest import PASSWORD, GraphRecorder, bearer
from tests.counting import assert_queries
from tests.servers import serving
from tests.web.test_sign_in_links import csrf
from tests.web.test_user_streams import follow_to_the_end

NEW_PASSWORD = "otra-clave-muy-larga"


def second_client(app: Any, cookies: httpx.Cookies | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", cookies=cookies)


async def console_session(client: httpx.AsyncClient, user: User) -> str:
    """Sign ``user`` in at /login; the page's CSRF token."""
    form = {
        "email": user.email,
        "password": PASSWORD,
        "csrf_token": csrf((await client.get("/login")).text),
    }
    assert (await client.post("/login", data=form)).status_code == 303
    return csrf((await client.get("/")).text)


def audit_rows(db: Database, action: str) -> list[AuditEntry]:
    with db.read() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def test_signing_out_ends_the_session_in_a_copy_of_the_cookie_too(
    app: Any, client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    token = await console_session(client, agent)
    async with second_client(app, httpx.Cookies(client.cookies)) as thief:
        assert (await thief.get("/api/v1/me")).status_code == 200  # the copy works…
        out = await client.post("/logout", data={"csrf_token": token})
        assert out.status_code == 303
        assert (await thief.get("/api/v1/me")).status_code == 401  # …until the sign-out
        page = await thief.get("/")
        assert page.status_code == 303 and page.headers["location"] == "/login"
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_a_password_change_ends_every_session_and_token_of_the_user(
    app: Any, client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    admin = await bearer(client, make_user(role="admin"))
    agent = make_user()
    token = await bearer(client, agent)
    async with second_client(app) as browser:
        await console_session(browser, agent)
        assert (await browser.get("/api/v1/me")).status_code == 200
        changed = await client.patch(
            f"/api/v1/users/{agent.id}", json={"password": NEW_PASSWORD}, headers=admin
        )
        assert changed.status_code == 200, changed.text
        assert (await browser.get("/api/v1/me")).status_code == 401
    refused = await client.get("/api/v1/me", headers=token)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    (row,) = audit_rows(db, "token.revoked")
    assert (row.object_type, row.object_id) == ("user", agent.id)
    assert row.detail == {"reason": "password_changed", "revoked": 2}
    # The new password opens a new session.
    assert (
        await client.post(
            "/api/v1/auth/token", json={"email": agent.email, "password": NEW_PASSWORD}
        )
    ).status_code == 200


async def test_a_deactivation_ends_every_session_and_token_of_the_user(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    admin = await bearer(client, make_user(role="admin"))
    agent = make_user()
    token = await bearer(client, agent)
    off = await client.patch(f"/api/v1/users/{agent.id}", json={"active": False}, headers=admin)
    assert off.status_code == 200, off.text
    assert (await client.get("/api/v1/me", headers=token)).status_code == 401
    # Turning them on again does not bring the old token back.
    on = await client.patch(f"/api/v1/users/{agent.id}", json={"active": True}, headers=admin)
    assert on.status_code == 200
    assert (await client.get("/api/v1/me", headers=token)).status_code == 401
    (row,) = audit_rows(db, "token.revoked")
    assert row.detail == {"reason": "deactivated", "revoked": 1}
    with db.read() as session:
        revoked = session.scalars(
            select(Credential.revoked_at).where(Credential.user_id == agent.id)
        ).all()
    assert revoked and all(when is not None for when in revoked)


async def test_a_program_revokes_its_own_token(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    token, other = await bearer(client, agent), await bearer(client, agent)
    gone = await client.delete("/api/v1/auth/token", headers=token)
    assert gone.status_code == 200 and gone.json() == {"revoked": True}
    assert (await client.get("/api/v1/me", headers=token)).status_code == 401
    assert (await client.get("/api/v1/me", headers=other)).status_code == 200  # only that one
    (row,) = audit_rows(db, "token.revoked")
    assert (row.object_type, row.actor_id, row.via) == ("token", agent.id, "token")
    assert row.detail == {"reason": "revoked_by_holder"}


async def test_an_expired_token_or_a_forged_one_is_refused(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    token = await bearer(client, agent)
    with db.write() as session:
        session.execute(
            update(Credential).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert (await client.get("/api/v1/me", headers=token)).status_code == 401
    forged = {"Authorization": "Bearer cdmxt_" + "A" * 43}
    assert (await client.get("/api/v1/me", headers=forged)).status_code == 401


async def test_a_request_pays_one_indexed_read_for_its_credential_and_its_use_once_a_minute(
    app: Any, client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    token = await bearer(client, agent)
    web = app.state.services.db
    # GET /api/v1/labels: the credential joined to its user, then the labels.
    with assert_queries(web, 2) as statements:
        assert (await client.get("/api/v1/labels", headers=token)).status_code == 200
    assert "FROM credentials JOIN users" in statements[0] and "token_hash" in statements[0]
    # A minute later the use is written once; the next request again writes nothing.
    with db.write() as session:
        session.execute(
            update(Credential).values(last_used_at=datetime.now(UTC) - timedelta(minutes=2))
        )
    with assert_queries(web, 3) as statements:
        assert (await client.get("/api/v1/labels", headers=token)).status_code == 200
    assert statements[1].startswith("UPDATE credentials SET last_used_at")
    with assert_queries(web, 2):
        assert (await client.get("/api/v1/labels", headers=token)).status_code == 200
    with db.read() as session:
        used = session.scalar(select(Credential.last_used_at))
    assert used is not None and datetime.now(UTC) - used < timedelta(seconds=30)


async def test_only_the_hash_of_a_secret_is_stored(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    token = (await bearer(client, make_user()))["Authorization"].removeprefix("Bearer ")
    assert token.startswith("cdmxt_")
    with db.read() as session:
        (row,) = session.scalars(select(Credential)).all()
    assert row.kind == "token" and token not in (row.token_hash, row.prefix)
    assert len(row.token_hash) == 64


async def test_an_open_event_stream_of_a_copied_cookie_ends_after_the_sign_out(
    settings: Settings, db: Database, graph: GraphRecorder, make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(sse, "HEARTBEAT_SECONDS", 0.2)  # the stream asks at each keep-alive
    agent = make_user()
    async with (
        serving(create_app(settings, graph_transport=graph.transport)) as base_url,
        httpx.AsyncClient(base_url=base_url) as owner,
    ):
        token = await console_session(owner, agent)
        async with httpx.AsyncClient(
            base_url=base_url, cookies=httpx.Cookies(owner.cookies)
        ) as copy:
            ready = asyncio.Event()
            stream = asyncio.create_task(follow_to_the_end(copy, {}, ready))
            await asyncio.wait_for(ready.wait(), timeout=10)
            await asyncio.sleep(0.5)
            assert not stream.done()  # keep-alives go by while the session is open
            assert (await owner.post("/logout", data={"csrf_token": token})).status_code == 303
            await asyncio.wait_for(stream, timeout=5)  # it ends by itself
            assert (await copy.get("/api/v1/events")).status_code == 401
