"""Finding a customer through ``GET /api/v1/contacts?q=``: every way people write a
Mexican number, a BSUID, names without minding case or accents, only customers the caller
may see, and merged contacts shown once as the one they were merged into."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from cdmx.db.engine import Database
from cdmx.db.tables import Contact, User
from tests.conftest import bearer, eventually
from tests.factories import text_message
from tests.web.api.test_conversations import conversations, deliver

PATH = "/api/v1/contacts"


async def found(client: httpx.AsyncClient, auth: dict[str, str], q: str) -> list[Any]:
    response = await client.get(PATH, params={"q": q}, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["contacts"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "typed",
    ["55 1234 5678", "+52 1 55 1234 5678", "5215512345678", "52 55 1234 5678", "(55) 1234-5678",
     "1234 5678"],
)  # fmt: skip
async def test_every_form_of_the_number_finds_the_customer(
    client: httpx.AsyncClient, make_user: Callable[..., User], typed: str
) -> None:
    auth = await bearer(client, make_user(role="admin"))
    await deliver(client, text_message("hola", wa_id="5215512345678", name="María"))
    await deliver(client, text_message("hola", wa_id="5215599990000", name="Otro"))
    [conversation] = await eventually(lambda: _conversation_of(client, auth, "5215512345678"))
    [contact] = await found(client, auth, typed)
    assert contact["wa_id"] == "5215512345678" and contact["name"] == "María"
    assert contact["phone"] == "+52 55 1234 5678"
    assert contact["last_conversation_id"] == conversation["id"]


async def _conversation_of(
    client: httpx.AsyncClient, auth: dict[str, str], wa_id: str
) -> list[Any]:
    return [c for c in await conversations(client, auth, "all") if c["contact"]["wa_id"] == wa_id]


async def test_names_ignore_case_and_accents_and_a_bsuid_finds_its_contact(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    auth = await bearer(client, make_user(role="admin"))
    await deliver(client, text_message("hola", wa_id="5215512340001", name="José Ñúñez"))
    await deliver(client, text_message("hola", wa_id="5215512340002", name="Josefina"))
    await eventually(lambda: _conversation_of(client, auth, "5215512340002"))
    assert [c["name"] for c in await found(client, auth, "nunez")] == ["José Ñúñez"]
    assert [c["name"] for c in await found(client, auth, "JOSÉ ÑÚÑ")] == ["José Ñúñez"]
    assert {c["name"] for c in await found(client, auth, "jose")} == {"José Ñúñez", "Josefina"}
    assert await found(client, auth, "zzz") == []
    with db.write() as session:
        session.execute(
            update(Contact)
            .where(Contact.wa_id == "5215512340001")
            .values(user_id="MX.1234567890", display_name="Pepe Cliente")
        )
    [by_id] = await found(client, auth, "MX.1234567890")
    assert by_id["name"] == "Pepe Cliente" and by_id["profile_name"] == "José Ñúñez"
    assert [c["name"] for c in await found(client, auth, "pepe")] == ["Pepe Cliente"]


async def test_an_agent_finds_only_customers_they_may_see(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    ana = make_user(name="Ana")
    beto = make_user(name="Beto", availability="offline")
    ana_auth, beto_auth = await bearer(client, ana), await bearer(client, beto)
    await deliver(client, text_message("hola", wa_id="5215512345678", name="María"))
    await eventually(lambda: conversations(client, ana_auth, "mine"))
    assert [c["wa_id"] for c in await found(client, ana_auth, "55 1234 5678")] == ["5215512345678"]
    assert await found(client, beto_auth, "55 1234 5678") == []
    assert await found(client, beto_auth, "maría") == []


async def test_merged_contacts_are_shown_once_as_the_kept_one(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    auth = await bearer(client, make_user(role="admin"))
    await deliver(client, text_message("hola", wa_id="5215512340001", name="Lucía Pérez"))
    await deliver(client, text_message("hola", wa_id="5215512340002", name="Lucía P."))
    await eventually(lambda: _conversation_of(client, auth, "5215512340002"))
    assert len(await found(client, auth, "lucia")) == 2
    ids = {c["wa_id"]: c["id"] for c in await found(client, auth, "lucia")}
    kept, other = ids["5215512340001"], ids["5215512340002"]
    merged = await client.post(f"{PATH}/{kept}/merge", json={"other_id": other}, headers=auth)
    assert merged.status_code == 200, merged.text
    [shown] = await found(client, auth, "lucia")
    assert shown["id"] == kept and shown["merged"] == [other]
    # The other number still finds the person, as the kept contact.
    [by_number] = await found(client, auth, "55 1234 0002")
    assert by_number["id"] == kept and by_number["conversation_count"] == 2
