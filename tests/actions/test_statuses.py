"""Delivery statuses applied to an outbound message: what they cost and whom they tell."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import update

from cdmx.actions.statuses import do_apply_status
from cdmx.db.engine import Database
from cdmx.db.tables import MESSAGES, Channel, Message, User
from cdmx.whatsapp.payload import StatusUpdate, parse_update
from tests.actions.test_inbound import channel_of
from tests.actions.test_outbox import open_conversation, reply
from tests.counting import assert_queries, captured_events
from tests.factories import status


def sent_reply(db: Database, agent: User, wamid: str) -> int:
    """An agent's reply the Cloud API accepted as ``wamid``."""
    message_id = reply(db, agent, open_conversation(db), "Su pedido va en camino")
    with db.write() as session:
        session.execute(
            update(MESSAGES).where(MESSAGES.c.id == message_id).values(wamid=wamid, status="sent")
        )
    return message_id


def status_update(wamid: str, value: str, timestamp: int) -> StatusUpdate:
    return parse_update(json.dumps(status(wamid, value, timestamp=timestamp)).encode()).statuses[0]


def apply(db: Database, channel: Channel, update: StatusUpdate) -> bool:
    with db.write() as session:
        return do_apply_status(session, channel, update)


def test_a_status_moves_the_tick_in_four_statements_and_tells_only_the_agent(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    channel = channel_of(db)
    message_id = sent_reply(db, agent, "wamid.OUT1")
    # The message with its conversation's assignee, the update, the sender's name for the
    # snapshot, and the events' INSERT.
    with assert_queries(db, 4), captured_events(db) as events:
        moved = apply(db, channel, status_update("wamid.OUT1", "delivered", 1_700_000_100))
    assert moved
    assert [(e.type, e.audience) for e in events] == [("message.updated", [agent.id])]
    assert events[0].data["message"]["id"] == message_id
    assert events[0].data["message"]["status"] == "delivered"
    with db.read() as session:
        stored = session.get(Message, message_id)
        assert stored is not None and stored.status == "delivered"


def test_a_status_that_would_move_the_tick_back_changes_and_announces_nothing(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    channel = channel_of(db)
    message_id = sent_reply(db, agent, "wamid.OUT2")
    assert apply(db, channel, status_update("wamid.OUT2", "read", 1_700_000_200))
    with assert_queries(db, 1), captured_events(db) as events:
        moved = apply(db, channel, status_update("wamid.OUT2", "delivered", 1_700_000_100))
    assert not moved and events == []
    with db.read() as session:
        stored = session.get(Message, message_id)
        assert stored is not None and stored.status == "read"


def test_a_status_before_its_send_is_recorded_is_kept_for_later_without_an_event(
    db: Database, make_user: Callable[..., User]
) -> None:
    make_user()
    channel = channel_of(db)
    with assert_queries(db, 2), captured_events(db) as events:
        moved = apply(db, channel, status_update("wamid.LATER", "delivered", 1_700_000_300))
    assert not moved and events == []
