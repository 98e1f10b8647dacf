"""A customer's message recorded in its conversation: what it writes, costs and publishes."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import select

from cdmx.actions.inbound import do_record_inbound_message
from cdmx.actions.queues import do_create_queue
from cdmx.actions.users import do_update_user
from cdmx.db.engine import Database
from cdmx.db.tables import Channel, Message, ReportEvent, User
from cdmx.whatsapp.payload import InboundMessage, parse_update
from tests.counting import assert_queries, captured_events, routing_lock
from tests.factories import text_message


def channel_of(db: Database) -> Channel:
    with db.read() as session:
        return session.scalars(select(Channel)).one()


def inbound(text: str, wa_id: str = "5215512345678", wamid: str | None = None) -> InboundMessage:
    body = json.dumps(text_message(text, wa_id=wa_id, wamid=wamid)).encode()
    return parse_update(body).messages[0]


def report_kinds(db: Database) -> list[tuple[str, int | None]]:
    with db.read() as session:
        rows = session.execute(
            select(ReportEvent.kind, ReportEvent.agent_id).order_by(ReportEvent.id)
        )
        return [(row.kind, row.agent_id) for row in rows]


def record(db: Database, channel: Channel, message: InboundMessage) -> Message | None:
    with db.write() as session:
        return do_record_inbound_message(session, channel, message)


def test_a_new_customer_s_first_message_opens_routes_and_announces_in_ten_statements(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    channel = channel_of(db)
    # The queues' rules (hours, automatic messages) are one read per transaction, shared
    # by a whole inbox batch. The reporting rows (opened, assigned) are the tenth: one
    # executemany (nine before reports).
    with assert_queries(db, 10 + routing_lock(db)), captured_events(db) as events:
        message = record(db, channel, inbound("hola"))
    assert message is not None
    assert report_kinds(db) == [("opened", None), ("assigned", agent.id)]
    assert [e.type for e in events] == [
        "conversation.created", "conversation.assigned", "message.created",
    ]  # fmt: skip
    created, assigned, announced = events
    # Routed at once: it never waited, so only its agent (and supervisors) hear of it.
    assert created.audience == assigned.audience == announced.audience == [agent.id]
    assert created.data["conversation"]["status"] == "queued"
    assert assigned.data["conversation"]["assignee_id"] == agent.id
    assert announced.data["message"]["id"] == message.id
    assert announced.data["conversation"]["unread_count"] == 1
    assert {e.conversation_id for e in events} == {message.conversation_id}


def test_a_known_customer_s_message_costs_eight_statements_and_reaches_only_their_agent(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    channel = channel_of(db)
    first = record(db, channel, inbound("hola"))
    assert first is not None
    # Unchanged by reports: the customer's wait and message count ride on the UPDATE.
    with assert_queries(db, 8), captured_events(db) as events:
        second = record(db, channel, inbound("¿siguen abiertos?"))
    assert second is not None and second.conversation_id == first.conversation_id
    assert report_kinds(db) == [("opened", None), ("assigned", agent.id)]
    assert [(e.type, e.audience) for e in events] == [("message.created", [agent.id])]
    assert events[0].data["conversation"]["unread_count"] == 2


def test_with_nobody_available_the_conversation_waits_and_is_announced_to_its_queue(
    db: Database, make_user: Callable[..., User]
) -> None:
    member = make_user(availability="away")
    outsider = make_user(availability="away")
    with db.write() as session:  # the outsider works only in another queue
        do_update_user(session, outsider.id, queue_ids=[do_create_queue(session, name="Otra").id])
    channel = channel_of(db)
    with captured_events(db) as events:
        message = record(db, channel, inbound("hola"))
    assert message is not None
    assert [(e.type, e.audience) for e in events] == [
        ("conversation.created", [member.id]), ("message.created", [member.id]),
    ]  # fmt: skip
    assert events[1].data["conversation"]["status"] == "queued"


def test_a_redelivered_message_costs_one_statement_and_announces_nothing(
    db: Database, make_user: Callable[..., User]
) -> None:
    make_user()
    channel = channel_of(db)
    assert record(db, channel, inbound("hola", wamid="wamid.SAME")) is not None
    with assert_queries(db, 1), captured_events(db) as events:
        assert record(db, channel, inbound("hola", wamid="wamid.SAME")) is None
    assert events == []
