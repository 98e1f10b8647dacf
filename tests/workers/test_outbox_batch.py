"""The outbox sender records a batch of sends in one transaction, and one bad record does
not undo the others."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select

import cdmx.workers.outbox as outbox_worker
from cdmx.db.engine import Database
from cdmx.db.tables import Message, OutboxItem, User
from cdmx.whatsapp.graph import SendResult
from cdmx.workers.outbox import OutboxSender
from tests.actions.test_outbox import open_conversation, reply


class FakeGraph:
    """Accepts every message, as Meta would, with a wamid named after its text."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_message(self, phone_number_id: str, token: str, body: dict[str, Any]) -> Any:
        self.sent.append(body["text"]["body"])
        return SendResult(wamid=f"wamid.{body['text']['body']}", wa_id=None)


def counting_writes(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    writes: list[int] = []
    real_write = db.write

    @contextmanager
    def write() -> Iterator[Any]:
        writes.append(1)
        with real_write() as session:
            yield session

    monkeypatch.setattr(db, "write", write)
    return writes


@pytest.fixture
def replies(db: Database, make_user: Callable[..., User]) -> list[int]:
    agent = make_user()
    return [
        reply(db, agent, open_conversation(db, wa_id=f"52155000009{i}"), f"r{i}") for i in range(5)
    ]


async def test_a_batch_is_claimed_in_one_transaction_and_recorded_in_another(
    db: Database, replies: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = FakeGraph()
    sender = OutboxSender(db, graph, token_for=lambda _: "token", rate_per_second=80)  # type: ignore[arg-type]
    writes = counting_writes(db, monkeypatch)

    assert await sender.send_batch() == 5

    assert sorted(graph.sent) == [f"r{i}" for i in range(5)]
    assert len(writes) == 2, "one claim, one record"
    with db.read() as session:
        rows = session.execute(select(Message.wamid, Message.status).where(Message.id.in_(replies)))
        assert sorted(rows) == [(f"wamid.r{i}", "sent") for i in range(5)]
        assert all(session.scalars(select(OutboxItem.done_at)))


async def test_a_record_that_fails_leaves_the_others_recorded(
    db: Database, replies: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_record = outbox_worker.do_record_sent

    def record(session: Any, job: Any, wamid: str) -> None:
        real_record(session, job, wamid)
        if wamid == "wamid.r2":
            raise RuntimeError("a bug while recording")

    monkeypatch.setattr(outbox_worker, "do_record_sent", record)
    sender = OutboxSender(db, FakeGraph(), token_for=lambda _: "token", rate_per_second=80)  # type: ignore[arg-type]

    assert await sender.send_batch() == 5

    with db.read() as session:
        replied = select(Message.text, Message.status).where(Message.direction == "outbound")
        statuses = dict(session.execute(replied).all())
    assert statuses == {"r0": "sent", "r1": "sent", "r2": "queued", "r3": "sent", "r4": "sent"}
