"""The audit trail: one row for each action a person takes, with who, what, which object,
from which address and the values before and after; written in the action's transaction;
listed by ``GET /api/v1/audit`` (admins, filters, cursor paging) and ``/audit.csv``; a
supervisor's or admin's read of a conversation that is not theirs, once per half hour; and
no route that updates or deletes a row."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select, update

from cdmx.actions.audit import Origin, acting, do_record_conversation_view, record_audit
from cdmx.db.engine import Database
from cdmx.db.tables import AuditEntry, Channel, User
from cdmx.domain.audit import ACTIONS
from tests.conftest import PASSWORD, bearer, eventually
from tests.counting import count_queries
from tests.factories import text_message
from tests.web.api.test_conversations import conversations, deliver

ADDRESS = "203.0.113.7"  # the client every request of this module comes from


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(ADDRESS, 50123))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def rows(db: Database, after_id: int = 0, action: str | None = None) -> list[AuditEntry]:
    with db.read() as session:
        query = select(AuditEntry).where(AuditEntry.id > after_id).order_by(AuditEntry.id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return list(session.scalars(query))


def last_id(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.max(AuditEntry.id))) or 0)


async def sign_in_console(client: httpx.AsyncClient, email: str, password: str) -> int:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"email": email, "password": password, "csrf_token": token.group(1)}
    return (await client.post("/login", data=form)).status_code


@dataclass
class World:
    """What a scenario works with; ``mark()`` just before the action it is about."""

    client: httpx.AsyncClient
    db: Database
    make_user: Callable[..., User]
    admin: User
    admin_auth: dict[str, str]
    since: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def mark(self) -> None:
        self.since = last_id(self.db)

    async def conversation(self, agent: User, wa_id: str = "5215512340001") -> dict[str, Any]:
        """A customer writes and ``agent`` (available) gets the conversation."""
        auth = await bearer(self.client, agent)
        await deliver(self.client, text_message("hola", wa_id=wa_id, name="María"))
        [found] = await eventually(lambda: conversations(self.client, auth, "mine"))
        self.extra["auth"] = auth
        return found  # type: ignore[no-any-return]


@dataclass
class Expected:
    action: str
    actor: User | None
    object: tuple[str | None, int | None]
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    detail: dict[str, Any] | None = None
    via: str = "token"


Scenario = Callable[[World], Awaitable[Expected]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str) -> Callable[[Scenario], Scenario]:
    def register(function: Scenario) -> Scenario:
        SCENARIOS[name] = function
        return function

    return register


@scenario("auth.sign_in")
async def _sign_in(w: World) -> Expected:
    w.mark()
    assert await sign_in_console(w.client, w.admin.email, PASSWORD) == 303
    return Expected("auth.sign_in", w.admin, ("user", w.admin.id), via="console")


@scenario("auth.sign_in_failed")
async def _sign_in_failed(w: World) -> Expected:
    w.mark()
    assert await sign_in_console(w.client, w.admin.email, "wrong password") == 401
    detail = {"email": w.admin.email}
    return Expected("auth.sign_in_failed", None, ("user", w.admin.id), detail=detail, via="console")


@scenario("auth.sign_in_failed/token, unknown e-mail")
async def _token_failed(w: World) -> Expected:
    w.mark()
    body = {"email": "Nadie@Test.cdmx", "password": "x"}
    assert (await w.client.post("/api/v1/auth/token", json=body)).status_code == 401
    return Expected("auth.sign_in_failed", None, (None, None), detail={"email": "nadie@test.cdmx"})


@scenario("auth.sign_out")
async def _sign_out(w: World) -> Expected:
    assert await sign_in_console(w.client, w.admin.email, PASSWORD) == 303
    page = await w.client.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    w.mark()
    out = await w.client.post("/logout", data={"csrf_token": token.group(1)})
    assert out.status_code == 303
    return Expected("auth.sign_out", w.admin, ("user", w.admin.id), via="console")


@scenario("auth.sign_in/through a sign-in link")
async def _sign_in_by_link(w: World) -> Expected:
    body = {"email": "nueva@test.cdmx", "name": "Nueva", "role": "agent"}
    created = await w.client.post("/api/v1/users", json=body, headers=w.admin_auth)
    link = urlsplit(created.json()["sign_in_link"]).path
    page = await w.client.get(link)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert page.status_code == 200 and token is not None
    w.mark()
    form = {"password": "una clave nueva larga", "confirm": "una clave nueva larga",
            "csrf_token": token.group(1)}  # fmt: skip
    assert (await w.client.post(link, data=form)).status_code == 303
    # The new password is theirs too: one user.changed by the invitee, never the password.
    [changed] = rows(w.db, w.since, "user.changed")
    assert (changed.actor_id, changed.detail) == (created.json()["id"], {"password_changed": True})
    w.extra["secret"] = "una clave nueva larga"
    invitee = User(id=created.json()["id"], name="Nueva")
    return Expected(
        "auth.sign_in", invitee, ("user", invitee.id), detail={"with": "sign_in_link"},
        via="console",
    )  # fmt: skip


@scenario("token.issued")
async def _token(w: World) -> Expected:
    agent = w.make_user()
    w.mark()
    await bearer(w.client, agent)
    return Expected("token.issued", agent, ("user", agent.id))


@scenario("user.created")
async def _user_created(w: World) -> Expected:
    w.mark()
    body = {"email": "luis@test.cdmx", "name": "Luis", "role": "agent", "password": PASSWORD}
    created = await w.client.post("/api/v1/users", json=body, headers=w.admin_auth)
    assert created.status_code == 201, created.text
    after = {"email": "luis@test.cdmx", "name": "Luis", "role": "agent", "active": True}
    return Expected("user.created", w.admin, ("user", created.json()["id"]), after=after)


@scenario("user.changed")
async def _user_changed(w: World) -> Expected:
    agent = w.make_user(name="Rosa")
    w.mark()
    body = {"name": "Rosa María", "capacity": 3, "password": "another long password"}
    changed = await w.client.patch(f"/api/v1/users/{agent.id}", json=body, headers=w.admin_auth)
    assert changed.status_code == 200, changed.text
    return Expected(
        "user.changed", w.admin, ("user", agent.id),
        before={"name": "Rosa", "capacity": None}, after={"name": "Rosa María", "capacity": 3},
        detail={"password_changed": True},
    )  # fmt: skip


@scenario("user.deactivated")
async def _user_deactivated(w: World) -> Expected:
    agent = w.make_user()
    w.mark()
    body = {"active": False}
    changed = await w.client.patch(f"/api/v1/users/{agent.id}", json=body, headers=w.admin_auth)
    assert changed.status_code == 200, changed.text
    return Expected(
        "user.deactivated", w.admin, ("user", agent.id), before={"active": True},
        after={"active": False},
    )  # fmt: skip


@scenario("user.sign_in_link")
async def _link(w: World) -> Expected:
    agent = w.make_user()
    w.mark()
    url = f"/api/v1/users/{agent.id}/sign-in-link"
    assert (await w.client.post(url, headers=w.admin_auth)).status_code == 200
    return Expected("user.sign_in_link", w.admin, ("user", agent.id))


@scenario("user.availability_changed")
async def _availability(w: World) -> Expected:
    agent = w.make_user()
    auth = await bearer(w.client, agent)
    w.mark()
    body = {"availability": "away"}
    assert (await w.client.put("/api/v1/me/availability", json=body, headers=auth)).is_success
    return Expected(
        "user.availability_changed", agent, ("user", agent.id),
        before={"availability": "available"}, after={"availability": "away"},
    )  # fmt: skip


@scenario("number.connected")
async def _number(w: World) -> Expected:
    w.mark()
    body = {
        "phone_number_id": "100000000000002", "display_phone_number": "525550000001",
        "access_token": "secret-token-2",
    }  # fmt: skip
    added = await w.client.post("/api/v1/numbers", json=body, headers=w.admin_auth)
    assert added.status_code == 201, added.text
    w.extra["secret"] = "secret-token-2"
    return Expected(
        "number.connected", w.admin, ("number", added.json()["id"]),
        after={"phone_number_id": "100000000000002", "provider": "meta"},
    )  # fmt: skip


async def _first_number(w: World) -> int:
    with w.db.read() as session:
        return int(session.scalars(select(Channel.id)).one())


@scenario("number.changed")
async def _number_changed(w: World) -> Expected:
    queue = await w.client.post("/api/v1/queues", json={"name": "Ventas"}, headers=w.admin_auth)
    number_id = await _first_number(w)
    with w.db.read() as session:
        before = session.get(Channel, number_id)
        assert before is not None
        old_queue = before.queue_id
    w.mark()
    body = {"queue_id": queue.json()["id"]}
    changed = await w.client.patch(f"/api/v1/numbers/{number_id}", json=body, headers=w.admin_auth)
    assert changed.status_code == 200, changed.text
    return Expected(
        "number.changed", w.admin, ("number", number_id), before={"queue_id": old_queue},
        after={"queue_id": queue.json()["id"]},
    )  # fmt: skip


@scenario("number.token_replaced")
async def _token_replaced(w: World) -> Expected:
    number_id = await _first_number(w)
    w.mark()
    body = {"access_token": "brand-new-secret"}
    url = f"/api/v1/numbers/{number_id}/token"
    assert (await w.client.put(url, json=body, headers=w.admin_auth)).status_code == 200
    w.extra["secret"] = "brand-new-secret"
    return Expected("number.token_replaced", w.admin, ("number", number_id))


@scenario("templates.synced")
async def _templates(w: World) -> Expected:
    w.mark()
    synced = await w.client.post("/api/v1/templates/sync", headers=w.admin_auth)
    assert synced.status_code == 200, synced.text
    return Expected(
        "templates.synced", w.admin, ("templates", None), detail={"synced": 0, "removed": 0}
    )


@scenario("queue.created")
async def _queue_created(w: World) -> Expected:
    w.mark()
    created = await w.client.post("/api/v1/queues", json={"name": "Soporte"}, headers=w.admin_auth)
    assert created.status_code == 201, created.text
    return Expected(
        "queue.created", w.admin, ("queue", created.json()["id"]),
        after={"name": "Soporte", "hours": None, "member_ids": []},
    )  # fmt: skip


@scenario("queue.changed (hours)")
async def _queue_changed(w: World) -> Expected:
    created = await w.client.post("/api/v1/queues", json={"name": "Soporte"}, headers=w.admin_auth)
    queue_id = created.json()["id"]
    hours = {"weekly": {"mon": [["09:00", "18:00"]]}, "holidays": None, "closed_dates": []}
    w.mark()
    changed = await w.client.patch(
        f"/api/v1/queues/{queue_id}", json={"hours": hours, "name": "Soporte MX"},
        headers=w.admin_auth,
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    return Expected(
        "queue.changed", w.admin, ("queue", queue_id),
        before={"hours": None, "name": "Soporte"}, after={"name": "Soporte MX"},
    )  # fmt: skip


@scenario("conversation.taken")
async def _taken(w: World) -> Expected:
    agent = w.make_user(availability="offline")
    auth = await bearer(w.client, agent)
    await deliver(w.client, text_message("hola", wa_id="5215512340001"))
    [waiting] = await eventually(lambda: conversations(w.client, auth, "queue"))
    w.mark()
    taken = await w.client.post(f"/api/v1/conversations/{waiting['id']}/take", headers=auth)
    assert taken.status_code == 200, taken.text
    return Expected(
        "conversation.taken", agent, ("conversation", waiting["id"]),
        before={"assignee_id": None}, after={"assignee_id": agent.id},
    )  # fmt: skip


@scenario("conversation.transferred")
async def _transferred(w: World) -> Expected:
    ana, beto = w.make_user(), w.make_user(availability="offline")
    found = await w.conversation(ana)
    w.mark()
    url = f"/api/v1/conversations/{found['id']}/transfer"
    moved = await w.client.post(url, json={"agent_id": beto.id}, headers=w.extra["auth"])
    assert moved.status_code == 200, moved.text
    return Expected(
        "conversation.transferred", ana, ("conversation", found["id"]),
        before={"assignee_id": ana.id}, after={"assignee_id": beto.id},
    )  # fmt: skip


@scenario("conversation.closed")
async def _closed(w: World) -> Expected:
    ana = w.make_user()
    found = await w.conversation(ana)
    w.mark()
    url = f"/api/v1/conversations/{found['id']}/close"
    assert (await w.client.post(url, headers=w.extra["auth"])).status_code == 200
    return Expected(
        "conversation.closed", ana, ("conversation", found["id"]),
        before={"status": "assigned"}, after={"status": "closed"},
    )  # fmt: skip


@scenario("conversation.snoozed")
async def _snoozed(w: World) -> Expected:
    ana = w.make_user()
    found = await w.conversation(ana)
    until = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    w.mark()
    url = f"/api/v1/conversations/{found['id']}/snooze"
    body = {"until": until.isoformat()}
    assert (await w.client.post(url, json=body, headers=w.extra["auth"])).status_code == 200
    return Expected(
        "conversation.snoozed", ana, ("conversation", found["id"]),
        before={"status": "assigned", "snoozed_until": None},
        after={"status": "snoozed", "snoozed_until": until.isoformat().replace("+00:00", "Z")},
    )  # fmt: skip


@scenario("conversation.read")
async def _read(w: World) -> Expected:
    ana = w.make_user()
    found = await w.conversation(ana)
    w.mark()
    url = f"/api/v1/conversations/{found['id']}/read"
    assert (await w.client.post(url, headers=w.extra["auth"])).status_code == 204
    return Expected(
        "conversation.read", ana, ("conversation", found["id"]), before={"unread_count": 1},
        after={"unread_count": 0},
    )  # fmt: skip


async def _label(w: World, name: str = "VIP") -> int:
    body = {"name": name, "color": "#AA0000"}
    created = await w.client.post("/api/v1/labels", json=body, headers=w.admin_auth)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


@scenario("conversation.labels_changed")
async def _labels(w: World) -> Expected:
    label_id = await _label(w)
    ana = w.make_user()
    found = await w.conversation(ana)
    w.mark()
    url = f"/api/v1/conversations/{found['id']}/labels"
    body = {"label_ids": [label_id]}
    assert (await w.client.put(url, json=body, headers=w.extra["auth"])).status_code == 200
    return Expected(
        "conversation.labels_changed", ana, ("conversation", found["id"]),
        before={"label_ids": []}, after={"label_ids": [label_id]},
    )  # fmt: skip


@scenario("note.created")
async def _note(w: World) -> Expected:
    ana = w.make_user()
    found = await w.conversation(ana)
    w.mark()
    url = f"/api/v1/conversations/{found['id']}/notes"
    note = await w.client.post(url, json={"text": "llamar mañana"}, headers=w.extra["auth"])
    assert note.status_code == 201, note.text
    detail = {"message_id": note.json()["id"]}
    return Expected("note.created", ana, ("conversation", found["id"]), detail=detail)


@scenario("label.created")
async def _label_created(w: World) -> Expected:
    w.mark()
    label_id = await _label(w)
    after = {"name": "VIP", "color": "#AA0000"}
    return Expected("label.created", w.admin, ("label", label_id), after=after)


@scenario("label.changed")
async def _label_changed(w: World) -> Expected:
    label_id = await _label(w)
    w.mark()
    url = f"/api/v1/labels/{label_id}"
    assert (await w.client.patch(url, json={"name": "Oro"}, headers=w.admin_auth)).is_success
    return Expected(
        "label.changed", w.admin, ("label", label_id), before={"name": "VIP"},
        after={"name": "Oro"},
    )  # fmt: skip


@scenario("label.deleted")
async def _label_deleted(w: World) -> Expected:
    label_id = await _label(w)
    w.mark()
    url = f"/api/v1/labels/{label_id}"
    assert (await w.client.delete(url, headers=w.admin_auth)).status_code == 204
    before = {"name": "VIP", "color": "#AA0000"}
    return Expected("label.deleted", w.admin, ("label", label_id), before=before)


async def _canned(w: World) -> int:
    body = {"shortcut": "horario", "text": "9 a 18"}
    created = await w.client.post("/api/v1/canned-responses", json=body, headers=w.admin_auth)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


@scenario("canned.created")
async def _canned_created(w: World) -> Expected:
    w.mark()
    canned_id = await _canned(w)
    after = {"shortcut": "horario", "text": "9 a 18", "personal": False}
    return Expected("canned.created", w.admin, ("canned", canned_id), after=after)


@scenario("canned.changed")
async def _canned_changed(w: World) -> Expected:
    canned_id = await _canned(w)
    w.mark()
    url = f"/api/v1/canned-responses/{canned_id}"
    assert (await w.client.patch(url, json={"text": "9 a 19"}, headers=w.admin_auth)).is_success
    return Expected(
        "canned.changed", w.admin, ("canned", canned_id), before={"text": "9 a 18"},
        after={"text": "9 a 19"},
    )  # fmt: skip


@scenario("canned.deleted")
async def _canned_deleted(w: World) -> Expected:
    canned_id = await _canned(w)
    w.mark()
    url = f"/api/v1/canned-responses/{canned_id}"
    assert (await w.client.delete(url, headers=w.admin_auth)).status_code == 204
    return Expected("canned.deleted", w.admin, ("canned", canned_id), before={"text": "9 a 18"})


@scenario("contact.changed")
async def _contact_changed(w: World) -> Expected:
    found = await w.conversation(w.make_user())
    contact_id = found["contact"]["id"]
    w.mark()
    url = f"/api/v1/contacts/{contact_id}"
    body = {"notes": "prefiere llamadas", "name": "María P."}
    assert (await w.client.patch(url, json=body, headers=w.admin_auth)).status_code == 200
    detail = {"fields": ["name", "notes"]}
    return Expected("contact.changed", w.admin, ("contact", contact_id), detail=detail)


@scenario("contact.merged")
async def _merged(w: World) -> Expected:
    ana = w.make_user()
    first = await w.conversation(ana, "5215512340001")
    await deliver(w.client, text_message("otra vez", wa_id="5215512340002"))
    both = await eventually(lambda: _when_two(conversations(w.client, w.extra["auth"], "mine")))
    other = next(c for c in both if c["id"] != first["id"])
    w.mark()
    url = f"/api/v1/contacts/{first['contact']['id']}/merge"
    body = {"other_id": other["contact"]["id"]}
    assert (await w.client.post(url, json=body, headers=w.admin_auth)).status_code == 200
    return Expected(
        "contact.merged", w.admin, ("contact", first["contact"]["id"]),
        detail={"merged_id": other["contact"]["id"]},
    )  # fmt: skip


async def _when_two(listed: Awaitable[list[Any]]) -> list[Any] | None:
    found = await listed
    return found if len(found) == 2 else None


@scenario("contact_field.created")
async def _field_created(w: World) -> Expected:
    w.mark()
    body = {"key": "ciudad", "label": "Ciudad"}
    created = await w.client.post("/api/v1/contact-fields", json=body, headers=w.admin_auth)
    assert created.status_code == 201, created.text
    return Expected(
        "contact_field.created", w.admin, ("contact_field", created.json()["id"]), after=body
    )


@scenario("contact_field.deleted")
async def _field_deleted(w: World) -> Expected:
    body = {"key": "ciudad", "label": "Ciudad"}
    created = await w.client.post("/api/v1/contact-fields", json=body, headers=w.admin_auth)
    field_id = created.json()["id"]
    w.mark()
    url = f"/api/v1/contact-fields/{field_id}"
    assert (await w.client.delete(url, headers=w.admin_auth)).status_code == 204
    return Expected("contact_field.deleted", w.admin, ("contact_field", field_id), before=body)


@scenario("export.downloaded")
async def _export(w: World) -> Expected:
    w.mark()
    answer = await w.client.get("/api/v1/audit.csv?action=label.*", headers=w.admin_auth)
    assert answer.status_code == 200
    detail = {"export": "audit.csv", "filters": {"action": "label.*"}}
    return Expected("export.downloaded", w.admin, ("audit", None), detail=detail)


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_each_action_is_recorded_once_with_who_what_where_and_the_values(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User], name: str
) -> None:
    admin = make_user(role="admin", availability="offline", name="Alma Admin")
    world = World(client, db, make_user, admin, await bearer(client, admin))
    expected = await SCENARIOS[name](world)
    written = rows(db, world.since, expected.action)
    assert len(written) == 1, [(r.action, r.object_id) for r in rows(db, world.since)]
    [row] = written
    who = (None, "") if expected.actor is None else (expected.actor.id, expected.actor.name)
    assert (row.actor_id, row.actor_name) == who
    assert (row.object_type, row.object_id) == expected.object
    assert (row.address, row.via) == (ADDRESS, expected.via)
    assert abs(row.created_at - datetime.now(UTC)) < timedelta(seconds=30)
    for kept, wanted in ((row.before, expected.before), (row.after, expected.after),
                         (row.detail, expected.detail)):  # fmt: skip
        if wanted is None:
            continue
        assert kept is not None and {k: kept.get(k) for k in wanted} == wanted, kept
    # Never a secret: no password, no access token, anywhere in the row.
    stored = json.dumps([row.before, row.after, row.detail, row.actor_name])
    for secret in (PASSWORD, "another long password", world.extra.get("secret", PASSWORD)):
        assert secret not in stored


def test_every_action_has_a_name_on_the_page_in_both_languages() -> None:
    from cdmx.web.console.i18n import STRINGS

    for lang in ("es-MX", "en"):
        keys = {f"audit_action_{name.replace('.', '_')}" for name in ACTIONS}
        assert keys <= set(STRINGS[lang]), lang


def test_every_listed_action_has_a_scenario_or_a_stated_reason() -> None:
    covered = {name.split("/")[0].split(" ")[0] for name in SCENARIOS}
    # conversation.viewed: its own tests below; conversation.started needs an approved
    # template (tested in test_conversation_started_is_recorded); the token, webhook and
    # send-to actions are checked in tests/web/test_credentials.py, tests/web/api/
    # test_integration_tokens.py, test_webhooks.py and test_send_actions.py.
    elsewhere = {
        "conversation.viewed",
        "conversation.started",
        "token.revoked",
        "token.created",
    } | {
        name
        for name in ACTIONS
        if name.startswith(("webhook.", "send_action.")) or name == "conversation.sent_to"
    }
    assert set(ACTIONS) - covered == elsewhere


async def test_conversation_started_is_recorded(
    settings: Any, db: Database, graph: Any, make_user: Callable[..., User]
) -> None:
    """Writing first with a template opens a conversation: recorded (not the reply path).
    Without the workers, so no start-up template sync races the one arranged here."""
    from cdmx.actions.templates import do_sync_templates
    from cdmx.app import create_app

    with db.write() as session:
        do_sync_templates(session, "200000000000001", [{
            "id": "1", "name": "bienvenida", "language": "es_MX", "status": "APPROVED",
            "category": "UTILITY", "components": [{"type": "BODY", "text": "Hola"}],
        }])  # fmt: skip
    app = create_app(settings, graph_transport=graph.transport, run_workers=False)
    agent = make_user()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(ADDRESS, 50123))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            auth = await bearer(http, agent)
            [template] = (await http.get("/api/v1/templates", headers=auth)).json()["templates"]
            since = last_id(db)
            body = {
                "number_id": await _number_id(db), "wa_id": "5215599990000",
                "template_id": template["id"], "local_id": "a1",
            }  # fmt: skip
            started = await http.post("/api/v1/conversations", json=body, headers=auth)
    assert started.status_code == 202, started.text
    [row] = rows(db, since, "conversation.started")
    assert (row.actor_id, row.object_id) == (agent.id, started.json()["conversation"]["id"])
    assert (row.address, row.detail) == (ADDRESS, {"template_id": template["id"]})


async def _number_id(db: Database) -> int:
    with db.read() as session:
        return int(session.scalars(select(Channel.id)).one())


async def test_a_workers_own_change_records_nothing(db: Database) -> None:
    """Outside a request or command (a worker's sweep) nobody is acting: no row."""
    with db.write() as session:
        assert record_audit(session, "templates.synced", object_type="templates") is False
    assert rows(db) == []
    with acting(Origin(via="cli", actor_name="root (cdmx users)")), db.write() as session:
        assert record_audit(session, "user.created", object_type="user", object_id=1)
    [row] = rows(db)
    assert (row.actor_id, row.actor_name, row.via, row.address) == (
        None, "root (cdmx users)", "cli", None
    )  # fmt: skip
    with db.write() as session, pytest.raises(ValueError, match="unknown audit action"):
        record_audit(session, "user.exploded", actor=None)


async def test_the_row_is_in_the_actions_transaction(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    """A refused change writes no row: the insert rolls back with the action."""
    admin = await bearer(client, make_user(role="admin", availability="offline"))
    body = {"name": "X", "color": "red"}
    assert (await client.post("/api/v1/labels", json=body, headers=admin)).status_code == 422
    first = await client.post(
        "/api/v1/labels", json={"name": "VIP", "color": "#000000"}, headers=admin
    )
    twin = await client.patch(
        f"/api/v1/labels/{first.json()['id']}", json={"color": "bad"}, headers=admin
    )
    assert twin.status_code == 422
    assert [r.action for r in rows(db) if r.action.startswith("label.")] == ["label.created"]
    # A transfer with a note: the note's row is written, then the transfer is refused, and
    # the note and its row are rolled back together.
    ana = make_user()
    ana_auth = await bearer(client, ana)
    await deliver(client, text_message("hola", wa_id="5215512340001"))
    [found] = await eventually(lambda: conversations(client, ana_auth, "mine"))
    refused = await client.post(
        f"/api/v1/conversations/{found['id']}/transfer",
        json={"agent_id": 999999, "note": "te la paso"}, headers=ana_auth,
    )  # fmt: skip
    assert refused.status_code == 422
    assert rows(db, 0, "note.created") == [] and rows(db, 0, "conversation.transferred") == []


# --- listing, filters, paging, CSV ------------------------------------------------------


def _seed(db: Database, count: int, **fields: Any) -> None:
    now = datetime.now(UTC)
    with db.write() as session:
        for n in range(count):
            values = {
                "created_at": now - timedelta(minutes=count - n), "actor_id": 7,
                "actor_name": "Ana", "via": "token", "action": "label.created",
                "object_type": "label", "object_id": n + 1, "address": "198.51.100.1",
                "before": None, "after": {"n": n}, "detail": None, **fields,
            }  # fmt: skip
            session.add(AuditEntry(**values))


async def test_only_admins_read_the_audit_trail(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    for role in ("agent", "supervisor"):
        auth = await bearer(client, make_user(role=role, availability="offline"))
        for path in ("/api/v1/audit", "/api/v1/audit.csv"):
            refused = await client.get(path, headers=auth)
            assert (refused.status_code, refused.json()["error"]["code"]) == (403, "admins_only")
    assert (await client.get("/api/v1/audit")).status_code == 401


async def test_pages_newest_first_with_an_opaque_cursor(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    admin = await bearer(client, make_user(role="admin", availability="offline"))
    _seed(db, 25)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"action": "label.created", "limit": 10}
        if cursor:
            params["cursor"] = cursor
        answer = (await client.get("/api/v1/audit", params=params, headers=admin)).json()
        seen += [entry["after"]["n"] for entry in answer["entries"]]
        pages += 1
        cursor = answer["next"]
        if cursor is None:
            break
        assert not cursor.isdigit()  # opaque, not a bare id
    assert pages == 3 and seen == list(range(24, -1, -1))
    bad = await client.get("/api/v1/audit", params={"cursor": "!!nope"}, headers=admin)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_cursor")


async def test_filters_by_actor_object_action_and_time(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    admin = await bearer(client, make_user(role="admin", availability="offline"))
    _seed(db, 3)
    _seed(db, 2, actor_id=8, action="conversation.closed", object_type="conversation")
    since = last_id(db)

    async def ids(**params: Any) -> list[tuple[str, int]]:
        answer = await client.get("/api/v1/audit", params=params, headers=admin)
        assert answer.status_code == 200, answer.text
        entries = [e for e in answer.json()["entries"] if e["id"] <= since]
        return [(e["action"], e["object_id"]) for e in entries]

    assert await ids(actor_id=8) == [("conversation.closed", 2), ("conversation.closed", 1)]
    assert await ids(object="conversation:1") == [("conversation.closed", 1)]
    assert await ids(object="label") == [
        ("label.created", 3),
        ("label.created", 2),
        ("label.created", 1),
    ]
    assert await ids(action="conversation.*") == [
        ("conversation.closed", 2),
        ("conversation.closed", 1),
    ]
    now = datetime.now(UTC)
    window = {"from": (now - timedelta(minutes=2, seconds=30)).isoformat(),
              "to": (now - timedelta(seconds=90)).isoformat()}  # fmt: skip
    assert await ids(**window) == [("conversation.closed", 1), ("label.created", 2)]
    for bad in ({"object": "planet"}, {"object": "label:x"}, {"action": "nope"},
                {"from": "2026-01-01T00:00:00"}):  # fmt: skip
        answer = await client.get("/api/v1/audit", params=bad, headers=admin)
        assert answer.status_code == 422, bad


async def test_the_csv_streams_the_same_entries_as_the_json(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User], monkeypatch: Any
) -> None:
    import cdmx.queries.audit as audit_queries

    monkeypatch.setattr(audit_queries, "EXPORT_BATCH", 4)  # several batches, read lazily
    admin = await bearer(client, make_user(role="admin", availability="offline"))
    _seed(db, 9, actor_name="=HYPERLINK(1)")
    listed = await client.get(
        "/api/v1/audit", params={"action": "label.created", "limit": 200}, headers=admin
    )
    entries = listed.json()["entries"]
    answer = await client.get(
        "/api/v1/audit.csv", params={"action": "label.created"}, headers=admin
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert "content-length" not in answer.headers  # streamed, not built whole
    table = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(table) == len(entries) == 9
    for line, entry in zip(table, entries, strict=True):
        assert int(line["id"]) == entry["id"]
        assert line["created_at"] == entry["created_at"]
        assert line["action"] == entry["action"]
        assert json.loads(line["after"]) == entry["after"]
        assert line["before"] == "" and entry["before"] is None
        # A name that a spreadsheet would run as a formula is written as text.
        assert line["actor_name"] == "'" + entry["actor_name"]


def test_the_csv_is_written_while_it_is_read_a_batch_at_a_time(
    db: Database, monkeypatch: Any
) -> None:
    """The export is a generator over keyset batches: its first line costs no query, and
    each batch of EXPORT_BATCH rows one more, so memory holds one batch, never the trail."""
    import cdmx.queries.audit as audit_queries
    from cdmx.queries.audit import AuditFilters
    from cdmx.web.api.audit import _csv

    monkeypatch.setattr(audit_queries, "EXPORT_BATCH", 4)
    _seed(db, 9)
    lines = _csv(db, AuditFilters())
    with count_queries(db) as statements:
        assert next(lines).startswith("id,created_at,actor_id")
        assert statements == []
        for _ in range(5):
            next(lines)
        assert len(statements) == 2  # rows 1–4, then 5–8
        rest = list(lines)
    assert len(rest) == 4 and len(statements) == 3


# --- a supervisor's or admin's read of a conversation that is not theirs ------------------


async def test_a_supervisor_reading_someone_elses_conversation_is_recorded_once(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    ana = make_user()
    ana_auth = await bearer(client, ana)
    boss = make_user(role="supervisor", availability="offline")
    boss_auth = await bearer(client, boss)
    await deliver(client, text_message("hola", wa_id="5215512340001"))
    [found] = await eventually(lambda: conversations(client, ana_auth, "mine"))
    cid = found["id"]
    since = last_id(db)
    # Its own agent reads it as often as she likes: nothing.
    for _ in range(3):
        assert (
            await client.get(f"/api/v1/conversations/{cid}/messages", headers=ana_auth)
        ).is_success
    assert rows(db, since, "conversation.viewed") == []
    # The supervisor opens it (the conversation and its messages), polls, pages back: once.
    for path in ("", "/messages", "/messages", "/messages?before=999999", ""):
        assert (
            await client.get(f"/api/v1/conversations/{cid}{path}", headers=boss_auth)
        ).is_success
    [row] = rows(db, since, "conversation.viewed")
    assert (row.actor_id, row.actor_name, row.object_type, row.object_id) == (
        boss.id, boss.name, "conversation", cid
    )  # fmt: skip
    # What the dedup costs: a re-read within the half hour sends no audit statement.
    web = client._transport.app.state.services.db  # type: ignore[attr-defined]
    with count_queries(web) as again:
        url = f"/api/v1/conversations/{cid}/messages"
        assert (await client.get(url, headers=boss_auth)).is_success
    assert again and [s for s in again if "audit_log" in s] == []
    assert row.address == ADDRESS
    # Half an hour later it counts again.
    with db.write() as session:
        session.execute(
            update(AuditEntry).where(AuditEntry.id == row.id)
            .values(created_at=datetime.now(UTC) - timedelta(minutes=31))
        )  # fmt: skip
    services = client._transport.app.state.services  # type: ignore[attr-defined]
    services.viewed.clear()  # as after a restart, or on another instance
    assert (await client.get(f"/api/v1/conversations/{cid}", headers=boss_auth)).is_success
    assert len(rows(db, since, "conversation.viewed")) == 2


def test_the_database_dedups_reads_across_instances(
    db: Database, make_user: Callable[..., User]
) -> None:
    boss = make_user(role="admin", availability="offline")
    now = datetime.now(UTC)
    with db.write() as session:
        assert do_record_conversation_view(session, boss, 41, now)
    with db.write() as session:
        assert not do_record_conversation_view(session, boss, 41, now + timedelta(minutes=29))
        assert do_record_conversation_view(session, boss, 42, now)  # another conversation
    assert len(rows(db, 0, "conversation.viewed")) == 2


# --- append-only --------------------------------------------------------------------------


def test_no_route_updates_or_deletes_the_audit_trail(settings: Any) -> None:
    """The only API routes of the trail are the two GETs; and no module but the trail's
    writer (its retention delete) names its table in an UPDATE or DELETE."""
    from pathlib import Path

    from cdmx.app import create_app

    app = create_app(settings, run_workers=False)
    audit_paths = {
        path: set(methods) for path, methods in app.openapi()["paths"].items() if "audit" in path
    }
    assert audit_paths == {"/api/v1/audit": {"get"}, "/api/v1/audit.csv": {"get"}}
    root = Path(__file__).resolve().parents[3] / "cdmx"
    touching = []
    for path in root.rglob("*.py"):
        text = path.read_text()
        if re.search(r"(update|delete)\(\s*(AUDIT_LOG|AuditEntry)", text) or re.search(
            r"(UPDATE|DELETE\s+FROM)\s+\"?audit_log", text, re.IGNORECASE
        ):
            touching.append(path.relative_to(root).as_posix())
    assert touching == ["actions/audit.py"]  # do_purge_audit, the retention's delete


def test_the_retention_purge_deletes_only_what_is_older(db: Database, monkeypatch: Any) -> None:
    import cdmx.workers.audit as retention

    monkeypatch.setattr(retention, "BATCH", 2)  # several batches
    now = datetime.now(UTC)
    with db.write() as session:
        for days in (500, 450, 401, 399, 1):
            session.add(AuditEntry(
                created_at=now - timedelta(days=days), actor_id=1, actor_name="Ana", via="token",
                action="label.created", object_type="label", object_id=days,
            ))  # fmt: skip
    assert retention.purge_audit_once(db, 400, now) == 3
    assert sorted(r.object_id for r in rows(db)) == [1, 399]
    assert retention.purge_audit_once(db, 0, now) == 0  # 0 keeps everything


async def test_failed_sign_in_of_an_inactive_account_is_recorded(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    with db.write() as session:
        session.execute(update(User).where(User.id == agent.id).values(is_active=False))
    body = {"email": agent.email, "password": PASSWORD}
    assert (await client.post("/api/v1/auth/token", json=body)).status_code == 401
    [row] = rows(db, 0, "auth.sign_in_failed")
    assert (row.object_type, row.object_id, row.via) == ("user", agent.id, "token")


# --- the console page -------------------------------------------------------------------


async def test_the_audit_page_is_for_admins_and_filters_like_the_api(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    assert (await client.get("/admin/audit")).headers["location"] == "/login"
    supervisor = make_user(role="supervisor", availability="offline")
    assert await sign_in_console(client, supervisor.email, PASSWORD) == 303
    refused = await client.get("/admin/audit")
    assert (refused.status_code, refused.headers["location"]) == (303, "/")
    client.cookies.clear()
    admin = make_user(role="admin", availability="offline", name="Alma Admin")
    assert await sign_in_console(client, admin.email, PASSWORD) == 303
    _seed(db, 60)
    _seed(db, 1, action="conversation.closed", object_type="conversation", object_id=77)
    page = await client.get("/admin/audit")
    assert page.status_code == 200
    assert page.text.count('class="audit-row"') == 50  # a page
    assert 'id="audit-link"' in page.text and "Auditoría" in page.text
    older = re.search(r'id="audit-older" href="([^"]+)"', page.text)
    assert older is not None
    second = await client.get(older.group(1).replace("&amp;", "&"))
    assert second.text.count('class="audit-row"') == 13  # 61 seeded + 2 sign-ins: 50 + 13
    closed = await client.get(
        "/admin/audit", params={"action": "conversation.closed", "object_type": "conversation"}
    )
    assert closed.text.count('class="audit-row"') == 1 and "Conversación 77" in closed.text
    download = re.search(r'id="audit-download" href="([^"]+)"', closed.text)
    assert download is not None
    csv_text = (await client.get(download.group(1).replace("&amp;", "&"))).text
    assert len(list(csv.DictReader(io.StringIO(csv_text)))) == 1
    for bad in ({"actor_id": "x"}, {"cursor": "nope"}, {"actor_id": "9" * 30}, {"from": "ayer"}):
        answer = await client.get("/admin/audit", params=bad)
        assert answer.status_code == 200 and 'id="audit-error"' in answer.text, bad


# --- the message path -----------------------------------------------------------------------


async def test_the_message_path_sends_no_audit_statement(
    client: httpx.AsyncClient, app: Any, db: Database, make_user: Callable[..., User]
) -> None:
    """An inbound webhook, its processing, an agent's reply and its send, and the agent
    reading their own conversation: not one statement touches the audit trail (a reply is
    not an audited action; the webhook never reaches the origin middleware)."""
    ana = make_user()
    auth = await bearer(client, ana)
    services = app.state.services
    # The web's pool, and the workers' (the inbox processor and the outbox sender use it).
    with count_queries(services.db) as web, count_queries(services.feed.db) as workers:
        await deliver(client, text_message("hola", wa_id="5215512340001"))
        [found] = await eventually(lambda: conversations(client, auth, "mine"))
        cid = found["id"]
        body = {"type": "text", "text": "¿En qué te ayudo?", "local_id": "r1"}
        sent = await client.post(f"/api/v1/conversations/{cid}/messages", json=body, headers=auth)
        assert sent.status_code == 202, sent.text
        assert (await client.get(f"/api/v1/conversations/{cid}/messages", headers=auth)).is_success
    assert web and workers
    assert [s for s in web + workers if "audit_log" in s] == []
    assert [r.action for r in rows(db)] == ["token.issued"]


async def test_the_address_behind_a_trusted_proxy_is_the_forwarded_one(
    app: Any, db: Database, make_user: Callable[..., User]
) -> None:
    """What ``cdmx serve`` runs (uvicorn's proxy headers, trusting CDMX_FORWARDED_ALLOW_IPS):
    a trusted proxy's X-Forwarded-For is the address recorded; anyone else's is ignored."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    agent = make_user()
    served = ProxyHeadersMiddleware(app, trusted_hosts="10.0.0.5")
    for peer, expected in (("10.0.0.5", "198.51.100.9"), ("203.0.113.50", "203.0.113.50")):
        transport = httpx.ASGITransport(app=served, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            since = last_id(db)
            await http.post(
                "/api/v1/auth/token", json={"email": agent.email, "password": PASSWORD},
                headers={"X-Forwarded-For": "198.51.100.9"},
            )  # fmt: skip
            [row] = rows(db, since, "token.issued")
            assert row.address == expected, peer


def test_the_command_line_records_its_changes_as_the_operators(
    settings: Any, db: Database, monkeypatch: Any
) -> None:
    from cdmx.cli import main

    monkeypatch.setenv("CDMX_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CDMX_SECRET_KEY", settings.secret_key)
    monkeypatch.setattr("getpass.getuser", lambda: "operadora")
    assert main(["users", "create", "--email", "cli@test.cdmx", "--name", "Cli",
                 "--password", PASSWORD]) == 0  # fmt: skip
    assert main(["users", "deactivate", "cli@test.cdmx"]) == 0
    assert [(r.action, r.actor_id, r.actor_name, r.via, r.address) for r in rows(db)] == [
        ("user.created", None, "operadora (cdmx users)", "cli", None),
        ("user.deactivated", None, "operadora (cdmx users)", "cli", None),
    ]
