"""Fixtures shared by the suite: a clean database per test (SQLite or PostgreSQL), settings,
the app with its lifespan running, signed webhook helpers and user factories.

The backend comes from CDMX_TEST_DATABASE_URL: unset means SQLite; a PostgreSQL URL makes the
suite create its own database on that server, migrate it once, and empty it between tests.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cdmx.actions.channels import do_ensure_channel
from cdmx.actions.users import do_create_user, do_set_availability
from cdmx.app import create_app
from cdmx.db.engine import Database
from cdmx.db.migrate import upgrade
from cdmx.db.tables import Base, User
from cdmx.settings import Settings, load_settings
from cdmx.whatsapp.signature import sign

APP_SECRET = "test-app-secret"
PHONE_NUMBER_ID = "100000000000001"
DISPLAY_NUMBER = "525550000000"
WABA_ID = "200000000000001"
ACCESS_TOKEN = "test-token"
PASSWORD = "correct horse battery"

BACKEND_URL = os.environ.get("CDMX_TEST_DATABASE_URL", "sqlite")


def pytest_report_header() -> str:
    return f"database backend: {make_url(BACKEND_URL).render_as_string() if BACKEND_URL != 'sqlite' else 'sqlite'}"


@pytest.fixture(scope="session")
def _database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database made once per run: a SQLite file to copy, or a PostgreSQL DB."""
    if BACKEND_URL == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        upgrade(f"sqlite:///{path}")
        yield str(path)
        return
    server = make_url(BACKEND_URL)
    name = f"cdmx_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(_database_template: str, tmp_path: Path) -> Iterator[str]:
    """A clean, migrated database for one test."""
    if BACKEND_URL == "sqlite":
        path = tmp_path / "cdmx.db"
        shutil.copy(_database_template, path)
        yield f"sqlite:///{path}"
        return
    yield _database_template
    engine = create_engine(_database_template)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        CDMX_DATABASE_URL=database_url,
        CDMX_SECRET_KEY="test-secret-key-0123456789",
        CDMX_MEDIA_ROOT=str(tmp_path / "media"),
        WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID,
        WHATSAPP_BUSINESS_ACCOUNT_ID=WABA_ID,
        WHATSAPP_DISPLAY_PHONE_NUMBER=DISPLAY_NUMBER,
        META_ACCESS_TOKEN=ACCESS_TOKEN,
        META_APP_SECRET=APP_SECRET,
        WEBHOOK_VERIFICATION_TOKEN="verify-me",
        GRAPH_API_BASE_URL="http://graph.test",
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """A database handle for arranging and checking (not the app's own)."""
    database = Database(settings.database_url)
    with database.write() as session:
        do_ensure_channel(
            session, phone_number_id=PHONE_NUMBER_ID, display_phone_number=DISPLAY_NUMBER,
            business_account_id=WABA_ID,
        )  # fmt: skip
    yield database
    database.dispose()


class GraphRecorder:
    """A fake Graph API: records each request and answers like Meta (or as told)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.responses: list[httpx.Response] = []  # queued answers; default is success
        self._count = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # the template sync at start: no templates here
            return httpx.Response(200, json={"data": [], "paging": {}})
        body = json.loads(request.content)
        self.requests.append(
            {"path": request.url.path, "body": body, "auth": request.headers.get("authorization")}
        )
        if self.responses:
            return self.responses.pop(0)
        self._count += 1
        return httpx.Response(
            200,
            json={
                "messaging_product": "whatsapp",
                "contacts": [
                    {"input": body.get("to"), "wa_id": str(body.get("to", "")).lstrip("+")}
                ],
                "messages": [{"id": f"wamid.OUT{self._count}"}],
            },
        )

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


@pytest.fixture
def graph() -> GraphRecorder:
    return GraphRecorder()


@pytest.fixture
async def app(settings: Settings, db: Database, graph: GraphRecorder) -> AsyncIterator[Any]:
    """The app with its lifespan (and workers) running, Graph calls going to ``graph``."""
    application = create_app(settings, graph_transport=graph.transport)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def make_user(db: Database) -> Callable[..., User]:
    """Create a user (available agents by default)."""
    counter = iter(range(1, 10_000))

    def make(role: str = "agent", availability: str = "available", name: str | None = None) -> User:
        n = next(counter)
        with db.write() as session:
            user = do_create_user(
                session, email=f"user{n}@test.cdmx", name=name or f"Agent {n}", role=role,
                password=PASSWORD,
            )  # fmt: skip
            if availability != "offline":
                do_set_availability(session, user.id, availability)
            session.refresh(user)
        return user

    return make


async def bearer(client: httpx.AsyncClient, user: User) -> dict[str, str]:
    """Authorization headers for ``user``."""
    response = await client.post(
        "/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def signed(payload: dict[str, Any] | bytes) -> tuple[bytes, dict[str, str]]:
    """Body bytes as Meta sends them (ASCII-escaped) and their signature header."""
    body = (
        payload
        if isinstance(payload, bytes)
        else json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode()
    )
    return body, {"X-Hub-Signature-256": sign(body, APP_SECRET), "Content-Type": "application/json"}


def record_calls(
    monkeypatch: pytest.MonkeyPatch,
    owner: Any,
    name: str,
    note: Callable[..., Any] = lambda *args: args[0] if len(args) == 1 else args,
) -> list[Any]:
    """Wrap ``owner.name`` for the test: each call first appends ``note(*args)`` (the lone
    argument, by default) to the list returned, then runs the real function."""
    calls: list[Any] = []
    real = getattr(owner, name)

    def recorded(*args: Any, **kwargs: Any) -> Any:
        calls.append(note(*args, **kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, recorded)
    return calls


async def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy, or fail."""
    import asyncio
    import inspect
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {check}")
        await asyncio.sleep(0.02)
