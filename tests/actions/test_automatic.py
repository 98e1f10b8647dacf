"""A queue's automatic messages: the greeting on a new conversation and the closed message
outside its hours (once per closed period), sent through the outbox by no one."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from cdmx.actions.queues import do_create_queue, do_update_queue
from cdmx.actions.users import do_update_user
from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, Event, Message, OutboxItem, User
from cdmx.domain.hours import DAYS
from tests.actions.test_inbound import channel_of, inbound, record
from tests.actions.test_queues import default_queue
from tests.actions.test_statuses import apply, status_update

ZONE = ZoneInfo("America/Mexico_City")
GREETING = "¡Hola! Gracias por escribir a Abarrotes Doña Lupe."
CLOSED = "Ahora estamos cerrados; te respondemos mañana desde las 9:00."


def closed_now() -> dict[str, Any]:
    """Hours open one minute a day, three hours from now: closed for the whole test, and a
    day ago lies in another closed period."""
    start = (datetime.now(ZONE) + timedelta(hours=3)).replace(second=0, microsecond=0)
    end = start + timedelta(minutes=1)
    rng = [start.strftime("%H:%M"), end.strftime("%H:%M")]
    return {"weekly": {day: [rng] for day in DAYS}, "holidays": None, "closed_dates": []}


def set_queue(db: Database, **fields: Any) -> None:
    with db.write() as session:
        do_update_queue(session, default_queue(db).id, **fields)


def automatic(db: Database) -> list[tuple[str | None, int | None, str]]:
    """The outbound messages (text, author, status) in order, each with its outbox row."""
    with db.read() as session:
        rows = session.scalars(
            select(Message).where(Message.direction == "outbound").order_by(Message.id)
        ).all()
        queued = set(session.scalars(select(OutboxItem.message_id)))
        assert {row.id for row in rows} == queued  # each goes through the outbox
        return [(row.text, row.author_id, row.status) for row in rows]


def test_a_new_conversation_gets_the_greeting_once(
    db: Database, make_user: Callable[..., User]
) -> None:
    make_user()
    set_queue(db, greeting_message=GREETING)
    channel = channel_of(db)
    first = record(db, channel, inbound("hola"))
    record(db, channel, inbound("quiero un pedido"))
    assert automatic(db) == [(GREETING, None, "queued")]
    assert first is not None
    with db.read() as session:
        conversation = session.get(Conversation, first.conversation_id)
        assert conversation is not None
        last = session.get(Message, conversation.last_message_id)
        assert last is not None and last.text == "quiero un pedido"
        announced = [
            e.data["message"] for e in session.scalars(select(Event).order_by(Event.id))
            if e.type == "message.created" and e.data["message"]["direction"] == "outbound"
        ]  # fmt: skip
    assert [(m["text"], m["author"]) for m in announced] == [(GREETING, None)]
    # The greeting is not the agent's answer: the customer still waits for one.
    assert conversation.replied_at is None


def test_outside_hours_the_closed_message_goes_once_per_closed_period(
    db: Database, make_user: Callable[..., User]
) -> None:
    make_user()
    set_queue(db, hours=closed_now(), closed_message=CLOSED, greeting_message=GREETING)
    channel = channel_of(db)
    first = record(db, channel, inbound("hola"))
    assert first is not None
    record(db, channel, inbound("¿hay alguien?"))
    assert [text for text, _, _ in automatic(db)] == [GREETING, CLOSED]
    # A day later (the queue opened for its minute in between): told again.
    with db.write() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.id == first.conversation_id)
            .values(closed_notice_at=datetime.now(UTC) - timedelta(days=1))
        )
    record(db, channel, inbound("¿mañana abren?"))
    assert [text for text, _, _ in automatic(db)] == [GREETING, CLOSED, CLOSED]


def test_an_open_queue_or_one_without_messages_sends_nothing(
    db: Database, make_user: Callable[..., User]
) -> None:
    make_user()
    channel = channel_of(db)
    record(db, channel, inbound("hola", wa_id="5215500000001"))
    set_queue(db, hours=None, closed_message=CLOSED)  # always open: never closed
    record(db, channel, inbound("hola", wa_id="5215500000002"))
    set_queue(db, hours=closed_now(), closed_message=None)  # closed, but nothing to say
    record(db, channel, inbound("hola", wa_id="5215500000003"))
    assert automatic(db) == []


def test_the_ticks_of_a_waiting_conversation_s_greeting_reach_its_queue_only(
    db: Database, make_user: Callable[..., User]
) -> None:
    member = make_user(availability="away")  # nobody available: the conversation waits
    outsider = make_user(availability="away")
    with db.write() as session:
        other = do_create_queue(session, name="Soporte", member_ids=[outsider.id])
        do_update_user(session, outsider.id, queue_ids=[other.id])
    set_queue(db, greeting_message=GREETING)
    record(db, channel_of(db), inbound("hola"))
    with db.write() as session:
        greeting = session.scalars(select(Message).where(Message.direction == "outbound")).one()
        greeting.wamid = "wamid.greeting"
    apply(db, channel_of(db), status_update("wamid.greeting", "delivered", int(time.time())))
    with db.read() as session:
        ticks = session.scalars(
            select(Event).where(Event.type == "message.updated").order_by(Event.id)
        ).all()
    assert [event.audience for event in ticks] == [[member.id]]
