"""A customer's profile and history, as the team sees them beside a thread."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.db.tables import Contact, ContactField, Conversation, Message, User
from cdmx.domain.errors import NotFound
from cdmx.domain.phone import readable_phone
from cdmx.domain.states import Direction
from cdmx.queries.conversations import (
    contact_group,
    conversations_by_id,
    sees_contact,
)
from cdmx.queries.serialize import iso
from cdmx.whatsapp.content import message_referral


def shown_contact(session: Session, user: User, contact_id: int) -> Contact:
    """The contact as the team sees it (the one it was merged into, if it was), when the
    caller may see a conversation of that customer; else NotFound (not Forbidden: ids are
    not to be probed)."""
    contact = session.get(Contact, contact_id)
    if contact is not None and contact.merged_into_id is not None:
        contact = session.get(Contact, contact.merged_into_id)
    if contact is None:
        raise NotFound("contact_not_found", f"No contact {contact_id}.")
    if not sees_contact(session, user, contact_group(session, contact.id)):
        raise NotFound("contact_not_found", f"No contact {contact_id}.")
    return contact


def profile_json(session: Session, contact: Contact) -> dict[str, Any]:
    """The profile: the team's fields beside what WhatsApp says, and the merged numbers."""
    merged = session.scalars(
        select(Contact).where(Contact.merged_into_id == contact.id).order_by(Contact.id)
    ).all()
    return {
        "id": contact.id,
        "wa_id": contact.wa_id,
        "user_id": contact.user_id,
        "name": contact.display_name or contact.name,
        "display_name": contact.display_name,
        "profile_name": contact.name,
        "phone": readable_phone(contact.wa_id),
        "email": contact.email,
        "notes": contact.notes,
        "attributes": contact.attributes or {},
        "referral": message_referral({"referral": contact.referral}) if contact.referral else None,
        "merged_into_id": contact.merged_into_id,
        "merged": [
            {
                "id": other.id,
                "wa_id": other.wa_id,
                "phone": readable_phone(other.wa_id),
                "name": other.display_name or other.name,
            }
            for other in merged
        ],
        "created_at": iso(contact.created_at),
    }


def contact_history(session: Session, contact: Contact) -> list[dict[str, Any]]:
    """Every conversation of the customer (merged numbers included), newest first, each
    with who answered in it and how it ended."""
    ids = session.scalars(
        select(Conversation.id)
        .where(Conversation.contact_id.in_(contact_group(session, contact.id)))
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(200)
    ).all()
    shown = conversations_by_id(session, ids)
    handlers: dict[int, list[str]] = {}
    rows = session.execute(
        select(Message.conversation_id, User.name)
        .join(User, User.id == Message.author_id)
        .where(Message.conversation_id.in_(ids), Message.direction == Direction.OUTBOUND)
        .group_by(Message.conversation_id, User.name)
        .order_by(Message.conversation_id, User.name)
    )
    for conversation_id, name in rows:
        handlers.setdefault(conversation_id, []).append(name)
    history = []
    for conversation_id in ids:
        row = dict(shown[conversation_id])
        row["handled_by"] = handlers.get(conversation_id, [])
        row["ended"] = "closed" if row["status"] == "closed" else None
        history.append(row)
    return history


def contact_fields(session: Session) -> list[dict[str, Any]]:
    return [
        {"id": f.id, "key": f.key, "label": f.label}
        for f in session.scalars(select(ContactField).order_by(ContactField.label))
    ]
