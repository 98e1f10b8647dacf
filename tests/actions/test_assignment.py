"""Routing and the life of a conversation: open, assign, queue, take, transfer, close."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import event, func, select

from cdmx.actions.assignment import (
    do_take_conversation,
    do_transfer_conversation,
)
from cdmx.actions.closing import do_close_conversation
from cdmx.actions.inbound import do_record_inbound_message
from cdmx.actions.queues import do_create_queue
from cdmx.actions.users import do_set_availability, do_update_user
from cdmx.db.engine import Database
from cdmx.db.tables import Channel, Conversation, Event, Message, User
from cdmx.whatsapp.payload import parse_update
from tests.factories import text_message


def receive(db: Database, text: str = "hola", wa_id: str = "5215512345678") -> Conversation:
    """Record one inbound text through the real parser and action; return its conversation."""
    inbound = parse_update(json.dumps(text_message(text, wa_id=wa_id)).encode()).messages[0]
    with db.write() as session:
        channel = session.scalars(select(Channel)).one()
        message = do_record_inbound_message(session, channel, inbound)
        assert message is not None
        conversation = session.get(Conversation, message.conversation_id)
        assert conversation is not None
        return conversation


def test_new_conversation_goes_to_the_available_agent_with_fewest_open(
    db: Database, make_user: Callable[..., User]
) -> None:
    busy = make_user(name="Busy")
    idle = make_user(name="Idle")
    make_user(name="Away", availability="away")
    first = receive(db, wa_id="5215500000001")
    assert first.assignee_id == busy.id  # both at zero: lowest id (never assigned) wins
    second = receive(db, wa_id="5215500000002")
    assert second.assignee_id == idle.id
    third = receive(db, wa_id="5215500000003")
    assert third.assignee_id in (busy.id, idle.id)


def test_with_nobody_available_it_waits_and_goes_to_the_first_agent_who_comes(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user(availability="offline")
    queued = [receive(db, wa_id=f"52155000000{i:02d}") for i in range(3)]
    assert {c.status for c in queued} == {"queued"}
    with db.write() as session:
        do_set_availability(session, agent.id, "available")
    with db.read() as session:
        statuses = session.execute(select(Conversation.status, Conversation.assignee_id)).all()
    assert statuses == [("assigned", agent.id)] * 3


def test_the_next_message_stays_in_the_same_conversation_with_the_same_agent(
    db: Database, make_user: Callable[..., User]
) -> None:
    make_user()
    make_user()
    first = receive(db, "hola")
    again = receive(db, "¿sigues ahí?")
    assert again.id == first.id
    assert again.assignee_id == first.assignee_id
    assert again.unread_count == 2


def test_after_a_close_the_customer_returns_to_the_previous_agent(
    db: Database, make_user: Callable[..., User]
) -> None:
    ana = make_user(name="Ana")
    make_user(name="Beto")
    first = receive(db)
    assert first.assignee_id == ana.id
    receive(db, wa_id="5215599999999")  # Beto now has one, Ana has one
    with db.write() as session:
        user = session.get(User, ana.id)
        assert user is not None
        do_close_conversation(session, user, first.id)
    # Ana has fewer open conversations than Beto now, so make her the busier one first.
    receive(db, wa_id="5215588888888")
    returning = receive(db)
    assert returning.id != first.id
    assert returning.assignee_id == ana.id


def test_take_transfer_and_close_emit_snapshots_to_the_right_people(
    db: Database, make_user: Callable[..., User]
) -> None:
    ana = make_user(name="Ana", availability="offline")
    beto = make_user(name="Beto", availability="offline")
    carla = make_user(name="Carla", availability="offline")
    with db.write() as session:  # Carla works in another queue only
        do_update_user(session, carla.id, queue_ids=[do_create_queue(session, name="Soporte").id])
    conversation = receive(db)
    assert conversation.status == "queued"
    with db.write() as session:
        do_take_conversation(session, session.get(User, ana.id), conversation.id)  # type: ignore[arg-type]
    with db.write() as session:
        do_transfer_conversation(session, session.get(User, ana.id), conversation.id, beto.id)  # type: ignore[arg-type]
    with db.write() as session:
        do_close_conversation(session, session.get(User, beto.id), conversation.id)  # type: ignore[arg-type]
    with db.read() as session:
        events = session.scalars(
            select(Event).where(Event.conversation_id == conversation.id).order_by(Event.id)
        ).all()
    kinds = [(e.type, e.audience) for e in events]
    # While it waits, its queue's members hear of it (never Carla, of another queue); when
    # Ana takes it they hear it left the queue; Ana must learn it left her list.
    assert kinds == [
        ("conversation.created", [ana.id, beto.id]),
        ("message.created", [ana.id, beto.id]),
        ("conversation.assigned", [ana.id, beto.id]),
        ("conversation.assigned", [ana.id, beto.id]),
        ("conversation.closed", [beto.id]),
    ]
    assert events[-1].data["conversation"]["status"] == "closed"
    assert events[-2].data["conversation"]["assignee_name"] == "Beto"


def test_a_batch_of_new_customers_reads_the_agents_loads_once_and_still_balances_them(
    db: Database, make_user: Callable[..., User]
) -> None:
    agents = [make_user(name=name) for name in ("Ana", "Beto", "Caro")]
    receive(db, wa_id="5215500000100")  # Ana's, from an earlier transaction
    loads_read: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "last_assigned" in statement:
            loads_read.append(statement)

    inbound = [
        parse_update(json.dumps(text_message("hola", wa_id=f"52155000002{i:02d}")).encode())
        for i in range(6)
    ]
    try:
        with db.write() as session:  # as the inbox processes a batch: one transaction
            channel = session.scalars(select(Channel)).one()
            for update in inbound:
                do_record_inbound_message(session, channel, update.messages[0])
    finally:
        event.remove(db.engine, "before_cursor_execute", note)

    assert len(loads_read) == 1
    with db.read() as session:
        open_by_agent = dict(
            session.execute(
                select(Conversation.assignee_id, func.count()).group_by(Conversation.assignee_id)
            ).all()
        )
    # Seven conversations over three agents: the transaction counted its own assignments.
    assert sorted(open_by_agent.values()) == [2, 2, 3]
    assert set(open_by_agent) == {agent.id for agent in agents}


def test_twenty_concurrent_first_messages_make_one_conversation(
    db: Database, make_user: Callable[..., User]
) -> None:
    make_user()
    updates = [
        parse_update(json.dumps(text_message(f"mensaje {i}", wa_id="5215577777777")).encode())
        for i in range(20)
    ]

    def record(index: int) -> None:
        with db.write() as session:
            channel = session.scalars(select(Channel)).one()
            do_record_inbound_message(session, channel, updates[index].messages[0])

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(record, range(20)))
    with db.read() as session:
        assert session.scalar(select(func.count(Conversation.id))) == 1
        assert session.scalar(select(func.count(Message.id))) == 20
        assert session.scalar(select(Conversation.unread_count)) == 20


def test_reactions_do_not_count_as_unread_or_become_the_last_message(
    db: Database, make_user: Callable[..., User]
) -> None:
    make_user()
    conversation = receive(db, "¿Tienen talla M?")
    payload = text_message("x")
    item = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    item.update({"type": "reaction", "reaction": {"message_id": "wamid.OUT1", "emoji": "👍"}})
    del item["text"]
    inbound = parse_update(json.dumps(payload).encode()).messages[0]
    with db.write() as session:
        channel = session.scalars(select(Channel)).one()
        assert do_record_inbound_message(session, channel, inbound) is not None
    with db.read() as session:
        after = session.get(Conversation, conversation.id)
        assert after is not None
        assert (after.unread_count, after.last_message_id) == (1, conversation.last_message_id)


def test_a_number_change_keeps_the_contact_and_its_history(
    db: Database, make_user: Callable[..., User]
) -> None:
    from cdmx.db.tables import Contact

    make_user()
    first = receive(db, "hola", wa_id="5215511111111")
    payload = text_message("x", wa_id="5215511111111")
    value = payload["entry"][0]["changes"][0]["value"]
    del value["contacts"]  # system messages carry no contacts array
    item = value["messages"][0]
    item.update({
        "type": "system",
        "system": {"body": "User A changed from 5215511111111 to 5215522222222",
                   "type": "user_changed_number", "wa_id": "5215522222222"},
    })  # fmt: skip
    del item["text"]
    inbound = parse_update(json.dumps(payload).encode()).messages[0]
    assert inbound.summary == "El cliente cambió su número a +5215522222222"
    with db.write() as session:
        channel = session.scalars(select(Channel)).one()
        do_record_inbound_message(session, channel, inbound)
    again = receive(db, "ya con mi número nuevo", wa_id="5215522222222")
    assert again.id == first.id  # same contact, same open conversation
    with db.read() as session:
        assert session.scalars(select(Contact.wa_id)).all() == ["5215522222222"]
