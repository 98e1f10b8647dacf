"""An agent's reply accepted: the message and its outbox row, what it costs and publishes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from cdmx.actions.replies import do_send_text
from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, Message, OutboxItem, ReportEvent, User
from cdmx.domain.errors import Forbidden
from tests.actions.test_outbox import open_conversation
from tests.counting import assert_queries, captured_events


def send(
    db: Database, user: User, conversation_id: int, text: str, local_id: str | None = None
) -> Message:
    with db.write() as session:
        agent = session.get(User, user.id)
        assert agent is not None
        return do_send_text(session, agent, conversation_id, text, local_id)


def test_a_reply_is_accepted_in_nine_statements_and_announced_to_its_agent(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    conversation_id = open_conversation(db)
    with db.read() as session:
        user = session.get(User, agent.id)
    assert user is not None
    # Eight before reports; the ninth writes its reporting rows (the queue's hours come
    # with the conversation's row, so no read is added).
    with assert_queries(db, 9), captured_events(db) as events, db.write() as session:
        message = do_send_text(session, user, conversation_id, "¡Hola! ¿En qué le ayudo?", "L1")
    assert [(e.type, e.audience) for e in events] == [("message.created", [agent.id])]
    shown = events[0].data["message"]
    assert (shown["id"], shown["status"], shown["local_id"]) == (message.id, "queued", "L1")
    assert events[0].data["conversation"]["last_message"]["summary"] == "¡Hola! ¿En qué le ayudo?"
    with db.read() as session:
        assert session.scalars(select(OutboxItem.message_id)).all() == [message.id]


def test_a_retried_reply_costs_two_reads_and_announces_nothing(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    conversation_id = open_conversation(db)
    first = send(db, agent, conversation_id, "hola", "L1")
    with db.read() as session:
        user = session.get(User, agent.id)
    assert user is not None
    with assert_queries(db, 2), captured_events(db) as events, db.write() as session:
        again = do_send_text(session, user, conversation_id, "hola", "L1")
    assert again.id == first.id and events == []


def test_another_agent_s_reply_is_refused_and_writes_nothing(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent, other = make_user(), make_user(availability="away")
    conversation_id = open_conversation(db)
    with captured_events(db) as events, pytest.raises(Forbidden):
        send(db, other, conversation_id, "no es mía")
    assert events == []
    with db.read() as session:
        assert session.scalars(select(OutboxItem)).all() == []
    assert agent.id != other.id


def test_the_first_reply_reports_the_wait_and_a_second_in_a_row_reports_none(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    conversation_id = open_conversation(db)
    send(db, agent, conversation_id, "¡Hola!")
    send(db, agent, conversation_id, "¿Sigue ahí?")  # nobody was waiting for this one
    with db.read() as session:
        rows = session.execute(
            select(ReportEvent.kind, ReportEvent.agent_id, ReportEvent.seconds)
            .where(ReportEvent.kind.in_(["first_reply", "reply"]))
            .order_by(ReportEvent.id)
        ).all()
        conversation = session.get(Conversation, conversation_id)
    assert [(kind, agent_id) for kind, agent_id, _ in rows] == [
        ("first_reply", agent.id), ("reply", agent.id),
    ]  # fmt: skip
    assert rows[0].seconds == rows[1].seconds and rows[0].seconds is not None
    assert conversation is not None
    assert (conversation.messages_in, conversation.messages_out) == (1, 2)
    assert conversation.awaiting_since is None and conversation.first_reply_at is not None
