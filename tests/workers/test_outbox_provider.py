"""A number behind AWS End User Messaging Social is sent through it, not the Graph API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select

from cdmx.db.engine import Database
from cdmx.db.tables import Channel, Message, User
from cdmx.whatsapp.graph import GraphClient, SendResult
from cdmx.workers.outbox import OutboxSender
from tests.actions.test_outbox import open_conversation, reply


class RecordingSender:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def send_message(
        self, phone_number_id: str, token: str, body: dict[str, Any]
    ) -> SendResult:
        self.calls.append((phone_number_id, body))
        return SendResult(wamid="wamid.AWS1", wa_id=None)


def refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the Graph API must not be called for an AWS number: {request.url}")


async def test_an_aws_number_is_sent_through_end_user_messaging(
    db: Database, make_user: Callable[..., User]
) -> None:
    with db.write() as session:
        session.scalars(select(Channel)).one().provider = "aws"
    agent = make_user()
    message_id = reply(db, agent, open_conversation(db), "hola desde AWS")
    eum = RecordingSender()
    graph = GraphClient("http://graph.test", "v25.0", transport=httpx.MockTransport(refuse))
    sender = OutboxSender(db, graph, token_for=lambda _: "", rate_per_second=80, eum=eum)
    assert await sender.send_batch() == 1
    await graph.aclose()
    assert eum.calls[0][1]["text"]["body"] == "hola desde AWS"
    with db.read() as session:
        message = session.get(Message, message_id)
        assert message is not None and (message.wamid, message.status) == ("wamid.AWS1", "sent")
