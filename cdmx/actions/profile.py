"""The profile the team keeps of a customer (name, e-mail, notes, custom fields), and the
custom fields admins define. WhatsApp's own profile name is never overwritten."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.actions.assignment import emit_conversation
from cdmx.actions.audit import record_audit
from cdmx.db.tables import Contact, ContactField, Conversation, User
from cdmx.domain.errors import Conflict, Forbidden, Invalid, NotFound
from cdmx.domain.events import CONVERSATION_UPDATED
from cdmx.domain.states import ConversationStatus, Role
from cdmx.queries.contacts import shown_contact

MAX_NAME = 200
MAX_NOTES = 5_000
MAX_VALUE = 500
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
FIELD_KEY = re.compile(r"[a-z0-9_]{1,64}")


def do_update_profile(
    session: Session, user: User, contact_id: int, changes: dict[str, Any]
) -> Contact:
    """Apply ``changes`` (``name``, ``email``, ``notes``, ``attributes``) to the contact the
    team sees; a name also goes to the contacts merged into it, so every conversation of the
    customer shows it. Open conversations are republished."""
    contact = shown_contact(session, user, contact_id)
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if len(name) > MAX_NAME:
            raise Invalid("name_too_long", f"name: at most {MAX_NAME} characters.")
        contact.display_name = name or None
        for other in session.scalars(select(Contact).where(Contact.merged_into_id == contact.id)):
            other.display_name = contact.display_name
    if "email" in changes:
        email = (changes["email"] or "").strip()
        if email and (len(email) > 254 or not EMAIL.fullmatch(email)):
            raise Invalid("invalid_email", "email: an address like nombre@ejemplo.com.")
        contact.email = email or None
    if "notes" in changes:
        notes = (changes["notes"] or "").strip()
        if len(notes) > MAX_NOTES:
            raise Invalid("notes_too_long", f"notes: at most {MAX_NOTES:,} characters.")
        contact.notes = notes or None
    if "attributes" in changes:
        contact.attributes = _attributes(session, contact.attributes or {}, changes["attributes"])
    contact.updated_at = datetime.now(UTC)
    session.flush()
    if "name" in changes:
        _republish(session, contact)
    # Which fields, not their values: a customer's profile is theirs, not a setting.
    record_audit(
        session, "contact.changed", object_type="contact", object_id=contact.id,
        detail={"fields": sorted(changes)}, actor=user,
    )  # fmt: skip
    return contact


def _attributes(session: Session, current: dict[str, Any], given: Any) -> dict[str, Any] | None:
    if not isinstance(given, dict):
        raise Invalid("invalid_attributes", "attributes: an object of field keys and values.")
    defined = set(session.scalars(select(ContactField.key)))
    values = dict(current)
    for key, value in given.items():
        if key not in defined:
            raise Invalid("unknown_attribute", f"attributes: no contact field {key!r}.")
        if value is None or value == "":
            values.pop(key, None)
            continue
        if not isinstance(value, str) or len(value) > MAX_VALUE:
            raise Invalid(
                "invalid_attribute", f"attributes.{key}: text of at most {MAX_VALUE} characters."
            )
        values[key] = value.strip()
    return values or None


def _republish(session: Session, contact: Contact) -> None:
    group = [contact.id, *session.scalars(
        select(Contact.id).where(Contact.merged_into_id == contact.id)
    )]  # fmt: skip
    opened = session.scalars(
        select(Conversation).where(
            Conversation.contact_id.in_(group), Conversation.status != ConversationStatus.CLOSED
        )
    ).all()
    for conversation in opened:
        emit_conversation(session, conversation, CONVERSATION_UPDATED)


def do_create_contact_field(session: Session, user: User, key: str, label: str) -> ContactField:
    _admin(user)
    key = (key or "").strip().lower()
    label = (label or "").strip()
    if not FIELD_KEY.fullmatch(key):
        raise Invalid("invalid_key", "key: 1 to 64 of a-z, 0-9 and _.")
    if not label or len(label) > 100:
        raise Invalid("invalid_label", "label: 1 to 100 characters.")
    if session.scalar(select(ContactField.id).where(ContactField.key == key)) is not None:
        raise Conflict("field_exists", f"There is already a contact field {key!r}.")
    field = ContactField(key=key, label=label, created_at=datetime.now(UTC))
    session.add(field)
    session.flush()
    record_audit(
        session, "contact_field.created", object_type="contact_field", object_id=field.id,
        after={"key": key, "label": label}, actor=user,
    )  # fmt: skip
    return field


def do_delete_contact_field(session: Session, user: User, field_id: int) -> None:
    """The field is no longer offered; values already kept stay in the contacts (a field
    created again with the same key shows them again)."""
    _admin(user)
    field = session.get(ContactField, field_id)
    if field is None:
        raise NotFound("field_not_found", f"No contact field {field_id}.")
    record_audit(
        session, "contact_field.deleted", object_type="contact_field", object_id=field.id,
        before={"key": field.key, "label": field.label}, actor=user,
    )  # fmt: skip
    session.delete(field)
    session.flush()


def _admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise Forbidden("admins_only", "Only an admin defines contact fields.")
