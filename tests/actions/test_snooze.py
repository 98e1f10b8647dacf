"""Snooze: a conversation put aside frees its agent's place and comes back to them (or to its
queue, when they are gone) at its time or when the customer writes, whichever is first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from cdmx.actions.assignment import do_snooze_conversation, do_take_conversation
from cdmx.actions.users import do_set_availability, do_update_user
from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, Event, User
from cdmx.domain.errors import Conflict, Forbidden, Invalid
from cdmx.workers.timers import run_timers_once
from tests.actions.test_inbound import channel_of, inbound, record
from tests.actions.test_queues import close, conversation, first_message, set_capacity


def snooze(db: Database, user: User, conversation_id: int, until: datetime) -> Conversation:
    with db.write() as session:
        actor = session.get(User, user.id)
        assert actor is not None
        return do_snooze_conversation(session, actor, conversation_id, until)


def write_again(db: Database, n: int, text: str = "¿siguen ahí?") -> int:
    message = record(db, channel_of(db), inbound(text, wa_id=f"52155{n:08d}"))
    assert message is not None
    return message.conversation_id


def events_of(db: Database, conversation_id: int) -> list[tuple[str, list[int] | None]]:
    with db.read() as session:
        rows = session.scalars(
            select(Event).where(Event.conversation_id == conversation_id).order_by(Event.id)
        ).all()
        return [(row.type, row.audience) for row in rows]


def soon(minutes: float = 30) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def test_snoozing_frees_the_agent_s_place_for_the_oldest_waiting(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    set_capacity(db, agent, 1)
    channel = channel_of(db)
    first = first_message(db, channel, 1)
    waiting = first_message(db, channel, 2)
    assert conversation(db, waiting).status == "queued"
    until = soon()
    snoozed = snooze(db, agent, first, until)
    assert (snoozed.status, snoozed.assignee_id) == ("snoozed", agent.id)
    assert conversation(db, first).snoozed_until == until
    handed = conversation(db, waiting)
    assert (handed.status, handed.assignee_id) == ("assigned", agent.id)
    assert [kind for kind, _ in events_of(db, first)][-1] == "conversation.snoozed"


def test_it_comes_back_to_its_agent_at_its_time_and_not_before(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    first = first_message(db, channel_of(db), 1)
    until = soon(60)
    snooze(db, agent, first, until)
    assert run_timers_once(db, until - timedelta(seconds=1)) == 0
    assert conversation(db, first).status == "snoozed"
    assert run_timers_once(db, until) == 1
    back = conversation(db, first)
    assert (back.status, back.assignee_id, back.snoozed_until) == ("assigned", agent.id, None)
    assert events_of(db, first)[-1] == ("conversation.woken", [agent.id])


def test_it_comes_back_when_the_customer_writes_first(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    first = first_message(db, channel_of(db), 1)
    snooze(db, agent, first, soon(24 * 60))
    assert write_again(db, 1) == first  # the same conversation, not a new one
    back = conversation(db, first)
    assert (back.status, back.assignee_id, back.snoozed_until) == ("assigned", agent.id, None)
    assert back.unread_count == 2
    kinds = [kind for kind, _ in events_of(db, first)]
    assert kinds[-2:] == ["conversation.woken", "message.created"]
    assert run_timers_once(db, soon(25 * 60)) == 0  # nothing left to wake


def test_back_to_its_agent_even_at_capacity_but_routing_gives_them_nothing_new(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    set_capacity(db, agent, 1)
    channel = channel_of(db)
    first = first_message(db, channel, 1)
    until = soon()
    snooze(db, agent, first, until)
    second = first_message(db, channel, 2)  # the free place is taken while it sleeps
    assert conversation(db, second).assignee_id == agent.id
    run_timers_once(db, until)
    assert conversation(db, first).assignee_id == agent.id  # their own reminder
    third = first_message(db, channel, 3)
    assert conversation(db, third).status == "queued"  # two open, capacity one


def test_when_its_agent_is_gone_it_goes_back_to_its_queue_and_is_routed(
    db: Database, make_user: Callable[..., User]
) -> None:
    ana = make_user(name="Ana")
    beto = make_user(name="Beto", availability="offline")
    first = first_message(db, channel_of(db), 1)
    assert conversation(db, first).assignee_id == ana.id
    until = soon()
    snooze(db, ana, first, until)
    with db.write() as session:
        do_set_availability(session, ana.id, "offline")
        do_set_availability(session, beto.id, "available")
    run_timers_once(db, until)
    back = conversation(db, first)
    assert (back.status, back.assignee_id) == ("assigned", beto.id)
    # Ana hears it left her (she held it while it slept); Beto, that it is his now.
    kind, audience = events_of(db, first)[-1]
    assert kind == "conversation.woken" and set(audience or ()) == {ana.id, beto.id}


def test_with_nobody_to_take_it_it_waits_in_its_queue(
    db: Database, make_user: Callable[..., User]
) -> None:
    ana = make_user(name="Ana")
    first = first_message(db, channel_of(db), 1)
    snooze(db, ana, first, soon())
    with db.write() as session:
        do_update_user(session, ana.id, active=False)
    assert write_again(db, 1) == first
    back = conversation(db, first)
    assert (back.status, back.assignee_id) == ("queued", None)


def test_its_agent_may_wake_it_by_hand(db: Database, make_user: Callable[..., User]) -> None:
    agent = make_user()
    first = first_message(db, channel_of(db), 1)
    snooze(db, agent, first, soon())
    with db.write() as session:
        actor = session.get(User, agent.id)
        assert actor is not None
        do_take_conversation(session, actor, first)
    assert conversation(db, first).status == "assigned"


def test_bad_snoozes_are_refused_and_change_nothing(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent, other = make_user(name="Ana"), make_user(name="Beto", availability="away")
    first = first_message(db, channel_of(db), 1)
    with pytest.raises(Invalid) as past:
        snooze(db, agent, first, datetime.now(UTC) - timedelta(minutes=1))
    assert past.value.code == "until_in_past"
    with pytest.raises(Invalid) as far:
        snooze(db, agent, first, datetime.now(UTC) + timedelta(days=400))
    assert far.value.code == "until_too_far"
    with pytest.raises(Invalid) as naive:
        snooze(db, agent, first, datetime.now() + timedelta(hours=1))  # noqa: DTZ005
    assert naive.value.code == "invalid_until"
    with pytest.raises(Forbidden):
        snooze(db, other, first, soon())  # not Beto's
    assert conversation(db, first).status == "assigned"
    close(db, agent, first)
    with pytest.raises(Conflict):
        snooze(db, agent, first, soon())
