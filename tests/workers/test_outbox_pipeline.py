"""The running outbox sender is a pipeline: a reply goes out while earlier ones still wait
for WhatsApp's answer, a conversation's replies still leave one after the other, and
stopping records what was in flight."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from cdmx.db.engine import Database
from cdmx.db.tables import Message, User
from cdmx.whatsapp.graph import SendResult
from cdmx.workers.outbox import OutboxSender
from tests.actions.test_outbox import open_conversation, reply
from tests.conftest import eventually


class HeldGraph:
    """Answers like Meta, except that a text in ``held`` waits until it is released."""

    def __init__(self, *held: str) -> None:
        self.started: list[str] = []
        self.answered: list[str] = []
        self.gates = {text: asyncio.Event() for text in held}

    async def send_message(self, phone_number_id: str, token: str, body: dict[str, Any]) -> Any:
        text = body["text"]["body"]
        self.started.append(text)
        if text in self.gates:
            await self.gates[text].wait()
        self.answered.append(text)
        return SendResult(wamid=f"wamid.{text}", wa_id=None)


def statuses(db: Database) -> dict[str, tuple[str, str | None]]:
    with db.read() as session:
        rows = session.execute(
            select(Message.text, Message.status, Message.wamid).where(
                Message.direction == "outbound"
            )
        )
        return {text: (status, wamid) for text, status, wamid in rows}


async def run_sender(db: Database, graph: HeldGraph) -> tuple[asyncio.Event, asyncio.Event, Any]:
    sender = OutboxSender(db, graph, token_for=lambda _: "token", rate_per_second=80)  # type: ignore[arg-type]
    wakeup, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(sender.run(wakeup, stop))
    return wakeup, stop, task


async def stop_sender(
    graph: HeldGraph, wakeup: asyncio.Event, stop: asyncio.Event, task: Any
) -> None:
    stop.set()
    wakeup.set()
    for gate in graph.gates.values():
        gate.set()
    await asyncio.wait_for(task, 5)


async def test_a_reply_goes_out_while_an_earlier_one_waits_for_its_answer(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    first, second = (open_conversation(db, wa_id=f"5215500000{n}1") for n in (1, 2))
    graph = HeldGraph("slow")
    wakeup, stop, task = await run_sender(db, graph)
    try:
        reply(db, agent, first, "slow")
        wakeup.set()
        await eventually(lambda: graph.started == ["slow"])
        reply(db, agent, second, "quick")
        wakeup.set()
        # Sent and recorded while "slow" is still waiting for WhatsApp's answer.
        await eventually(lambda: statuses(db)["quick"] == ("sent", "wamid.quick"))
        assert statuses(db)["slow"] == ("queued", None)
        graph.gates["slow"].set()
        await eventually(lambda: statuses(db)["slow"] == ("sent", "wamid.slow"))
    finally:
        await stop_sender(graph, wakeup, stop, task)


async def test_a_conversations_next_reply_waits_until_the_one_before_is_recorded(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    conversation = open_conversation(db)
    graph = HeldGraph("one")
    wakeup, stop, task = await run_sender(db, graph)
    try:
        reply(db, agent, conversation, "one")
        reply(db, agent, conversation, "two")
        wakeup.set()
        await eventually(lambda: graph.started == ["one"])
        await asyncio.sleep(0.3)  # several claims come and go meanwhile
        assert graph.started == ["one"], "the second reply must not overtake the first"
        graph.gates["one"].set()
        await eventually(lambda: statuses(db)["two"] == ("sent", "wamid.two"))
        assert graph.answered == ["one", "two"]
    finally:
        await stop_sender(graph, wakeup, stop, task)


async def test_stopping_records_the_sends_in_flight(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    graph = HeldGraph("last")
    wakeup, stop, task = await run_sender(db, graph)
    reply(db, agent, open_conversation(db), "last")
    wakeup.set()
    await eventually(lambda: graph.started == ["last"])
    stop.set()
    wakeup.set()
    await asyncio.sleep(0.1)
    assert not task.done(), "the sender waits for the call WhatsApp has not answered yet"
    graph.gates["last"].set()
    await asyncio.wait_for(task, 5)
    assert statuses(db)["last"] == ("sent", "wamid.last")
