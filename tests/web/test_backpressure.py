"""When the database cannot take a webhook, Meta is told to retry instead of being
acknowledged for something that was not stored."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from cdmx.app import create_app
from cdmx.settings import Settings
from tests.conftest import signed
from tests.factories import text_message
from tests.servers import free_port


@pytest.fixture
async def client_without_database(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    # A PostgreSQL address where nothing listens: the database is down.
    dead = settings.model_copy(
        update={"database_url": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/cdmx"}
    )
    app = create_app(dead)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def test_a_webhook_that_cannot_be_stored_is_answered_503(
    client_without_database: httpx.AsyncClient,
) -> None:
    body, headers = signed(text_message("hola"))
    response = await client_without_database.post(
        "/webhooks/whatsapp", content=body, headers=headers
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"


async def test_readyz_says_the_database_is_the_reason(
    client_without_database: httpx.AsyncClient,
) -> None:
    response = await client_without_database.get("/readyz")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "database_unavailable"
    assert error["message"].startswith("database:")
    assert (await client_without_database.get("/healthz")).status_code == 200


async def test_readyz_is_ready_with_a_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert (response.status_code, response.text) == (200, "ready")
