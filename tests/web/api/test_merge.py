"""Merging two contacts through ``POST /api/v1/contacts/{id}/merge``: who may, what the
kept contact's history holds, that the other number keeps arriving, the timeline lines and
events, and the rules of a second merge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select, update

from cdmx.db.engine import Database
from cdmx.db.tables import Contact, Conversation, Event, Message, User
from tests.conftest import bearer, eventually
from tests.factories import text_message
from tests.web.api.test_conversations import conversations, deliver

FIRST, SECOND, THIRD = "5215512340001", "5215512340002", "5215512340003"


async def setup_two(
    client: httpx.AsyncClient, auth: dict[str, str], *numbers: str
) -> dict[str, dict[str, Any]]:
    for n, wa_id in enumerate(numbers):
        await deliver(client, text_message(f"hola {n}", wa_id=wa_id, name=f"Cliente {n}"))

    async def all_there() -> dict[str, dict[str, Any]] | None:
        rows = {c["contact"]["wa_id"]: c for c in await conversations(client, auth, "all")}
        return rows if len(rows) == len(numbers) else None

    return await eventually(all_there)  # type: ignore[no-any-return]


async def merge(
    client: httpx.AsyncClient, auth: dict[str, str], kept: int, other: int
) -> httpx.Response:
    return await client.post(
        f"/api/v1/contacts/{kept}/merge", json={"other_id": other}, headers=auth
    )


async def test_agents_may_not_merge_and_supervisors_only_what_they_see(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    admin = await bearer(client, make_user(role="admin"))
    rows = await setup_two(client, admin, FIRST, SECOND)
    kept, other = rows[FIRST]["contact"]["id"], rows[SECOND]["contact"]["id"]
    agent = await bearer(client, make_user(name="Ana"))
    refused = await merge(client, agent, kept, other)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    same = await merge(client, admin, kept, kept)
    assert same.status_code == 422 and same.json()["error"]["code"] == "same_contact"
    assert (await merge(client, admin, kept, 999_999)).status_code == 404


async def test_a_supervisor_outside_the_queue_gets_404(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    from cdmx.actions.queues import do_create_queue
    from cdmx.actions.users import do_update_user

    admin = await bearer(client, make_user(role="admin"))
    rows = await setup_two(client, admin, FIRST, SECOND)
    outsider = make_user(role="supervisor", availability="away")
    with db.write() as session:
        do_update_user(session, outsider.id, queue_ids=[do_create_queue(session, name="X").id])
    auth = await bearer(client, outsider)
    answer = await merge(client, auth, rows[FIRST]["contact"]["id"], rows[SECOND]["contact"]["id"])
    assert answer.status_code == 404


async def test_a_merge_keeps_both_histories_and_the_other_number_still_arrives(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    boss = make_user(role="supervisor", availability="away", name="Sofía")
    auth = await bearer(client, boss)
    rows = await setup_two(client, auth, FIRST, SECOND)
    kept, other = rows[FIRST]["contact"]["id"], rows[SECOND]["contact"]["id"]
    with db.write() as session:
        session.execute(
            update(Contact).where(Contact.id == kept).values(display_name="Lucía Pérez")
        )
        session.execute(
            update(Contact)
            .where(Contact.id == other)
            .values(email="lucia@example.com", attributes={"rfc": "X", "plan": "b"})
        )
        session.execute(update(Contact).where(Contact.id == kept).values(attributes={"plan": "a"}))
        events_before = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0
    answer = await merge(client, auth, kept, other)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["id"], body["wa_id"], body["name"], body["merged"]) == (
        kept, FIRST, "Lucía Pérez", [other]
    )  # fmt: skip
    with db.read() as session:
        kept_row, other_row = session.get(Contact, kept), session.get(Contact, other)
        assert kept_row is not None and other_row is not None
        assert kept_row.email == "lucia@example.com"
        assert kept_row.attributes == {"rfc": "X", "plan": "a"}
        assert other_row.merged_into_id == kept and other_row.display_name == "Lucía Pérez"
        assert other_row.wa_id == SECOND  # it keeps its WhatsApp identity
        lines = session.scalars(
            select(Message.text).where(Message.author_id.is_(None), Message.direction == "internal")
        ).all()
        assert sorted(lines) == sorted([
            "Contacto unido con Cliente 1 (+52 55 1234 0002) por Sofía.",
            "Contacto unido con Lucía Pérez (+52 55 1234 0001) por Sofía.",
        ])  # fmt: skip
        updated = session.scalars(
            select(Event.conversation_id).where(
                Event.id > events_before, Event.type == "conversation.updated"
            )
        ).all()
        assert set(updated) == {rows[FIRST]["id"], rows[SECOND]["id"]}
    # Both histories' conversations and messages are readable through the kept contact.
    found = await client.get("/api/v1/contacts", params={"q": "lucia"}, headers=auth)
    [shown] = found.json()["contacts"]
    assert shown["id"] == kept and shown["conversation_count"] == 2
    for row in rows.values():
        messages = await client.get(f"/api/v1/conversations/{row['id']}/messages", headers=auth)
        assert messages.status_code == 200, messages.text
    # The next message from the other number arrives on the other row, with the kept name.
    with db.write() as session:
        session.execute(update(Conversation).values(status="closed"))
    await deliver(client, text_message("sigo aquí", wa_id=SECOND, name="Cliente 1"))

    async def reopened() -> list[Any]:
        return [
            c for c in await conversations(client, auth, "all")
            if c["contact"]["id"] == other and c["id"] not in (rows[SECOND]["id"],)
        ]  # fmt: skip

    [new] = await eventually(reopened)
    assert new["contact"]["name"] == "Lucía Pérez" and new["contact"]["merged_into_id"] == kept


async def test_merging_again_is_idempotent_and_a_merged_other_brings_its_head(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    auth = await bearer(client, make_user(role="admin"))
    rows = await setup_two(client, auth, FIRST, SECOND, THIRD)
    a, b, c = (rows[n]["contact"]["id"] for n in (FIRST, SECOND, THIRD))
    assert (await merge(client, auth, b, c)).json()["merged"] == [c]
    assert (await merge(client, auth, b, c)).json()["merged"] == [c]  # idempotent
    # c is already merged into b: merging c into a merges its head b, and c follows (one level).
    answer = await merge(client, auth, a, c)
    assert answer.status_code == 200 and answer.json()["merged"] == sorted([b, c])
    with db.read() as session:
        assert {
            x.merged_into_id for x in session.scalars(select(Contact).where(Contact.id != a))
        } == {a}
