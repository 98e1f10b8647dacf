"""Opening, routing, taking, transferring and closing conversations."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cdmx.actions.events import emit
from cdmx.db.tables import Channel, Contact, Conversation, User
from cdmx.domain.errors import Conflict, Forbidden, Invalid, NotFound
from cdmx.domain.events import CONVERSATION_ASSIGNED, CONVERSATION_CLOSED, CONVERSATION_UPDATED
from cdmx.domain.routing import AgentLoad, choose_agent
from cdmx.domain.states import Availability, ConversationStatus, Role
from cdmx.queries.conversations import can_see, conversation_snapshot

OPEN = (ConversationStatus.QUEUED, ConversationStatus.ASSIGNED)


def find_or_open_conversation(
    session: Session, channel: Channel, contact: Contact, now: datetime
) -> tuple[Conversation, bool]:
    """The open conversation for (number, contact); a new one when there is none.

    A partial unique index keeps it to one even when several workers race: the loser's
    insert fails and it reads the winner's row.
    """
    conversation = _open_conversation(session, channel.id, contact.id)
    if conversation is not None:
        return conversation, False
    conversation = Conversation(
        channel_id=channel.id, contact_id=contact.id, status=ConversationStatus.QUEUED,
        created_at=now, unread_count=0,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(conversation)
    except IntegrityError:
        existing = _open_conversation(session, channel.id, contact.id)
        if existing is None:
            raise
        return existing, False
    return conversation, True


def _open_conversation(session: Session, channel_id: int, contact_id: int) -> Conversation | None:
    # Locked for the rest of the transaction: concurrent messages of one conversation update
    # its counters one after the other instead of losing each other's increments.
    return session.scalar(
        select(Conversation)
        .where(
            Conversation.channel_id == channel_id,
            Conversation.contact_id == contact_id,
            Conversation.status != ConversationStatus.CLOSED,
        )
        .with_for_update()
    )


def _available_loads(session: Session) -> list[AgentLoad]:
    open_count = (
        select(func.count(Conversation.id))
        .where(Conversation.assignee_id == User.id, Conversation.status == "assigned")
        .correlate(User)
        .scalar_subquery()
    )
    last_assigned = (
        select(func.max(Conversation.assigned_at))
        .where(Conversation.assignee_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )
    rows = session.execute(
        select(User.id, open_count, last_assigned).where(
            User.availability == Availability.AVAILABLE, User.is_active.is_(True)
        )
    )
    return [AgentLoad(agent_id, count, last) for agent_id, count, last in rows]


def _previous_agent(session: Session, conversation: Conversation) -> int | None:
    return session.scalar(
        select(Conversation.assignee_id)
        .where(
            Conversation.channel_id == conversation.channel_id,
            Conversation.contact_id == conversation.contact_id,
            Conversation.status == ConversationStatus.CLOSED,
            Conversation.assignee_id.is_not(None),
        )
        .order_by(Conversation.closed_at.desc(), Conversation.id.desc())
        .limit(1)
    )


def do_route_conversation(session: Session, conversation: Conversation, now: datetime) -> None:
    """Give a queued conversation to the right available agent, or leave it queued."""
    if conversation.status != ConversationStatus.QUEUED:
        return
    agent_id = choose_agent(
        _available_loads(session), previous_agent_id=_previous_agent(session, conversation)
    )
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
) -> None:
    """Publish a fresh snapshot of the conversation to whoever may see it."""
    audience = (
        None if conversation.assignee_id is None else (conversation.assignee_id, *extra_audience)
    )
    emit(
        session, type_, {"conversation": conversation_snapshot(session, conversation.id)},
        conversation_id=conversation.id, audience=audience,
    )  # fmt: skip


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
