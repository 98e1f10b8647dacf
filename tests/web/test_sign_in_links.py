"""One-time sign-in links: an admin creates a user without a password (or asks for a link
for one who forgot theirs); the link opens a page to choose a password, works once, and
expires."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

from cdmx.db.tables import User
from tests.conftest import PASSWORD, bearer

NEW_PASSWORD = "nopal-y-tuna-2026"


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def path_of(link: str) -> str:
    assert re.fullmatch(r"https?://[^/]+/welcome/[\w.-]+", link), link
    return "/" + link.split("/", 3)[3]


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> int:
    form = {
        "email": email,
        "password": password,
        "csrf_token": csrf((await client.get("/login")).text),
    }
    return (await client.post("/login", data=form)).status_code


async def test_a_user_created_without_a_password_chooses_one_through_the_link_once(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    admin = await bearer(client, make_user(role="admin"))
    created = await client.post(
        "/api/v1/users", json={"email": "lupita@abarrotes.mx", "name": "Lupita"}, headers=admin
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["email"] == "lupita@abarrotes.mx" and body["sign_in_link_expires_at"]
    welcome = path_of(body["sign_in_link"])
    # Nobody can sign in as her before she chooses a password.
    assert await sign_in(client, "lupita@abarrotes.mx", "") == 401

    page = await client.get(welcome)
    assert page.status_code == 200 and "Lupita" in page.text and "lupita@abarrotes.mx" in page.text
    token = csrf(page.text)
    mismatch = await client.post(
        welcome, data={"password": NEW_PASSWORD, "confirm": "otra-cosa-2026", "csrf_token": token}
    )
    assert mismatch.status_code == 422 and "no coinciden" in mismatch.text
    short = await client.post(
        welcome, data={"password": "corta", "confirm": "corta", "csrf_token": token}
    )
    assert short.status_code == 422 and "al menos" in short.text
    chosen = await client.post(
        welcome, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token}
    )
    assert (chosen.status_code, chosen.headers["location"]) == (303, "/")
    console = await client.get("/")
    assert console.status_code == 200 and "Lupita" in console.text  # signed in by the link

    # Used: the link is over, and the password she chose is the one that works.
    again = await client.get(welcome)
    assert again.status_code == 410 and "ya se usó o venció" in again.text
    client.cookies.clear()
    assert await sign_in(client, "lupita@abarrotes.mx", NEW_PASSWORD) == 303


async def test_a_link_for_a_forgotten_password_leaves_the_old_one_working_until_used(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    admin = await bearer(client, make_user(role="admin"))
    agent = make_user(name="Beto")
    issued = await client.post(f"/api/v1/users/{agent.id}/sign-in-link", headers=admin)
    assert issued.status_code == 200, issued.text
    welcome = path_of(issued.json()["sign_in_link"])
    assert await sign_in(client, agent.email, PASSWORD) == 303  # still his
    client.cookies.clear()
    page = await client.get(welcome)
    form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": csrf(page.text)}
    assert (await client.post(welcome, data=form)).status_code == 303
    client.cookies.clear()
    assert await sign_in(client, agent.email, PASSWORD) == 401
    assert await sign_in(client, agent.email, NEW_PASSWORD) == 303


async def test_a_tampered_link_and_non_admins_get_nothing(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    assert (await client.get("/welcome/not-a-real-token")).status_code == 410
    refused = await client.post(
        f"/api/v1/users/{agent.id}/sign-in-link", headers=await bearer(client, agent)
    )
    assert refused.status_code == 403
    forged = await client.post(
        "/welcome/not-a-real-token", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert forged.status_code == 410
