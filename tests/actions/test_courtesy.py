"""Read receipts and "typing…": where they go, with which token, and a refusal never raised."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from cdmx.actions.channels import do_set_channel_token
from cdmx.actions.courtesy import CourtesyTarget, courtesy_target, send_courtesy
from cdmx.db.engine import Database
from cdmx.db.tables import Channel
from cdmx.domain.sealing import Sealer
from cdmx.whatsapp.graph import GraphClient
from tests.factories import text_message
from tests.media_helpers import record_inbound

SEALER = Sealer("courtesy-test-key-0123456789")


def target(db: Database, conversation_id: int) -> CourtesyTarget | None:
    with db.read() as session:
        return courtesy_target(
            session, conversation_id, default_token="DEFAULT-TOKEN", sealer=SEALER
        )


def test_the_target_is_the_customers_latest_message_with_the_default_token(db: Database) -> None:
    record_inbound(db, text_message("hola", wamid="wamid.FIRST"))
    latest = record_inbound(db, text_message("¿siguen ahí?", wamid="wamid.LATEST"))
    got = target(db, latest.conversation_id)
    assert got is not None and got.wamid == "wamid.LATEST" and got.token == "DEFAULT-TOKEN"


def test_a_number_with_its_own_token_uses_it_and_an_unreadable_one_skips(db: Database) -> None:
    message = record_inbound(db, text_message("hola"))
    with db.write() as session:
        channel = session.scalar(select(Channel))
        assert channel is not None
        do_set_channel_token(session, SEALER, channel.id, "EAAG-own-token")
    got = target(db, message.conversation_id)
    assert got is not None and got.token == "EAAG-own-token"
    with db.read() as session:
        other_key = courtesy_target(
            session, message.conversation_id, default_token="DEFAULT-TOKEN",
            sealer=Sealer("another-key-0123456789"),
        )  # fmt: skip
    assert other_key is None


def test_a_number_behind_aws_or_a_conversation_without_inbound_gets_nothing(db: Database) -> None:
    assert target(db, 999_999) is None
    message = record_inbound(db, text_message("hola"))
    with db.write() as session:
        channel = session.scalar(select(Channel))
        assert channel is not None
        channel.provider = "aws"
    assert target(db, message.conversation_id) is None


async def test_a_refused_courtesy_is_logged_not_raised() -> None:
    calls: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append({"path": request.url.path, "body": request.content.decode()})
        error = {"message": "Invalid parameter", "type": "OAuthException", "code": 100}
        return httpx.Response(400, json={"error": error})

    graph = GraphClient("http://graph.test", "v25.0", transport=httpx.MockTransport(handler))
    try:
        await send_courtesy(graph, CourtesyTarget("123", "tok", "wamid.X"), typing=False)
        await send_courtesy(graph, CourtesyTarget("123", "tok", "wamid.X"), typing=True)
    finally:
        await graph.aclose()
    assert [c["path"] for c in calls] == ["/v25.0/123/messages"] * 2
    assert '"status":"read"' in str(calls[0]["body"]).replace(" ", "")
    assert "typing_indicator" in str(calls[1]["body"])
