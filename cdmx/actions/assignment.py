"""Opening, routing, taking, transferring and closing conversations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.orm import Session

from cdmx.actions.events import emit
from cdmx.db.engine import per_dialect
from cdmx.db.tables import CONVERSATIONS, Channel, Contact, Conversation, User
from cdmx.domain.errors import Conflict, Forbidden, Invalid, NotFound
from cdmx.domain.events import (
    CONVERSATION_ASSIGNED,
    CONVERSATION_CLOSED,
    CONVERSATION_EVENTS,
    CONVERSATION_UPDATED,
)
from cdmx.domain.routing import AgentLoad, choose_agent
from cdmx.domain.states import Availability, ConversationStatus, Role
from cdmx.queries.conversations import can_see, conversation_snapshot
from cdmx.queries.messages import remember_user_names

OPEN = (ConversationStatus.QUEUED, ConversationStatus.ASSIGNED)


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
    session: Session, channel_id: int, contact_id: int, now: datetime, *, new_contact: bool = False
) -> tuple[Conversation, bool]:
    """The open conversation for (number, contact), a new one when there is none; and
    whether it was opened now. Returned detached from the session: a snapshot of the row.

    A partial unique index keeps it to one even when several workers race: the loser's
    insert does nothing and it reads the winner's row. The row stays locked for the rest of
    the transaction, so concurrent messages of one conversation update its counters one
    after the other instead of losing each other's increments. A contact created in this
    transaction (``new_contact``) has no conversation yet: nothing to look for.
    """
    connection = session.connection()
    key = {"channel_id": channel_id, "contact_id": contact_id}
    row = None if new_contact else connection.execute(_OPEN, key).first()
    if row is not None:
        return Conversation(**row._mapping), False
    values = {
        "channel_id": channel_id, "contact_id": contact_id,
        "status": ConversationStatus.QUEUED, "created_at": now, "unread_count": 0,
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
    snapshot, created = open_conversation(session, channel.id, contact.id, now)
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
    """The columns that give a just-opened (snapshot) conversation to the right available
    agent, for the caller's one UPDATE; empty when nobody is available. The ORM form for
    conversations of the session is ``do_route_conversation``.

    A ``new_contact`` has no previous agent, so only the agents' loads matter: a transaction
    reads them once and counts its own assignments on top (``_LOADS_KEY``). Counting an
    agent's open conversations costs as many index entries as they have, so reading them
    for every new customer of an inbox batch grew with every conversation left open.
    """
    if new_contact:
        loads = _transaction_loads(session)
        agent_id = choose_agent(list(loads.values()))
    else:
        agent_id = _choose_agent(session, conversation)
    if agent_id is None:
        return {}
    counted: dict[int, AgentLoad] | None = session.info.get(_LOADS_KEY)
    if counted is not None and agent_id in counted:
        opened = counted[agent_id].open_conversations + 1
        counted[agent_id] = AgentLoad(agent_id, opened, now)
    return {"assignee_id": agent_id, "status": ConversationStatus.ASSIGNED, "assigned_at": now}


_LOADS_KEY = "agent_loads"


def _transaction_loads(session: Session) -> dict[int, AgentLoad]:
    """The available agents' loads as this transaction first read them, plus what it
    assigned since (``routing_changes``)."""
    loads: dict[int, AgentLoad] | None = session.info.get(_LOADS_KEY)
    if loads is None:
        rows = session.connection().execute(_AGENT_LOADS).all()
        remember_user_names(session, {row.id: row.name for row in rows})
        loads = {row.id: AgentLoad(row.id, row.open_count, row.last_assigned) for row in rows}
        session.info[_LOADS_KEY] = loads
    return loads


def _choose_agent(session: Session, conversation: Conversation) -> int | None:
    # One statement: the available agents, their loads and names, and the customer's
    # previous agent (the same on every row).
    rows = (
        session.connection()
        .execute(
            _LOADS, {"channel_id": conversation.channel_id, "contact_id": conversation.contact_id}
        )
        .all()
    )
    remember_user_names(session, {row.id: row.name for row in rows})
    loads = [AgentLoad(row.id, row.open_count, row.last_assigned) for row in rows]
    return choose_agent(loads, previous_agent_id=rows[0].previous if rows else None)


_OPEN_COUNT = (
    select(func.count(CONVERSATIONS.c.id))
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
    .scalar_subquery()
)
_AGENT_LOADS = select(
    User.id,
    User.name,
    _OPEN_COUNT.label("open_count"),
    _LAST_ASSIGNED.label("last_assigned"),
).where(User.availability == Availability.AVAILABLE, User.is_active.is_(True))
_LOADS = _AGENT_LOADS.add_columns(_PREVIOUS_AGENT.label("previous"))


def do_route_conversation(session: Session, conversation: Conversation, now: datetime) -> None:
    """Give a queued conversation to the right available agent, or leave it queued."""
    if conversation.status != ConversationStatus.QUEUED:
        return
    agent_id = _choose_agent(session, conversation)
    if agent_id is not None:
        _assign(session, conversation, agent_id, now, event=CONVERSATION_ASSIGNED)


def do_assign_queued(session: Session, now: datetime) -> int:
    """Route every queued conversation, oldest first; returns how many were assigned."""
    queued = session.scalars(
        select(Conversation)
        .where(Conversation.status == ConversationStatus.QUEUED)
        .order_by(Conversation.created_at, Conversation.id)
    ).all()
    assigned = 0
    for conversation in queued:
        do_route_conversation(session, conversation, now)
        if conversation.status == ConversationStatus.ASSIGNED:
            assigned += 1
        else:
            break  # nobody is available; the rest stay queued too
    return assigned


def _assign(
    session: Session, conversation: Conversation, agent_id: int, now: datetime, *, event: str
) -> None:
    previous = conversation.assignee_id
    conversation.assignee_id = agent_id
    conversation.status = ConversationStatus.ASSIGNED
    conversation.assigned_at = now
    session.flush()
    emit_conversation(session, conversation, event, extra_audience=(previous,))


def emit_conversation(
    session: Session,
    conversation: Conversation,
    type_: str,
    *,
    extra_audience: tuple[int | None, ...] = (),
    snapshot: dict[str, Any] | None = None,
) -> None:
    """Publish the conversation's snapshot (``snapshot`` when the caller has it, else read
    fresh) to whoever may see it."""
    audience = (
        None if conversation.assignee_id is None else (conversation.assignee_id, *extra_audience)
    )
    event = CONVERSATION_EVENTS[type_].model_validate(
        {"conversation": snapshot or conversation_snapshot(session, conversation.id)}
    )
    emit(session, event, conversation_id=conversation.id, audience=audience)


def _load(session: Session, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None:
        raise NotFound("conversation_not_found", f"No conversation {conversation_id}.")
    return conversation


def do_take_conversation(session: Session, user: User, conversation_id: int) -> Conversation:
    """An agent takes a queued conversation for themself."""
    conversation = _load(session, conversation_id)
    if conversation.status == ConversationStatus.CLOSED:
        raise Conflict("conversation_closed", "This conversation is closed.")
    if conversation.assignee_id == user.id:
        return conversation
    if conversation.status == ConversationStatus.ASSIGNED and user.role == Role.AGENT:
        raise Conflict("already_assigned", "Another agent already has this conversation.")
    _assign(session, conversation, user.id, datetime.now(UTC), event=CONVERSATION_ASSIGNED)
    return conversation


def do_transfer_conversation(
    session: Session, user: User, conversation_id: int, agent_id: int
) -> Conversation:
    """Hand a conversation to another agent (its agent, a supervisor or an admin may)."""
    conversation = _load(session, conversation_id)
    if conversation.status == ConversationStatus.CLOSED:
        raise Conflict("conversation_closed", "This conversation is closed.")
    if user.role == Role.AGENT and conversation.assignee_id not in (user.id, None):
        raise Forbidden("not_your_conversation", "Only its agent or a supervisor can transfer it.")
    target = session.get(User, agent_id)
    if target is None or not target.is_active:
        raise Invalid("unknown_agent", f"No active agent {agent_id}.")
    if target.id == conversation.assignee_id:
        return conversation
    _assign(session, conversation, target.id, datetime.now(UTC), event=CONVERSATION_ASSIGNED)
    return conversation


def do_close_conversation(session: Session, user: User, conversation_id: int) -> Conversation:
    """Close a conversation; the customer's next message opens a new one."""
    conversation = _load(session, conversation_id)
    if conversation.status == ConversationStatus.CLOSED:
        return conversation
    if user.role == Role.AGENT and conversation.assignee_id not in (user.id, None):
        raise Forbidden("not_your_conversation", "Only its agent or a supervisor can close it.")
    conversation.status = ConversationStatus.CLOSED
    conversation.closed_at = datetime.now(UTC)
    conversation.unread_count = 0
    session.flush()
    emit_conversation(session, conversation, CONVERSATION_CLOSED)
    return conversation


def do_mark_conversation_read(session: Session, user: User, conversation_id: int) -> None:
    """The agent has seen every message of the conversation."""
    conversation = _load(session, conversation_id)
    if not can_see(user, conversation):
        raise Forbidden("not_your_conversation", "This conversation belongs to another agent.")
    if conversation.unread_count:
        conversation.unread_count = 0
        session.flush()
        emit_conversation(session, conversation, CONVERSATION_UPDATED)
