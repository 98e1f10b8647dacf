"""The quick replies a person may use, with their variables filled for a conversation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from cdmx.db.tables import CannedResponse, Contact, Conversation, User
from cdmx.domain.canned import fill, variable_values
from cdmx.domain.errors import NotFound
from cdmx.domain.states import Role
from cdmx.queries.conversations import queues_of


def usable_canned(
    session: Session,
    user: User,
    *,
    conversation: Conversation | None = None,
    business_name: str = "",
) -> list[dict[str, Any]]:
    """The caller's own quick replies and the shared ones for every queue and for the
    conversation's queue (without one: the caller's queues; an admin: all), by shortcut;
    with ``rendered`` when a conversation is given."""
    items = session.scalars(
        select(CannedResponse)
        .where(_usable(session, user, conversation))
        .order_by(CannedResponse.shortcut, CannedResponse.owner_id.is_(None), CannedResponse.id)
    ).all()
    values = None
    if conversation is not None:
        contact = session.get(Contact, conversation.contact_id)
        values = variable_values(
            contact_name=(contact.display_name or contact.name) if contact else None,
            agent_name=user.name, business_name=business_name,
        )  # fmt: skip
    shown = []
    for item in items:
        row = canned_json(item)
        if values is not None:
            row["rendered"] = fill(item.text, values)
        shown.append(row)
    return shown


def usable_in(
    session: Session, user: User, canned_id: int, conversation: Conversation
) -> CannedResponse:
    """One quick reply the caller may use in this conversation, or NotFound."""
    item = session.scalar(
        select(CannedResponse).where(
            CannedResponse.id == canned_id, _usable(session, user, conversation)
        )
    )
    if item is None:
        raise NotFound("canned_not_found", f"No quick reply {canned_id} for this conversation.")
    return item


def _usable(session: Session, user: User, conversation: Conversation | None) -> ColumnElement[bool]:
    """The condition "the caller may use this quick reply" (in ``conversation``)."""
    if conversation is not None:
        queues: frozenset[int] | None = frozenset(
            () if conversation.queue_id is None else (conversation.queue_id,)
        )
    else:
        queues = None if user.role == Role.ADMIN else queues_of(session, user)
    shared: ColumnElement[bool] = CannedResponse.owner_id.is_(None)
    if queues is not None:
        shared = shared & or_(
            CannedResponse.queue_id.is_(None), CannedResponse.queue_id.in_(sorted(queues))
        )
    return or_(CannedResponse.owner_id == user.id, shared)


def canned_json(item: CannedResponse) -> dict[str, Any]:
    attachment = item.attachment
    return {
        "id": item.id,
        "shortcut": item.shortcut,
        "text": item.text,
        "queue_id": item.queue_id,
        "owner_id": item.owner_id,
        "attachment": None
        if not attachment
        else {
            "kind": attachment["kind"],
            "filename": attachment.get("filename"),
            "mime_type": attachment["mime_type"],
            "size": attachment["size"],
        },
    }
