"""Merging two contacts that are one person (who wrote from two numbers).

Nothing moves and nothing is deleted: the other row keeps its WhatsApp identity (so the
customer's next message from that number still arrives on it, and replies go there) and
points at the kept one with ``merged_into_id``; the kept contact's history is every
conversation of ``contact_group()``. Merges stay one level deep.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cdmx.actions.assignment import emit_conversation
from cdmx.actions.audit import record_audit
from cdmx.actions.notes import add_timeline_line
from cdmx.db.tables import Contact, Conversation, User
from cdmx.domain.errors import Forbidden, Invalid, NotFound
from cdmx.domain.events import CONVERSATION_UPDATED
from cdmx.domain.phone import readable_phone
from cdmx.domain.states import ConversationStatus, Role
from cdmx.queries.conversations import sees_contact


def do_merge_contacts(session: Session, user: User, contact_id: int, other_id: int) -> Contact:
    """Merge ``other_id`` into ``contact_id``; returns the kept contact. An ``other``
    already merged elsewhere is merged through its head (the person, not the row); merging
    a contact into one already merged into it again changes nothing (idempotent)."""
    if user.role == Role.AGENT:
        raise Forbidden("forbidden", "Only supervisors and admins merge contacts.")
    if contact_id == other_id:
        raise Invalid("same_contact", "A contact cannot be merged with itself.")
    kept = _visible_contact(session, user, contact_id)
    other = _visible_contact(session, user, other_id)
    if kept.merged_into_id is not None:
        kept = _load(session, kept.merged_into_id)
    if other.merged_into_id is not None:
        other = _load(session, other.merged_into_id)
    if other.id == kept.id:
        return kept  # already one person
    other_shown = other.display_name or other.name
    _fill_profile(kept, other)
    now = datetime.now(UTC)
    other.display_name = kept.display_name or kept.name
    other.merged_into_id = kept.id
    other.updated_at = kept.updated_at = now
    session.execute(
        update(Contact)
        .where(Contact.merged_into_id == other.id)
        .values(merged_into_id=kept.id, display_name=other.display_name, updated_at=now)
    )
    session.flush()
    _announce(session, user, kept, other, other_shown)
    record_audit(
        session, "contact.merged", object_type="contact", object_id=kept.id,
        detail={"merged_id": other.id}, actor=user,
    )  # fmt: skip
    return kept


def _load(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id, with_for_update=True)
    if contact is None:
        raise NotFound("contact_not_found", f"No contact {contact_id}.")
    return contact


def _visible_contact(session: Session, user: User, contact_id: int) -> Contact:
    """The contact, if the caller may see one of its conversations (admins: any)."""
    contact = _load(session, contact_id)
    if not sees_contact(session, user, [contact.id]):
        raise NotFound("contact_not_found", f"No contact {contact_id}.")
    return contact


def _fill_profile(kept: Contact, other: Contact) -> None:
    """The team's profile: what the kept contact lacks comes from the other; its own
    values win."""
    kept.display_name = kept.display_name or other.display_name
    kept.email = kept.email or other.email
    kept.notes = kept.notes or other.notes
    if other.attributes:
        kept.attributes = {**other.attributes, **(kept.attributes or {})}


def _announce(
    session: Session, user: User, kept: Contact, other: Contact, other_shown: str
) -> None:
    """A system line in the newest conversation of each, and the open ones republished
    (they now show the kept name)."""
    for contact, partner in ((kept, other), (other, kept)):
        newest = session.scalar(
            select(Conversation)
            .where(Conversation.contact_id == contact.id)
            .order_by(Conversation.id.desc())
            .limit(1)
        )
        if newest is not None:
            partner_name = other_shown if partner is other else kept.display_name or kept.name
            phone = readable_phone(partner.wa_id) or partner.user_id or ""
            add_timeline_line(
                session, newest, f"Contacto unido con {partner_name} ({phone}) por {user.name}."
            )
    opened = session.scalars(
        select(Conversation).where(
            Conversation.contact_id.in_((kept.id, other.id)),
            Conversation.status != ConversationStatus.CLOSED,
        )
    ).all()
    for conversation in opened:
        emit_conversation(session, conversation, CONVERSATION_UPDATED)
