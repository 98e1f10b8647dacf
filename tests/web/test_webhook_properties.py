"""Whatever arrives at the webhook, it never gets a 500 and is never lost: a signed body is
stored and processed (or kept with its reason); an unsigned one is refused."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cdmx.db.engine import Database
from cdmx.db.tables import InboxUpdate
from tests.conftest import eventually, signed
from tests.factories import text_message

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
KEYS = ("object", "entry", "changes", "field", "value", "metadata", "messages", "statuses",
        "contacts", "from", "id", "type", "text", "timestamp", "errors")  # fmt: skip


def mutate(payload: Any, draw: Any) -> Any:
    """A Meta payload with some values replaced by arbitrary JSON."""
    if isinstance(payload, dict):
        return {
            key: draw(json_values) if draw(st.integers(0, 9)) == 0 else mutate(value, draw)
            for key, value in payload.items()
            if draw(st.integers(0, 14)) != 0
        }
    if isinstance(payload, list):
        return [mutate(item, draw) for item in payload]
    return payload


@st.composite
def bodies(draw: Any) -> bytes:
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:
        return json.dumps(draw(json_values)).encode()
    return json.dumps(mutate(text_message("hola"), draw)).encode()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies())
async def test_no_body_gets_a_500_or_is_lost(
    client: httpx.AsyncClient, db: Database, body: bytes
) -> None:
    unsigned = await client.post("/webhooks/whatsapp", content=body)
    assert unsigned.status_code == 401
    payload, headers = signed(body)
    response = await client.post("/webhooks/whatsapp", content=payload, headers=headers)
    assert response.status_code == 200

    def settled() -> bool:
        with db.read() as session:
            pending = session.scalar(
                select(func.count(InboxUpdate.id)).where(InboxUpdate.processed_at.is_(None))
            )
            failed = session.scalar(
                select(func.count(InboxUpdate.id)).where(InboxUpdate.attempts > 1)
            )
        assert failed == 0, "an update made the processor fail (a bug, not bad input)"
        return pending == 0

    await eventually(settled, timeout=10)
