"""Reading conversations: lists by view and filters, and single snapshots."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from cdmx.db.tables import (
    Channel,
    Contact,
    Conversation,
    ConversationLabel,
    Mention,
    Message,
    QueueMember,
    User,
)
from cdmx.domain.errors import Forbidden, NotFound
from cdmx.domain.states import ConversationStatus, Direction, Role
from cdmx.queries.serialize import conversation_json

VIEWS = ("mine", "queue", "all")


# Built once: constructing aliases per call was half the cost of a snapshot (profiled).
_ASSIGNEE = aliased(User)
_LAST = aliased(Message)


def _base() -> Select[Conversation, Contact, Channel, str, Message]:
    assignee, last = _ASSIGNEE, _LAST
    return (
        select(Conversation, Contact, Channel, assignee.name, last)
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(Channel, Channel.id == Conversation.channel_id)
        .outerjoin(assignee, assignee.id == Conversation.assignee_id)
        .outerjoin(last, last.id == Conversation.last_message_id)
    )


def _json(row: Row[Conversation, Contact, Channel, str, Message]) -> dict[str, Any]:
    conversation, contact, channel, assignee_name, last_message = row
    return conversation_json(conversation, contact, channel, assignee_name, last_message)


# populate_existing: a conversation this session already holds may have been changed by
# a Core UPDATE since (the reply path); the snapshot shows the row, not the stale object.
_SNAPSHOT = (
    _base()
    .where(Conversation.id == bindparam("conversation_id"))
    .execution_options(populate_existing=True)
)


def conversation_snapshot(session: Session, conversation_id: int) -> dict[str, Any]:
    """One conversation as JSON (one query), or NotFound."""
    row = session.execute(_SNAPSHOT, {"conversation_id": conversation_id}).first()
    if row is None:
        raise NotFound("conversation_not_found", f"No conversation {conversation_id}.")
    return _json(row)


def conversations_by_id(session: Session, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Several conversations as JSON, keyed by id, in one query."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(_base().where(Conversation.id.in_(wanted)))
    return {row[0].id: _json(row) for row in rows}


def sees_everything(user: User) -> bool:
    """Admins see every conversation; everyone else sees by queue."""
    return user.role == Role.ADMIN


def can_see(session: Session, user: User, conversation: Conversation) -> bool:
    """Admins see all; supervisors every conversation of their queues; agents their own
    and the waiting ones of their queues. Anyone sees a conversation assigned to them."""
    if sees_everything(user) or conversation.assignee_id == user.id:
        return True
    if user.role != Role.SUPERVISOR and conversation.assignee_id is not None:
        return False
    return conversation.queue_id in queues_of(session, user)


def can_read(session: Session, user: User, conversation: Conversation) -> bool:
    """``can_see``, or read-only access: a colleague named in one of its notes, and anyone
    who may see a conversation of the same customer (their history, in the profile)."""
    if can_see(session, user, conversation):
        return True
    mentioned = session.scalar(
        select(Mention.id)
        .where(Mention.user_id == user.id, Mention.conversation_id == conversation.id)
        .limit(1)
    )
    if mentioned is not None:
        return True
    visible = visible_condition(user)
    if visible is None:
        return True
    same_customer = session.scalar(
        select(Conversation.id)
        .where(Conversation.contact_id.in_(contact_group(session, conversation.contact_id)))
        .where(visible)
        .limit(1)
    )
    return same_customer is not None


def contact_group(session: Session, contact_id: int) -> list[int]:
    """A contact and every contact merged into the one it is shown as (the same person):
    whose conversations are one history. Merges are kept one level deep."""
    shown = session.scalar(select(Contact.merged_into_id).where(Contact.id == contact_id))
    head = shown or contact_id
    merged = session.scalars(select(Contact.id).where(Contact.merged_into_id == head)).all()
    return [head, *merged]


def sees_contact(session: Session, user: User, contact_ids: Sequence[int]) -> bool:
    """Whether the caller may see a conversation of one of these contacts (admins: any
    contact) — what lets them see the contact at all."""
    visible = visible_condition(user)
    if visible is None:
        return True
    seen = select(Conversation.id).where(Conversation.contact_id.in_(contact_ids), visible)
    return session.scalar(seen.limit(1)) is not None


def visible_condition(user: User) -> ColumnElement[bool] | None:
    """``can_see`` as a condition on Conversation, for a query; None: no condition (admins)."""
    if sees_everything(user):
        return None
    if user.role == Role.SUPERVISOR:
        # coalesce(): no index on that side of the OR, so the list walks its order's index
        # and filters, instead of SQLite gathering every conversation of the queues and
        # sorting them (measured: 377 → see docs/capacity.md, 100,000 conversations).
        return or_(func.coalesce(Conversation.assignee_id, 0) == user.id, in_queues_of(user.id))
    return or_(
        Conversation.assignee_id == user.id,
        Conversation.assignee_id.is_(None) & in_queues_of(user.id),
    )


def queues_of(session: Session, user: User) -> frozenset[int]:
    """The queues ``user`` is a member of (read once per transaction)."""
    cache: dict[int, frozenset[int]] = session.info.setdefault("queues_of", {})
    if user.id not in cache:
        cache[user.id] = frozenset(session.scalars(_QUEUES_OF, {"user_id": user.id}))
    return cache[user.id]


_QUEUES_OF = select(QueueMember.queue_id).where(QueueMember.user_id == bindparam("user_id"))


def audience_of(session: Session, conversation: Conversation) -> tuple[int, ...] | None:
    """Who hears of a conversation's events: its agent; while it waits, the members of its
    queue (read once per transaction). Admins hear everything anyway, and a supervisor's
    stream adds the events of their queues' conversations (``cdmx.realtime.visibility``),
    so this costs no statement for an assigned conversation. None (everyone) only for a
    conversation from before queues, which has none."""
    return audience_for(session, conversation.assignee_id, conversation.queue_id)


def audience_for(
    session: Session, assignee_id: int | None, queue_id: int | None
) -> tuple[int, ...] | None:
    """``audience_of`` from a conversation's assignee and queue, for callers holding only
    those columns."""
    if assignee_id is not None:
        return (assignee_id,)
    if queue_id is None:
        return None
    cache: dict[int, tuple[int, ...]] = session.info.setdefault("queue_members", {})
    if queue_id not in cache:
        cache[queue_id] = tuple(session.connection().scalars(_MEMBERS_OF, {"queue_id": queue_id}))
    return cache[queue_id]


_MEMBERS_OF = (
    select(QueueMember.user_id)
    .where(QueueMember.queue_id == bindparam("queue_id"))
    .order_by(QueueMember.user_id)
)


def in_queues_of(user_id: int) -> Any:
    """The condition "the conversation is in one of this user's queues", for a query."""
    return Conversation.queue_id.in_(
        select(QueueMember.queue_id).where(QueueMember.user_id == user_id)
    )


def visible_conversation(session: Session, user: User, conversation_id: int) -> Conversation:
    """The conversation if ``user`` may see it, else NotFound / Forbidden."""
    return _checked(session, user, conversation_id, can_see)


def readable_conversation(session: Session, user: User, conversation_id: int) -> Conversation:
    """``visible_conversation`` for reading only (``can_read``)."""
    return _checked(session, user, conversation_id, can_read)


def _checked(
    session: Session,
    user: User,
    conversation_id: int,
    allowed: Callable[[Session, User, Conversation], bool],
) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("conversation_not_found", f"No conversation {conversation_id}.")
    if not allowed(session, user, conversation):
        raise Forbidden("not_your_conversation", "This conversation belongs to another agent.")
    return conversation


_WAITING = _LAST.direction == Direction.INBOUND
# What goes before recent activity in each order. Only "recent" can walk an index; the
# others sort the visible rows (no index can hold the last message's direction).
_ORDERS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "recent": (),
    "unread": (case((Conversation.unread_count > 0, 0), else_=1),),
    "waiting": (
        case((_WAITING, 0), else_=1),
        case((_WAITING, Conversation.last_inbound_at), else_=None).asc(),
    ),
}


def list_conversations(
    session: Session,
    user: User,
    *,
    view: str = "mine",
    status: str | None = None,
    assignee_id: int | None = None,
    number_id: int | None = None,
    queue_id: int | None = None,
    label_id: int | None = None,
    order: str = "recent",
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Conversations for a list view, in one query: newest activity first (``recent``),
    those with unread messages first (``unread``), or the customers waiting longest for an
    answer first (``waiting``: the last message is theirs, by ``last_inbound_at``, the
    same instant the JSON's ``waiting_since`` shows); the rest by recent activity."""
    query = _base()
    if view == "mine":
        query = query.where(Conversation.assignee_id == user.id)
        if status is None:  # what they hold: open, and the ones they snoozed
            query = query.where(
                Conversation.status.in_((ConversationStatus.ASSIGNED, ConversationStatus.SNOOZED))
            )
    elif view == "queue":
        query = query.where(Conversation.status == ConversationStatus.QUEUED)
        if not sees_everything(user):
            query = query.where(in_queues_of(user.id))
    elif (visible := visible_condition(user)) is not None:
        query = query.where(visible)
    if status is not None:
        query = query.where(Conversation.status == status)
    if assignee_id is not None:
        query = query.where(Conversation.assignee_id == assignee_id)
    if number_id is not None:
        query = query.where(Conversation.channel_id == number_id)
    if queue_id is not None:
        query = query.where(Conversation.queue_id == queue_id)
    if label_id is not None:
        query = query.where(
            Conversation.id.in_(
                select(ConversationLabel.conversation_id).where(
                    ConversationLabel.label_id == label_id
                )
            )
        )
    query = query.order_by(
        *_ORDERS[order],
        # never null (set when opened): both databases walk ix_conversations_recent
        Conversation.last_message_at.desc(),
        Conversation.id.desc(),
    ).limit(limit)
    return [_json(row) for row in session.execute(query)]
