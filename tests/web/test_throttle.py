"""Sign-in throttling: growing delays per account and per address (429 with Retry-After on
the API, a clear message on /login), the right password still works after the wait, and a
cap on concurrent password hashes. The clock is the throttle's, moved by the test."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import cdmx.web.auth as auth
from cdmx.db.tables import User
from cdmx.web.throttle import HashGate, SignInThrottle
from tests.conftest import PASSWORD
from tests.web.test_sign_in_links import csrf


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app: Any) -> Clock:
    fake = Clock()
    app.state.services.sign_ins.throttle.clock = fake
    return fake


async def token_attempt(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/token", json={"email": email, "password": password})


async def test_twenty_wrong_passwords_are_refused_and_the_right_one_works_after_the_wait(
    client: httpx.AsyncClient, make_user: Callable[..., User], clock: Clock
) -> None:
    agent = make_user()
    answers = [await token_attempt(client, agent.email, "no-es-la-clave") for _ in range(20)]
    assert [a.status_code for a in answers[:5]] == [401] * 5
    assert {a.status_code for a in answers[5:]} == {429}
    last = answers[-1]
    assert last.json()["error"]["code"] == "too_many_requests"
    wait = int(last.headers["Retry-After"])
    assert wait >= 1
    # While it waits, even the right password is refused (no hash is computed for it).
    assert (await token_attempt(client, agent.email, PASSWORD)).status_code == 429
    clock.now += wait
    assert (await token_attempt(client, agent.email, PASSWORD)).status_code == 200
    # The success cleared the account's count: a typo now costs nothing.
    assert (await token_attempt(client, agent.email, "typo")).status_code == 401


async def test_the_delays_grow_with_each_further_failure(
    client: httpx.AsyncClient, make_user: Callable[..., User], clock: Clock
) -> None:
    agent = make_user()
    for _ in range(5):
        await token_attempt(client, agent.email, "mal")
    waits = []
    for _ in range(4):
        refused = await token_attempt(client, agent.email, "mal")
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        clock.now += waits[-1]
        assert (await token_attempt(client, agent.email, "mal")).status_code == 401
    assert waits == [1, 2, 4, 8]


async def test_one_address_guessing_many_accounts_is_slowed_down_too(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    codes = [
        (await token_attempt(client, f"nadie{n}@example.mx", "x" * 8)).status_code
        for n in range(21)
    ]
    assert codes[:20] == [401] * 20 and codes[20] == 429


async def test_the_login_page_says_so_in_spanish_with_retry_after(
    client: httpx.AsyncClient, make_user: Callable[..., User], clock: Clock
) -> None:
    agent = make_user()
    token = csrf((await client.get("/login")).text)
    form = {"email": agent.email, "password": "equivocada", "csrf_token": token}
    codes = [(await client.post("/login", data=form)).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    page = await client.post("/login", data=form)
    assert page.status_code == 429 and page.headers["Retry-After"] == "1"
    assert "Demasiados intentos fallidos" in page.text and "vuelva a intentarlo en 1 s" in page.text
    clock.now += 1
    form["password"] = PASSWORD
    assert (await client.post("/login", data=form)).status_code == 303


async def test_a_flood_of_sign_ins_waits_for_a_few_hash_slots_and_the_excess_is_refused(
    app: Any, client: httpx.AsyncClient, make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    agent = make_user()
    guard = app.state.services.sign_ins
    object.__setattr__(guard, "gate", HashGate(slots=1, waiting=1))
    object.__setattr__(guard, "throttle", SignInThrottle())
    release = threading.Event()
    inside: list[int] = []
    real = auth.verify_password

    def slow(password_hash: str, password: str) -> bool:
        inside.append(1)
        release.wait(5)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", slow)
    first = asyncio.create_task(token_attempt(client, agent.email, PASSWORD))
    second = asyncio.create_task(token_attempt(client, agent.email, PASSWORD))
    while not inside:
        await asyncio.sleep(0.01)
    # Two are in (one hashing, one waiting for the slot): the third is refused at once.
    third = await token_attempt(client, agent.email, PASSWORD)
    assert third.status_code == 429 and third.json()["error"]["code"] == "too_many_requests"
    assert len(inside) == 1  # one hash at a time
    release.set()
    assert [(await first).status_code, (await second).status_code] == [200, 200]
    assert (await token_attempt(client, agent.email, PASSWORD)).status_code == 200
