"""The published OpenAPI description says what a refusal looks like: the error object the
API really sends, not FastAPI's default ``{"detail": [...]}``."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from cdmx.db.tables import User
from tests.conftest import bearer


async def test_every_422_is_described_as_the_error_object(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    schema = (await client.get("/api/v1/openapi.json")).json()
    refusals = [
        operation["responses"]["422"]
        for operations in schema["paths"].values()
        for operation in operations.values()
        if "422" in operation.get("responses", {})
    ]
    assert refusals
    for refused in refusals:
        assert refused["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    error = schema["components"]["schemas"]["Error"]
    auth = await bearer(client, make_user(role="admin"))
    sent = (await client.post("/api/v1/labels", json={"name": 5}, headers=auth)).json()
    assert set(sent) == set(error["required"])
    assert set(sent["error"]) >= set(error["properties"]["error"]["required"])
