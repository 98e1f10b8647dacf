"""The webhook endpoint: verification, signatures, durable storage before the 200."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from cdmx.db.engine import Database
from cdmx.db.tables import InboxUpdate, Message
from tests.conftest import eventually, signed
from tests.factories import text_message


async def test_verification_echoes_the_challenge(client: httpx.AsyncClient) -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": "verify-me",
        "hub.challenge": "1158201444",
    }
    response = await client.get("/webhooks/whatsapp", params=params)
    assert response.status_code == 200
    assert response.text == "1158201444"


async def test_verification_with_a_wrong_token_is_refused(client: httpx.AsyncClient) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}
    response = await client.get("/webhooks/whatsapp", params=params)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "verification_failed"


async def test_unsigned_and_badly_signed_posts_are_rejected_and_not_stored(
    client: httpx.AsyncClient, db: Database
) -> None:
    body, headers = signed(text_message("hola"))
    missing = await client.post("/webhooks/whatsapp", content=body)
    tampered = await client.post(
        "/webhooks/whatsapp", content=body.replace(b"hola", b"hole"), headers=headers
    )
    assert (missing.status_code, tampered.status_code) == (401, 401)
    with db.read() as session:
        assert session.scalar(select(func.count(InboxUpdate.id))) == 0


async def test_non_ascii_text_is_verified_over_the_raw_bytes(
    client: httpx.AsyncClient, db: Database
) -> None:
    body, headers = signed(text_message("¿Cómo estás? 😊 @tienda"))
    assert b"\\u00bf" in body  # Meta's escaping, kept byte for byte
    response = await client.post("/webhooks/whatsapp", content=body, headers=headers)
    assert response.status_code == 200

    def stored() -> str | None:
        with db.read() as session:
            return session.scalar(select(Message.text))

    assert await eventually(stored) == "¿Cómo estás? 😊 @tienda"


async def test_redelivered_webhook_stores_one_message(
    client: httpx.AsyncClient, db: Database
) -> None:
    body, headers = signed(text_message("hola", wamid="wamid.SAME"))
    for _ in range(3):
        assert (
            await client.post("/webhooks/whatsapp", content=body, headers=headers)
        ).status_code == 200
    # The same message inside a different body (Meta retried with other envelope bytes).
    other, other_headers = signed(text_message("hola", wamid="wamid.SAME", name="Otro nombre"))
    assert (
        await client.post("/webhooks/whatsapp", content=other, headers=other_headers)
    ).status_code == 200

    def processed() -> bool:
        with db.read() as session:
            pending = session.scalar(
                select(func.count(InboxUpdate.id)).where(InboxUpdate.processed_at.is_(None))
            )
            return session.scalar(select(func.count(InboxUpdate.id))) == 2 and pending == 0

    await eventually(processed)
    with db.read() as session:
        assert session.scalar(select(func.count(Message.id))) == 1


async def test_malformed_json_is_kept_and_answered_200(
    client: httpx.AsyncClient, db: Database
) -> None:
    body, headers = signed(b"{not json")
    response = await client.post("/webhooks/whatsapp", content=body, headers=headers)
    assert response.status_code == 200  # stored; Meta must not retry it for 7 days

    def dead_lettered() -> str | None:
        with db.read() as session:
            row = session.scalars(select(InboxUpdate)).one()
            return row.error if row.processed_at else None

    assert "not JSON" in (await eventually(dead_lettered))
