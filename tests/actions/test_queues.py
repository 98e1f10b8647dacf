"""Queues and capacity: who gets a new conversation, who waits, and when waiting ends."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text, update

from cdmx.actions.assignment import do_transfer_conversation
from cdmx.actions.closing import do_close_conversation
from cdmx.actions.queues import do_create_queue, do_update_queue
from cdmx.actions.users import do_set_availability, do_update_user
from cdmx.db.engine import Database
from cdmx.db.tables import Channel, Conversation, Queue, QueueMember, User
from cdmx.domain.errors import Conflict, Invalid
from cdmx.domain.routing import CAPACITY_KEY
from cdmx.workers.routing import route_waiting
from tests.actions.test_inbound import channel_of, inbound, record


def default_queue(db: Database) -> Queue:
    with db.read() as session:
        return session.scalars(select(Queue).where(Queue.is_default.is_(True))).one()


def second_number(db: Database, queue_id: int) -> Channel:
    """Another WhatsApp number, feeding ``queue_id``."""
    with db.write() as session:
        channel = Channel(
            phone_number_id="100000000000002", display_phone_number="525550000002",
            queue_id=queue_id, created_at=datetime.now(UTC),
        )  # fmt: skip
        session.add(channel)
        session.flush()
        return channel


def conversation(db: Database, conversation_id: int) -> Conversation:
    with db.read() as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        return found


def first_message(db: Database, channel: Channel, n: int) -> int:
    message = record(db, channel, inbound(f"hola {n}", wa_id=f"52155{n:08d}"))
    assert message is not None
    return message.conversation_id


def set_capacity(db: Database, user: User, capacity: int) -> None:
    with db.write() as session:
        do_update_user(session, user.id, capacity=capacity)


def close(db: Database, user: User, conversation_id: int) -> None:
    with db.write() as session:
        closer = session.get(User, user.id)
        assert closer is not None
        do_close_conversation(session, closer, conversation_id)


def test_an_install_has_one_default_queue_with_every_number_and_new_user(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    queue = default_queue(db)
    channel = channel_of(db)
    assert channel.queue_id == queue.id
    with db.read() as session:
        members = session.scalars(select(QueueMember.user_id)).all()
    assert members == [agent.id]
    opened = conversation(db, first_message(db, channel, 1))
    assert (opened.queue_id, opened.assignee_id) == (queue.id, agent.id)


def test_a_conversation_goes_only_to_members_of_its_number_s_queue(
    db: Database, make_user: Callable[..., User]
) -> None:
    sales, support = make_user(name="Ventas 1"), make_user(name="Soporte 1")
    with db.write() as session:
        queue = do_create_queue(session, name="Soporte", member_ids=[support.id])
        do_update_queue(session, default_queue(db).id, member_ids=[sales.id])
    sales_line = channel_of(db)
    support_line = second_number(db, queue.id)
    # Sales is busier, yet the support number's customers never reach it.
    for n in range(3):
        assert conversation(db, first_message(db, sales_line, n)).assignee_id == sales.id
    for n in range(3, 6):
        routed = conversation(db, first_message(db, support_line, n))
        assert (routed.queue_id, routed.assignee_id) == (queue.id, support.id)


def test_past_capacity_a_conversation_waits_and_a_close_hands_over_the_oldest(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    set_capacity(db, agent, 1)
    channel = channel_of(db)
    first = first_message(db, channel, 1)
    second, third = first_message(db, channel, 2), first_message(db, channel, 3)
    assert conversation(db, first).assignee_id == agent.id
    assert [conversation(db, c).status for c in (second, third)] == ["queued", "queued"]
    close(db, agent, first)
    assert (conversation(db, second).status, conversation(db, second).assignee_id) == (
        "assigned", agent.id,
    )  # fmt: skip
    assert conversation(db, third).status == "queued"


def test_raising_capacity_and_becoming_available_take_waiting_conversations(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    set_capacity(db, agent, 1)
    channel = channel_of(db)
    waiting = [first_message(db, channel, n) for n in range(4)]
    assert Counter(conversation(db, c).status for c in waiting) == {"assigned": 1, "queued": 3}
    set_capacity(db, agent, 2)
    assert Counter(conversation(db, c).status for c in waiting) == {"assigned": 2, "queued": 2}
    late = make_user(availability="away")
    with db.write() as session:
        do_set_availability(session, late.id, "available")
    assigned = [conversation(db, c) for c in waiting]
    # The late agent took the oldest waiting one (capacity 8 by default: all that were left).
    assert [c.assignee_id for c in assigned][2:] == [late.id, late.id]


def test_a_new_member_takes_the_queue_s_waiting_conversations(
    db: Database, make_user: Callable[..., User]
) -> None:
    channel = channel_of(db)
    waiting = [first_message(db, channel, n) for n in range(2)]
    assert {conversation(db, c).status for c in waiting} == {"queued"}  # nobody is there
    agent = make_user()  # joins the default queue, but was offline until now
    with db.write() as session:
        queue = do_create_queue(session, name="Ventas")
        do_update_queue(session, queue.id, member_ids=[agent.id])
    assert {conversation(db, c).status for c in waiting} == {"assigned"}


def test_a_transfer_away_frees_a_place_for_the_oldest_waiting(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent, other = make_user(), make_user(availability="away")
    set_capacity(db, agent, 1)
    channel = channel_of(db)
    mine, waiting = first_message(db, channel, 1), first_message(db, channel, 2)
    with db.write() as session:
        me = session.get(User, agent.id)
        assert me is not None
        do_transfer_conversation(session, me, mine, other.id)
    assert conversation(db, mine).assignee_id == other.id
    assert conversation(db, waiting).assignee_id == agent.id


def test_capacity_zero_receives_nothing_by_routing(
    db: Database, make_user: Callable[..., User]
) -> None:
    resting, working = make_user(), make_user()
    set_capacity(db, resting, 0)
    channel = channel_of(db)
    routed = {conversation(db, first_message(db, channel, n)).assignee_id for n in range(3)}
    assert routed == {working.id}


def test_queue_and_user_changes_refuse_bad_values_and_change_nothing(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    with db.write() as session:
        do_create_queue(session, name="Ventas")
    with pytest.raises(Conflict), db.write() as session:
        do_create_queue(session, name="ventas")
    with pytest.raises(Invalid, match="hours.weekly.mon"), db.write() as session:
        do_create_queue(session, name="Noche", hours={"weekly": {"mon": [["9:00", "18:00"]]}})
    with pytest.raises(Invalid, match="No queue 999"), db.write() as session:
        do_update_user(session, agent.id, queue_ids=[999])
    with pytest.raises(Invalid, match="capacity"), db.write() as session:
        do_update_user(session, agent.id, capacity=-1)
    with db.read() as session:
        assert session.scalars(select(Queue.name).order_by(Queue.name)).all() == [
            "General", "Ventas",
        ]  # fmt: skip
        assert session.scalars(select(QueueMember.user_id)).all() == [agent.id]


def test_fifty_first_messages_at_once_never_exceed_capacity(
    db: Database, make_user: Callable[..., User], database_url: str
) -> None:
    """5 agents of capacity 2, 50 new customers writing at the same moment through two
    connection pools (two instances' worth on PostgreSQL): exactly 10 assigned, two each,
    the other 40 waiting; then each close hands over the oldest waiting one."""
    agents = [make_user() for _ in range(5)]
    for agent in agents:
        set_capacity(db, agent, 2)
    channel = channel_of(db)
    other = Database(database_url, session_info={CAPACITY_KEY: 8})
    start = threading.Barrier(10)
    opened: list[int] = []
    errors: list[BaseException] = []

    def write(handle: Database, numbers: range) -> None:
        try:
            start.wait()
            for n in numbers:
                opened.append(first_message(handle, channel, n))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=(db if i % 2 else other, range(i * 5, i * 5 + 5)))
        for i in range(10)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        other.dispose()
    assert errors == [] and len(opened) == 50
    with db.read() as session:
        rows = session.scalars(select(Conversation).order_by(Conversation.id)).all()
    assert Counter(r.assignee_id for r in rows if r.status == "assigned") == {
        a.id: 2 for a in agents
    }
    waiting = sorted((r for r in rows if r.status == "queued"), key=lambda r: (r.created_at, r.id))
    assert len(waiting) == 40
    holder = next(r for r in rows if r.status == "assigned")
    agent = next(a for a in agents if a.id == holder.assignee_id)
    close(db, agent, holder.id)
    assert conversation(db, waiting[0].id).assignee_id == agent.id
    assert conversation(db, waiting[1].id).status == "queued"


def test_a_close_while_another_transaction_routes_leaves_the_hand_over_to_the_worker(
    db: Database, make_user: Callable[..., User]
) -> None:
    """On PostgreSQL a close does not wait for the routing lock while it holds its row (an
    inbox batch holding the lock may be waiting for that row): it wakes the routing worker,
    whose sweep hands the waiting conversation over. SQLite has one writer: no such wait."""
    if db.is_sqlite:
        pytest.skip("one writer at a time: nobody else can hold the routing lock")
    agent = make_user()
    set_capacity(db, agent, 1)
    channel = channel_of(db)
    mine, waiting = first_message(db, channel, 1), first_message(db, channel, 2)
    holder = db.engine.connect()
    try:
        holder.execute(text("SELECT pg_advisory_xact_lock(5702020001)"))  # an inbox batch
        with db.write() as session:
            closer = session.get(User, agent.id)
            assert closer is not None
            do_close_conversation(session, closer, mine)
            assert session.info.get("wake") == {"routing"}
        assert conversation(db, waiting).status == "queued"
    finally:
        holder.rollback()
        holder.close()
    assert route_waiting(db) == 1
    assert conversation(db, waiting).assignee_id == agent.id


def test_the_routing_sweep_hands_over_what_waits_where_there_is_room(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    set_capacity(db, agent, 0)
    channel = channel_of(db)
    waiting = [first_message(db, channel, n) for n in range(3)]
    with db.write() as session:  # room appears without a hand-over (e.g. an older version)
        session.execute(update(User).where(User.id == agent.id).values(capacity=2))
    assert route_waiting(db) == 2
    assert [conversation(db, c).status for c in waiting] == ["assigned", "assigned", "queued"]
    assert route_waiting(db) == 0
