"""The customer's profile and history through the API: visibility (404 for what the caller
may not see), the team's name kept apart from WhatsApp's, custom fields, and a history that
spans merged numbers, newest first, with who answered."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import select, update

from cdmx.db.engine import Database
from cdmx.db.tables import Contact, Conversation, Event, User
from tests.conftest import bearer, eventually
from tests.factories import text_message
from tests.web.api.test_conversations import conversations, deliver


async def first_conversation(
    client: httpx.AsyncClient, auth: dict[str, str], wa_id: str, name: str
) -> dict[str, object]:
    await deliver(client, text_message("hola", wa_id=wa_id, name=name))
    rows = await eventually(lambda: conversations(client, auth, "mine"))
    [row] = [r for r in rows if r["contact"]["wa_id"] == wa_id]
    return row  # type: ignore[no-any-return]


async def test_the_team_s_name_stays_apart_from_whatsapp_s_and_survives_new_messages(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    auth = await bearer(client, make_user(name="Ana"))
    row = await first_conversation(client, auth, "5215512345678", "Mari")
    contact_id = row["contact"]["id"]  # type: ignore[index]
    profile = await client.get(f"/api/v1/contacts/{contact_id}", headers=auth)
    assert profile.status_code == 200, profile.text
    body = profile.json()
    assert (body["name"], body["profile_name"], body["display_name"]) == ("Mari", "Mari", None)
    assert body["phone"] == "+52 55 1234 5678" and body["attributes"] == {}

    changed = await client.patch(
        f"/api/v1/contacts/{contact_id}", headers=auth,
        json={"name": " María Gómez ", "email": "maria@example.com", "notes": "Prefiere tarde."},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "María Gómez" and changed.json()["profile_name"] == "Mari"
    with db.read() as session:
        updates = session.scalars(select(Event).where(Event.type == "conversation.updated")).all()
    assert updates[-1].data["conversation"]["contact"]["name"] == "María Gómez"

    # A new message with another WhatsApp name changes the profile name only.
    await deliver(client, text_message("¿sigue?", wa_id="5215512345678", name="Mari G."))

    async def renamed() -> dict[str, object] | None:
        shown = (await client.get(f"/api/v1/contacts/{contact_id}", headers=auth)).json()
        return shown if shown["profile_name"] == "Mari G." else None

    shown = await eventually(renamed)
    assert shown["name"] == "María Gómez" and shown["email"] == "maria@example.com"
    [listed] = await conversations(client, auth, "mine")
    assert listed["contact"]["name"] == "María Gómez"
    assert listed["contact"]["profile_name"] == "Mari G."

    # An empty name goes back to WhatsApp's; bad input is refused and changes nothing.
    bad = await client.patch(f"/api/v1/contacts/{contact_id}", headers=auth, json={"email": "x@"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_email"
    back = await client.patch(f"/api/v1/contacts/{contact_id}", headers=auth, json={"name": ""})
    assert back.json()["name"] == "Mari G." and back.json()["email"] == "maria@example.com"


async def test_a_customer_another_agent_serves_is_not_found_for_an_agent(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    ana, beto = make_user(name="Ana"), make_user(name="Beto")
    ana_auth = await bearer(client, ana)
    row = await first_conversation(client, ana_auth, "5215512340009", "Luis")
    contact_id = row["contact"]["id"]  # type: ignore[index]
    beto_auth = await bearer(client, beto)
    for path in (f"/api/v1/contacts/{contact_id}", f"/api/v1/contacts/{contact_id}/conversations"):
        hidden = await client.get(path, headers=beto_auth)
        assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "contact_not_found"
    patched = await client.patch(
        f"/api/v1/contacts/{contact_id}", headers=beto_auth, json={"name": "x"}
    )
    assert patched.status_code == 404
    assert (await client.get("/api/v1/contacts/0", headers=ana_auth)).status_code == 422
    assert (await client.get("/api/v1/contacts/99999", headers=ana_auth)).status_code == 404


async def test_custom_fields_are_admin_defined_and_only_they_are_kept(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    agent = await bearer(client, make_user(name="Ana"))
    row = await first_conversation(client, agent, "5215512340010", "Rosa")
    admin = await bearer(client, make_user(role="admin"))
    refused = await client.post(
        "/api/v1/contact-fields", headers=agent, json={"key": "ciudad", "label": "Ciudad"}
    )
    assert refused.status_code == 403
    created = await client.post(
        "/api/v1/contact-fields", headers=admin, json={"key": "ciudad", "label": "Ciudad"}
    )
    assert created.status_code == 201, created.text
    again = await client.post(
        "/api/v1/contact-fields", headers=admin, json={"key": "ciudad", "label": "Otra"}
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "field_exists"
    bad_key = await client.post(
        "/api/v1/contact-fields", headers=admin, json={"key": "Mi Campo", "label": "x"}
    )
    assert bad_key.status_code == 422
    fields = (await client.get("/api/v1/contact-fields", headers=agent)).json()["fields"]
    assert [f["key"] for f in fields] == ["ciudad"]

    path = f"/api/v1/contacts/{row['contact']['id']}"  # type: ignore[index]
    unknown = await client.patch(path, headers=agent, json={"attributes": {"edad": "30"}})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_attribute"
    kept = await client.patch(path, headers=agent, json={"attributes": {"ciudad": "Puebla"}})
    assert kept.json()["attributes"] == {"ciudad": "Puebla"}
    removed = await client.patch(path, headers=agent, json={"attributes": {"ciudad": None}})
    assert removed.json()["attributes"] == {}
    field_id = created.json()["id"]
    assert (
        await client.delete(f"/api/v1/contact-fields/{field_id}", headers=admin)
    ).status_code == 204
    assert (await client.get("/api/v1/contact-fields", headers=agent)).json()["fields"] == []


async def test_the_history_spans_merged_numbers_newest_first_with_who_answered(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user(name="Ana")
    auth = await bearer(client, agent)
    old = await first_conversation(client, auth, "5215512340021", "Pepe")
    answered = await client.post(
        f"/api/v1/conversations/{old['id']}/messages", headers=auth,
        json={"type": "text", "text": "Con gusto"},
    )  # fmt: skip
    assert answered.status_code == 202, answered.text
    closed = await client.post(f"/api/v1/conversations/{old['id']}/close", headers=auth)
    assert closed.status_code == 200, closed.text
    new = await first_conversation(client, auth, "5215512340022", "Pepe (trabajo)")
    kept_id, other_id = old["contact"]["id"], new["contact"]["id"]  # type: ignore[index]
    with db.write() as session:
        session.execute(
            update(Contact).where(Contact.id == other_id).values(merged_into_id=kept_id)
        )

    # Either number's id answers with the kept contact, whose history holds both.
    profile = (await client.get(f"/api/v1/contacts/{other_id}", headers=auth)).json()
    assert profile["id"] == kept_id
    assert [m["id"] for m in profile["merged"]] == [other_id]
    history = await client.get(f"/api/v1/contacts/{kept_id}/conversations", headers=auth)
    assert history.status_code == 200, history.text
    rows = history.json()["conversations"]
    assert [r["id"] for r in rows] == [new["id"], old["id"]]
    assert rows[1]["handled_by"] == ["Ana"] and rows[1]["ended"] == "closed"
    assert rows[0]["handled_by"] == [] and rows[0]["ended"] is None
    # The closed one reads through the history (read-only access).
    with db.read() as session:
        assert session.get(Conversation, old["id"]).status == "closed"  # type: ignore[union-attr]
    messages = await client.get(f"/api/v1/conversations/{old['id']}/messages", headers=auth)
    assert messages.status_code == 200
    assert [m["text"] for m in messages.json()["messages"]][:2] == ["hola", "Con gusto"]
