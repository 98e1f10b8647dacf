"""Per-queue timers: re-route a conversation whose customer waits too long for a first
reply, and close one whose customer has gone quiet; each with a line in its thread."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from cdmx.actions.replies import do_send_text
from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, Event, Message, User
from cdmx.workers.timers import run_timers_once
from tests.actions.test_automatic import set_queue
from tests.actions.test_inbound import channel_of
from tests.actions.test_queues import conversation, first_message, set_capacity


def lines(db: Database, conversation_id: int) -> list[str]:
    """The product's own lines in a thread (internal, by no one)."""
    with db.read() as session:
        return list(
            session.scalars(
                select(Message.text)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.direction == "internal",
                    Message.author_id.is_(None),
                )
                .order_by(Message.id)
            )
        )


def rerouted_events(db: Database, conversation_id: int) -> list[dict[str, object]]:
    with db.read() as session:
        return [
            event.data for event in session.scalars(
                select(Event).where(
                    Event.conversation_id == conversation_id,
                    Event.type == "conversation.rerouted",
                ).order_by(Event.id)
            )
        ]  # fmt: skip


def reply(db: Database, user: User, conversation_id: int) -> None:
    with db.write() as session:
        agent = session.get(User, user.id)
        assert agent is not None
        do_send_text(session, agent, conversation_id, "¡Hola! ¿En qué te ayudo?", None)


def test_a_silent_agent_s_conversation_goes_to_the_next_one_after_the_queue_s_minutes(
    db: Database, make_user: Callable[..., User]
) -> None:
    ana, beto = make_user(name="Ana"), make_user(name="Beto")
    set_queue(db, reroute_after_minutes=5)
    waiting = first_message(db, channel_of(db), 1)
    assert conversation(db, waiting).assignee_id == ana.id
    now = datetime.now(UTC)
    assert run_timers_once(db, now + timedelta(minutes=4)) == 0
    assert run_timers_once(db, now + timedelta(minutes=6)) == 1
    moved = conversation(db, waiting)
    assert (moved.status, moved.assignee_id, moved.replied_at) == ("assigned", beto.id, None)
    [event] = rerouted_events(db, waiting)
    assert event["previous_assignee_id"] == ana.id
    assert event["conversation"]["assignee_id"] == beto.id  # type: ignore[index]
    assert lines(db, waiting) == ["Reasignada a Beto: sin respuesta en 6 min."]
    # Beto's own five minutes start now: nothing moves before they are up.
    assert run_timers_once(db, now + timedelta(minutes=8)) == 0


def test_an_answered_conversation_is_never_re_routed(
    db: Database, make_user: Callable[..., User]
) -> None:
    ana = make_user(name="Ana")
    make_user(name="Beto")
    set_queue(db, reroute_after_minutes=5)
    answered = first_message(db, channel_of(db), 1)
    reply(db, ana, answered)
    assert run_timers_once(db, datetime.now(UTC) + timedelta(hours=2)) == 0
    assert conversation(db, answered).assignee_id == ana.id


def test_with_nobody_else_with_room_it_goes_back_to_the_queue(
    db: Database, make_user: Callable[..., User]
) -> None:
    ana, beto = make_user(name="Ana"), make_user(name="Beto")
    set_capacity(db, beto, 0)
    set_queue(db, reroute_after_minutes=5)
    waiting = first_message(db, channel_of(db), 1)
    assert conversation(db, waiting).assignee_id == ana.id
    run_timers_once(db, datetime.now(UTC) + timedelta(minutes=10))
    assert (conversation(db, waiting).status, conversation(db, waiting).assignee_id) == (
        "queued", None,
    )  # fmt: skip
    assert lines(db, waiting) == ["De vuelta a la cola: sin respuesta en 10 min."]


def test_a_quiet_conversation_is_closed_and_its_place_handed_over(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    set_capacity(db, agent, 1)
    set_queue(db, auto_close_after_hours=24)
    channel = channel_of(db)
    quiet = first_message(db, channel, 1)
    waiting = first_message(db, channel, 2)
    assert conversation(db, waiting).status == "queued"
    with db.write() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.id == quiet)
            .values(last_inbound_at=datetime.now(UTC) - timedelta(hours=25))
        )
    assert run_timers_once(db, datetime.now(UTC)) == 1
    closed = conversation(db, quiet)
    assert closed.status == "closed" and closed.closed_at is not None
    assert lines(db, quiet) == ["Cerrada automáticamente: el cliente no escribió en 24 h."]
    assert (conversation(db, waiting).status, conversation(db, waiting).assignee_id) == (
        "assigned", agent.id,
    )  # fmt: skip
