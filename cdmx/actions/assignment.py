"""Opening, routing, taking, transferring and closing conversations (a person's close, with
what follows it, is ``closing.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, text, update
from sqlalchemy.orm import Session

from cdmx.actions.audit import record_audit
from cdmx.actions.events import emit, wake
from cdmx.actions.notes import add_timeline_line
from cdmx.actions.reporting import report, report_wait
from cdmx.db.engine import per_dialect
from cdmx.db.tables import (
    CONVERSATIONS,
    QUEUE_MEMBERS,
    Channel,
    Contact,
    Conversation,
    Queue,
    User,
)
from cdmx.domain.errors import Conflict, Forbidden, Invalid, NotFound
from cdmx.domain.events import (
    CONVERSATION_ASSIGNED,
    CONVERSATION_CLOSED,
    CONVERSATION_EVENTS,
    CONVERSATION_REROUTED,
    CONVERSATION_SNOOZED,
    CONVERSATION_UPDATED,
    CONVERSATION_WOKEN,
)
from cdmx.domain.reporting import ASSIGNED, CLOSED, REROUTED, SNOOZED, TRANSFERRED
from cdmx.domain.routing import CAPACITY_KEY, DEFAULT_CAPACITY, AgentLoad, choose_agent
from cdmx.domain.states import Availability, ConversationStatus, Role
from cdmx.queries.conversations import audience_of, can_see, conversation_snapshot
from cdmx.queries.messages import remember_user_names, user_name
from cdmx.queries.queues import all_queue_rules, queue_of_channel

OPEN = (ConversationStatus.QUEUED, ConversationStatus.ASSIGNED, ConversationStatus.SNOOZED)
MAX_SNOOZE = timedelta(days=365)


_OPEN = (
    select(CONVERSATIONS)
    .where(
        CONVERSATIONS.c.channel_id == bindparam("channel_id"),
        CONVERSATIONS.c.contact_id == bindparam("contact_id"),
        CONVERSATIONS.c.status != ConversationStatus.CLOSED,
    )
    .with_for_update()
)
_INSERT = per_dialect(
    lambda insert: (
        insert(CONVERSATIONS)
        .on_conflict_do_nothing(
            # the partial unique index's predicate, verbatim
            index_elements=["channel_id", "contact_id"],
            index_where=text("status != 'closed'"),
        )
        .returning(*CONVERSATIONS.c)
    )
)
_UPDATE = update(CONVERSATIONS).where(CONVERSATIONS.c.id == bindparam("row_id"))


def open_conversation(
    session: Session,
    channel_id: int,
    contact_id: int,
    now: datetime,
    *,
    queue_id: int | None,
    new_contact: bool = False,
) -> tuple[Conversation, bool]:
    """The open conversation for (number, contact), a new one when there is none; and
    whether it was opened now. Returned detached from the session: a snapshot of the row.

    A partial unique index keeps it to one even when several workers race: the loser's
    insert does nothing and it reads the winner's row. The row stays locked for the rest of
    the transaction, so concurrent messages of one conversation update its counters one
    after the other instead of losing each other's increments. A contact created in this
    transaction (``new_contact``) has no conversation yet: nothing to look for. A new
    conversation joins ``queue_id`` (its number's queue).
    """
    connection = session.connection()
    key = {"channel_id": channel_id, "contact_id": contact_id}
    row = None if new_contact else connection.execute(_OPEN, key).first()
    if row is not None:
        return Conversation(**row._mapping), False
    values = {
        "channel_id": channel_id, "contact_id": contact_id,
        "status": ConversationStatus.QUEUED, "created_at": now, "unread_count": 0,
        "queue_id": queue_id, "last_message_at": now,  # never null: the inbox's order
    }  # fmt: skip
    inserted = connection.execute(_INSERT[connection.dialect.name], values).first()
    if inserted is not None:
        return Conversation(**inserted._mapping), True
    row = connection.execute(_OPEN, key).first()
    assert row is not None, "the conflicting open conversation is gone"
    return Conversation(**row._mapping), False


def find_or_open_conversation(
    session: Session, channel: Channel, contact: Contact, now: datetime
) -> tuple[Conversation, bool]:
    """``open_conversation`` as an object of this session, for code that changes it."""
    snapshot, created = open_conversation(
        session, channel.id, contact.id, now, queue_id=queue_of_channel(session, channel)
    )
    conversation = session.get(Conversation, snapshot.id, with_for_update=True)
    assert conversation is not None
    return conversation, created


def update_conversation(session: Session, conversation: Conversation, **changes: Any) -> None:
    """Write ``changes`` to a conversation's row and to the snapshot ``conversation``."""
    session.connection().execute(_UPDATE, {"row_id": conversation.id, **changes})
    for name, value in changes.items():
        setattr(conversation, name, value)


def routing_changes(
    session: Session, conversation: Conversation, now: datetime, *, new_contact: bool = False
) -> dict[str, Any]:
    """The columns that give a just-opened (snapshot) conversation to the right member of
    its queue, for the caller's one UPDATE; empty when nobody qualifies (it waits).

    A ``new_contact`` has no previous agent, so only the members' loads matter, and those a
    transaction reads once (``_routing``) and counts its own assignments on top: counting an
    agent's open conversations costs as many index entries as they have, so reading them
    for every new customer of an inbox batch grew with every conversation left open.
    """
    routing = _routing(session)
    assert routing is not None  # it waited for the lock
    previous = None
    if not new_contact:
        previous = session.connection().scalar(
            _PREVIOUS_AGENT,
            {"channel_id": conversation.channel_id, "contact_id": conversation.contact_id},
        )
    agent_id = choose_agent(routing.candidates(conversation.queue_id), previous_agent_id=previous)
    if agent_id is None:
        return {}
    routing.assigned(agent_id, now)
    report(session, ASSIGNED, conversation, now, agent_id=agent_id)
    return {
        "assignee_id": agent_id, "status": ConversationStatus.ASSIGNED, "assigned_at": now,
        "replied_at": None,
    }  # fmt: skip


_ROUTING = "routing"
# One PostgreSQL advisory lock serializes routing decisions across threads and instances,
# so two transactions never both give an agent their last free place. SQLite has one
# writer at a time already.
_ROUTING_LOCK = text("SELECT pg_advisory_xact_lock(5702020001)")
_TRY_ROUTING_LOCK = text("SELECT pg_try_advisory_xact_lock(5702020001)")


@dataclass
class _Routing:
    """The available members' loads as this transaction read them (under the routing
    lock), plus what it assigned since."""

    loads: dict[int, AgentLoad]
    members: dict[int | None, set[int]]  # queue id → its available members

    def candidates(self, queue_id: int | None) -> list[AgentLoad]:
        return [self.loads[agent_id] for agent_id in sorted(self.members.get(queue_id, ()))]

    def assigned(self, agent_id: int, now: datetime) -> None:
        load = self.loads.get(agent_id)
        if load is not None:
            self.loads[agent_id] = replace(
                load, open_conversations=load.open_conversations + 1, last_assigned_at=now
            )

    def returned(self, agent_id: int) -> None:
        """A snoozed conversation came back to its agent: one more open."""
        load = self.loads.get(agent_id)
        if load is not None:
            self.loads[agent_id] = replace(load, open_conversations=load.open_conversations + 1)

    def released(self, agent_id: int) -> None:
        load = self.loads.get(agent_id)
        if load is not None:
            self.loads[agent_id] = replace(
                load, open_conversations=max(0, load.open_conversations - 1)
            )


def forget_routing(session: Session) -> None:
    """Queue memberships changed in this transaction: read them again when routing next."""
    session.info.pop(_ROUTING, None)


def _routing(session: Session, *, wait: bool = True) -> _Routing | None:
    """The transaction's routing state, read under the routing lock; None when ``wait`` is
    False and another transaction holds the lock."""
    routing: _Routing | None = session.info.get(_ROUTING)
    if routing is None:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            if not wait:
                if not connection.scalar(_TRY_ROUTING_LOCK):
                    return None
            else:
                connection.execute(_ROUTING_LOCK)  # held until this transaction ends
        capacity = session.info.get(CAPACITY_KEY, DEFAULT_CAPACITY)
        rows = connection.execute(_AGENT_LOADS, {"default_capacity": capacity}).all()
        remember_user_names(session, {row.id: row.name for row in rows})
        routing = _Routing(loads={}, members={})
        for row in rows:
            routing.loads[row.id] = AgentLoad(
                row.id, row.open_count, row.last_assigned, row.capacity
            )
            routing.members.setdefault(row.queue_id, set()).add(row.id)
        session.info[_ROUTING] = routing
    return routing


# count(*), not count(id): an index-only scan of ix_conversations_assignee_status.
_OPEN_COUNT = (
    select(func.count())
    .where(CONVERSATIONS.c.assignee_id == User.id, CONVERSATIONS.c.status == "assigned")
    .correlate(User)
    .scalar_subquery()
)
_LAST_ASSIGNED = (
    select(func.max(CONVERSATIONS.c.assigned_at))
    .where(CONVERSATIONS.c.assignee_id == User.id)
    .correlate(User)
    .scalar_subquery()
)
_PREVIOUS_AGENT = (
    select(CONVERSATIONS.c.assignee_id)
    .where(
        CONVERSATIONS.c.channel_id == bindparam("channel_id"),
        CONVERSATIONS.c.contact_id == bindparam("contact_id"),
        CONVERSATIONS.c.status == ConversationStatus.CLOSED,
        CONVERSATIONS.c.assignee_id.is_not(None),
    )
    .order_by(CONVERSATIONS.c.closed_at.desc(), CONVERSATIONS.c.id.desc())
    .limit(1)
)
# One row per (available agent, queue of theirs).
_AGENT_LOADS = (
    select(
        User.id,
        User.name,
        _OPEN_COUNT.label("open_count"),
        _LAST_ASSIGNED.label("last_assigned"),
        func.coalesce(User.capacity, bindparam("default_capacity")).label("capacity"),
        QUEUE_MEMBERS.c.queue_id,
    )
    .join(QUEUE_MEMBERS, QUEUE_MEMBERS.c.user_id == User.id)
    .where(User.availability == Availability.AVAILABLE, User.is_active.is_(True))
)


def do_assign_waiting(
    session: Session, agent_ids: Iterable[int | None] | None, now: datetime, *, wait: bool = True
) -> int:
    """Give the oldest waiting conversations of these agents' queues (``None``: of every
    queue) to their members with room, oldest first, as far as capacity goes; returns how
    many were assigned.

    Called whenever capacity frees: a close, a transfer away, an agent becoming available,
    a capacity raised, an agent added to a queue. A caller that already holds a
    conversation's row passes ``wait=False``: when another transaction is routing (an inbox
    batch that may be waiting for that very row), the hand-over is left to the routing
    worker, woken after this commit, instead of the two waiting for each other.
    """
    routing = _routing(session, wait=wait)
    if routing is None:
        wake(session, "routing")
        return 0
    if agent_ids is None:
        agent_ids = list(routing.loads)
    wanted = {agent_id for agent_id in agent_ids if agent_id is not None}
    queue_ids = {q for q, members in routing.members.items() if members & wanted}
    assigned = 0
    while queue_ids:
        room = {
            q: sum(max(0, a.capacity - a.open_conversations) for a in routing.candidates(q))
            for q in queue_ids
        }
        queue_ids = {q for q, free in room.items() if free > 0}
        if not queue_ids:
            break
        waiting = session.scalars(
            select(Conversation)
            .where(
                Conversation.status == ConversationStatus.QUEUED,
                Conversation.queue_id.in_(sorted(queue_ids)),
            )
            .order_by(Conversation.created_at, Conversation.id)
            .limit(sum(room.values()))
            # A row another transaction holds (its customer is writing) is left for the
            # next hand-over: waiting for it while holding the routing lock could deadlock.
            .with_for_update(skip_locked=True)
        ).all()
        if not waiting:
            break
        before = assigned
        for conversation in waiting:
            if conversation.status != ConversationStatus.QUEUED:
                continue  # assigned by someone else while we waited for its row
            agent_id = choose_agent(routing.candidates(conversation.queue_id))
            if agent_id is not None:
                _assign(session, conversation, agent_id, now, event=CONVERSATION_ASSIGNED)
                assigned += 1
        if assigned == before or len(waiting) < sum(room.values()):
            break  # every waiting conversation of these queues was looked at
    return assigned


def _assign(
    session: Session, conversation: Conversation, agent_id: int, now: datetime, *, event: str,
    kind: str = ASSIGNED,
) -> None:  # fmt: skip
    previous = conversation.assignee_id
    # Leaving the queue: its members hear of it too, so it leaves their queue view.
    waited_with = (audience_of(session, conversation) or ()) if previous is None else ()
    routing: _Routing | None = session.info.get(_ROUTING)
    if routing is not None and previous is not None:
        if conversation.status == ConversationStatus.ASSIGNED:  # a snoozed one was not counted
            routing.released(previous)
    _assign_quietly(session, conversation, agent_id, now, kind=kind)
    emit_conversation(session, conversation, event, extra_audience=(previous, *waited_with))


def emit_conversation(
    session: Session,
    conversation: Conversation,
    type_: str,
    *,
    extra_audience: tuple[int | None, ...] = (),
    snapshot: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
) -> None:
    """Publish the conversation's snapshot (``snapshot`` when the caller has it, else read
    fresh) to whoever may see it; ``fields``: the rest of the event's data."""
    audience: tuple[int | None, ...] | None = audience_of(session, conversation)
    if audience is not None:
        audience = (*audience, *extra_audience)
    event = CONVERSATION_EVENTS[type_].model_validate(
        {"conversation": snapshot or conversation_snapshot(session, conversation.id)}
        | (fields or {})
    )
    emit(session, event, conversation_id=conversation.id, audience=audience)


def load_conversation(session: Session, conversation_id: int) -> Conversation:
    """The conversation, its row locked for this transaction (404 when there is none)."""
    conversation = session.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None:
        raise NotFound("conversation_not_found", f"No conversation {conversation_id}.")
    return conversation


def check_may_manage(session: Session, user: User, conversation: Conversation, verb: str) -> None:
    """Its agent (or, while it waits, an agent of its queue), a supervisor of its queue, or
    an admin may transfer or close a conversation."""
    if user.role == Role.AGENT and conversation.assignee_id not in (user.id, None):
        raise Forbidden("not_your_conversation", f"Only its agent or a supervisor can {verb} it.")
    if not can_see(session, user, conversation):
        raise Forbidden("not_your_queue", "This conversation is in a queue you are not in.")


def do_take_conversation(session: Session, user: User, conversation_id: int) -> Conversation:
    """An agent takes a queued conversation for themself."""
    conversation = load_conversation(session, conversation_id)
    if conversation.status == ConversationStatus.CLOSED:
        raise Conflict("conversation_closed", "This conversation is closed.")
    if conversation.assignee_id == user.id:
        if conversation.status == ConversationStatus.SNOOZED:  # back now, by its agent's hand
            _wake(session, conversation, datetime.now(UTC))
        return conversation
    if conversation.status == ConversationStatus.ASSIGNED and user.role == Role.AGENT:
        raise Conflict("already_assigned", "Another agent already has this conversation.")
    if not can_see(session, user, conversation):
        raise Forbidden("not_your_queue", "This conversation waits in a queue you are not in.")
    previous = conversation.assignee_id
    now = datetime.now(UTC)
    _assign(session, conversation, user.id, now, event=CONVERSATION_ASSIGNED)
    record_audit(
        session, "conversation.taken", object_type="conversation", object_id=conversation.id,
        before={"assignee_id": previous}, after={"assignee_id": user.id}, actor=user,
    )  # fmt: skip
    if previous is not None:  # a supervisor took it from an agent, whose place is free
        do_assign_waiting(session, [previous], now, wait=False)
    return conversation


def do_transfer_conversation(
    session: Session, user: User, conversation_id: int, agent_id: int
) -> Conversation:
    """Hand a conversation to another agent (its agent, a supervisor or an admin may)."""
    conversation = load_conversation(session, conversation_id)
    if conversation.status == ConversationStatus.CLOSED:
        raise Conflict("conversation_closed", "This conversation is closed.")
    check_may_manage(session, user, conversation, "transfer")
    target = session.get(User, agent_id)
    if target is None or not target.is_active:
        raise Invalid("unknown_agent", f"No active agent {agent_id}.")
    if target.id == conversation.assignee_id:
        return conversation
    previous = conversation.assignee_id
    now = datetime.now(UTC)
    _assign(session, conversation, target.id, now, event=CONVERSATION_ASSIGNED, kind=TRANSFERRED)
    _audit_transfer(session, user, conversation, previous, conversation.queue_id)
    do_assign_waiting(session, [previous], now, wait=False)  # the place it left is free
    return conversation


def _audit_transfer(
    session: Session, user: User, conversation: Conversation, assignee_id: int | None,
    queue_id: int | None,
) -> None:  # fmt: skip
    record_audit(
        session, "conversation.transferred", object_type="conversation",
        object_id=conversation.id, before={"assignee_id": assignee_id, "queue_id": queue_id},
        after={"assignee_id": conversation.assignee_id, "queue_id": conversation.queue_id},
        actor=user,
    )  # fmt: skip


def do_transfer_to_queue(
    session: Session, user: User, conversation_id: int, queue_id: int
) -> Conversation:
    """Send a conversation to a queue, where it is routed like a new one (rule of
    ``routing_changes``, without the previous-agent preference) or waits."""
    conversation = load_conversation(session, conversation_id)
    if conversation.status == ConversationStatus.CLOSED:
        raise Conflict("conversation_closed", "This conversation is closed.")
    check_may_manage(session, user, conversation, "transfer")
    if session.get(Queue, queue_id) is None:
        raise Invalid("unknown_queue", f"No queue {queue_id}.")
    previous, previous_queue = conversation.assignee_id, conversation.queue_id
    now = datetime.now(UTC)
    conversation.queue_id = queue_id
    routing = _routing(session, wait=False)  # None: the routing worker will route it
    agent_id = None if routing is None else choose_agent(routing.candidates(queue_id))
    if agent_id is not None and agent_id != previous:
        _assign(session, conversation, agent_id, now, event=CONVERSATION_ASSIGNED, kind=TRANSFERRED)
    elif agent_id is None:
        if routing is not None and previous is not None:
            routing.released(previous)
        conversation.assignee_id = None
        conversation.status = ConversationStatus.QUEUED
        session.flush()
        report(session, TRANSFERRED, conversation, now)  # to its new queue, to wait there
        # Waiting in its new queue: its members hear of it, and so does the agent it left.
        emit_conversation(session, conversation, CONVERSATION_UPDATED, extra_audience=(previous,))
        if routing is None:
            wake(session, "routing")
    else:  # its agent is a member with room there: it stays theirs, in the new queue
        session.flush()
        report(session, TRANSFERRED, conversation, now, agent_id=previous)
        emit_conversation(session, conversation, CONVERSATION_UPDATED)
    _audit_transfer(session, user, conversation, previous, previous_queue)
    if previous is not None and conversation.assignee_id != previous:
        do_assign_waiting(session, [previous], now, wait=False)  # the place it left is free
    return conversation


def close_conversation(
    session: Session, conversation: Conversation, now: datetime, *, wait: bool
) -> None:
    """Close it (reported, announced) and hand its agent's freed place over (``wait``:
    as ``do_assign_waiting`` takes it)."""
    was_assigned = conversation.status == ConversationStatus.ASSIGNED
    conversation.status = ConversationStatus.CLOSED
    conversation.closed_at = now
    conversation.unread_count = 0
    conversation.snoozed_until = None
    conversation.awaiting_since = None
    session.flush()
    # Its duration: from opening to now (snoozed time included), raw and in business hours.
    report_wait(session, CLOSED, conversation, conversation.created_at, now,
                agent_id=conversation.assignee_id)  # fmt: skip
    emit_conversation(session, conversation, CONVERSATION_CLOSED)
    if was_assigned and conversation.assignee_id is not None:
        routing: _Routing | None = session.info.get(_ROUTING)
        if routing is not None:  # read before this close: count it
            routing.released(conversation.assignee_id)
        do_assign_waiting(session, [conversation.assignee_id], now, wait=wait)


def do_mark_conversation_read(session: Session, user: User, conversation_id: int) -> None:
    """The agent has seen every message of the conversation."""
    conversation = load_conversation(session, conversation_id)
    if not can_see(session, user, conversation):
        raise Forbidden("not_your_conversation", "This conversation belongs to another agent.")
    if conversation.unread_count:
        # Recorded when it changes something: a read of an already read conversation is
        # the console's courtesy call, not an action.
        record_audit(
            session, "conversation.read", object_type="conversation", object_id=conversation.id,
            before={"unread_count": conversation.unread_count}, after={"unread_count": 0},
            actor=user,
        )  # fmt: skip
        conversation.unread_count = 0
        session.flush()
        emit_conversation(session, conversation, CONVERSATION_UPDATED)


def do_route_waiting(session: Session, now: datetime) -> int:
    """The routing worker's sweep: hand waiting conversations of every queue to members
    with room (after a hand-over left to it, and now and then as a safety net)."""
    return do_assign_waiting(session, None, now)


def do_snooze_conversation(
    session: Session, user: User, conversation_id: int, until: datetime
) -> Conversation:
    """Put a conversation aside until ``until``: it leaves its agent's open count (their
    place goes to the oldest waiting conversation) and comes back by ``wake_changes``."""
    conversation = load_conversation(session, conversation_id)
    if conversation.status == ConversationStatus.CLOSED:
        raise Conflict("conversation_closed", "This conversation is closed.")
    if user.role == Role.AGENT and conversation.assignee_id != user.id:
        raise Forbidden("not_your_conversation", "Only its agent or a supervisor can snooze it.")
    if not can_see(session, user, conversation):
        raise Forbidden("not_your_queue", "This conversation is in a queue you are not in.")
    now = datetime.now(UTC)
    if until.tzinfo is None:
        raise Invalid("invalid_until", "until: a time with its offset (2026-12-24T09:00-06:00).")
    if until <= now:
        raise Invalid("until_in_past", "Choose a time in the future.")
    if until - now > MAX_SNOOZE:
        raise Invalid("until_too_far", "A conversation can be snoozed for a year at most.")
    was_assigned = conversation.status == ConversationStatus.ASSIGNED
    record_audit(
        session, "conversation.snoozed", object_type="conversation", object_id=conversation.id,
        before={"status": conversation.status, "snoozed_until": conversation.snoozed_until},
        after={"status": ConversationStatus.SNOOZED, "snoozed_until": until}, actor=user,
    )  # fmt: skip
    conversation.status = ConversationStatus.SNOOZED
    conversation.snoozed_until = until
    session.flush()
    report(session, SNOOZED, conversation, now, agent_id=conversation.assignee_id)
    emit_conversation(session, conversation, CONVERSATION_SNOOZED)
    if was_assigned and conversation.assignee_id is not None:
        routing: _Routing | None = session.info.get(_ROUTING)
        if routing is not None:
            routing.released(conversation.assignee_id)
        do_assign_waiting(session, [conversation.assignee_id], now, wait=False)
    return conversation


def wake_changes(session: Session, conversation: Conversation, now: datetime) -> dict[str, Any]:
    """The columns that bring a snoozed conversation back: to its agent while they are
    active and not offline (it is their own reminder, so it returns even to an agent at
    capacity, who then gets nothing new until under it again), else to its queue, routed
    there by the usual rule or left waiting."""
    agent_id = conversation.assignee_id
    agent = None if agent_id is None else session.get(User, agent_id)
    if agent is not None and agent.is_active and agent.availability != Availability.OFFLINE:
        routing: _Routing | None = session.info.get(_ROUTING)
        if routing is not None:
            routing.returned(agent.id)
        return {"status": ConversationStatus.ASSIGNED, "snoozed_until": None}
    waiting = {"status": ConversationStatus.QUEUED, "assignee_id": None, "snoozed_until": None}
    return waiting | routing_changes(session, conversation, now)


def do_wake_due(session: Session, now: datetime, *, limit: int = 200) -> int:
    """The timers' sweep: bring back the conversations whose snooze is over; how many."""
    due = (
        Conversation.status == ConversationStatus.SNOOZED, Conversation.snoozed_until <= now
    )  # fmt: skip
    if session.execute(select(Conversation.id).where(*due).limit(1)).first() is None:
        return 0
    _routing(session)  # the routing lock before any row, the order every router takes
    woken = session.scalars(
        select(Conversation)
        .where(*due)
        .order_by(Conversation.snoozed_until, Conversation.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # one its customer is writing to wakes there
    ).all()
    for conversation in woken:
        if conversation.status == ConversationStatus.SNOOZED:
            _wake(session, conversation, now)
    return len(woken)


def _wake(session: Session, conversation: Conversation, now: datetime) -> None:
    snoozed_with = conversation.assignee_id
    for name, value in wake_changes(session, conversation, now).items():
        setattr(conversation, name, value)
    session.flush()
    # The agent it left, when it went back to its queue, hears of it too.
    gone = (snoozed_with,) if conversation.assignee_id != snoozed_with else ()
    emit_conversation(session, conversation, CONVERSATION_WOKEN, extra_audience=gone)


def do_reroute_silent(session: Session, now: datetime, *, limit: int = 200) -> int:
    """The timers' sweep for ``reroute_after_minutes``: a conversation whose customer has
    waited that long since it was assigned without a reply from its agent goes to another
    member with room, or back to its queue; with a line in its thread. How many moved."""
    windows = {
        rules.id: now - timedelta(minutes=rules.reroute_after_minutes)
        for rules in all_queue_rules(session) if rules.reroute_after_minutes
    }  # fmt: skip
    if not windows:
        return 0
    silent = (
        Conversation.status == ConversationStatus.ASSIGNED,
        Conversation.replied_at.is_(None),
        or_(*(
            (Conversation.queue_id == queue_id) & (Conversation.assigned_at <= cutoff)
            for queue_id, cutoff in windows.items()
        )),
    )  # fmt: skip
    if session.execute(select(Conversation.id).where(*silent).limit(1)).first() is None:
        return 0
    routing = _routing(session)  # the lock before any row, as every router takes it
    assert routing is not None
    moved = session.scalars(
        select(Conversation)
        .where(*silent)
        .order_by(Conversation.assigned_at, Conversation.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for conversation in moved:
        previous = conversation.assignee_id
        if previous is not None:
            routing.released(previous)
        others = [a for a in routing.candidates(conversation.queue_id) if a.agent_id != previous]
        agent_id = choose_agent(others)
        minutes = (now - (conversation.assigned_at or now)).total_seconds() // 60
        if agent_id is not None:
            _assign_quietly(session, conversation, agent_id, now, kind=REROUTED)
            line = (
                f"Reasignada a {user_name(session, agent_id)}: sin respuesta en {minutes:.0f} min."
            )
        else:
            conversation.assignee_id = None
            conversation.status = ConversationStatus.QUEUED
            session.flush()
            report(session, REROUTED, conversation, now)
            line = f"De vuelta a la cola: sin respuesta en {minutes:.0f} min."
        emit_conversation(
            session, conversation, CONVERSATION_REROUTED, extra_audience=(previous,),
            fields={"previous_assignee_id": previous},
        )  # fmt: skip
        add_timeline_line(session, conversation, line)
    return len(moved)


def _assign_quietly(
    session: Session, conversation: Conversation, agent_id: int, now: datetime, *, kind: str
) -> None:
    """Give a conversation to ``agent_id``, counting it in this transaction's routing
    state and reporting it as ``kind``; the caller emits the event and releases the
    previous agent's place."""
    routing: _Routing | None = session.info.get(_ROUTING)
    if routing is not None:
        routing.assigned(agent_id, now)
    conversation.assignee_id = agent_id
    conversation.status = ConversationStatus.ASSIGNED
    conversation.assigned_at = now
    conversation.replied_at = None  # the new agent's customer waits for them
    conversation.snoozed_until = None
    session.flush()
    report(session, kind, conversation, now, agent_id=agent_id)


def do_auto_close(session: Session, now: datetime, *, limit: int = 200) -> int:
    """The timers' sweep for ``auto_close_after_hours``: close the open conversations whose
    customer has not written for that long, with a line in the thread. How many."""
    windows = {
        rules.id: (hours, now - timedelta(hours=hours))
        for rules in all_queue_rules(session)
        if (hours := rules.auto_close_after_hours)
    }
    if not windows:
        return 0
    quiet = (
        Conversation.status.in_(OPEN),
        or_(*(
            (Conversation.queue_id == queue_id)
            & (func.coalesce(Conversation.last_inbound_at, Conversation.created_at) <= cutoff)
            for queue_id, (_hours, cutoff) in windows.items()
        )),
    )  # fmt: skip
    if session.execute(select(Conversation.id).where(*quiet).limit(1)).first() is None:
        return 0
    _routing(session)  # closing frees places: the hand-over takes the lock first
    closing = session.scalars(
        select(Conversation).where(*quiet).order_by(Conversation.id).limit(limit)
        .with_for_update(skip_locked=True)
    ).all()  # fmt: skip
    for conversation in closing:
        hours = windows[conversation.queue_id][0] if conversation.queue_id in windows else 0
        add_timeline_line(
            session, conversation, f"Cerrada automáticamente: el cliente no escribió en {hours} h."
        )
        close_conversation(session, conversation, now, wait=True)
    return len(closing)
