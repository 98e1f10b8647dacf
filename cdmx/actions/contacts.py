"""Creating and updating contacts from what WhatsApp tells us about a sender."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cdmx.db.tables import Contact
from cdmx.domain.identity import canonical_wa_id, contact_identity
from cdmx.whatsapp.payload import Sender


def do_upsert_contact(session: Session, sender: Sender) -> Contact:
    """The contact for this sender, created on first sight, its name kept current."""
    wa_id = canonical_wa_id(sender.wa_id) if sender.wa_id else None
    identity = contact_identity(wa_id=wa_id, user_id=sender.user_id)
    contact = session.scalar(select(Contact).where(Contact.identity == identity))
    if contact is None and sender.user_id and wa_id:
        # Known by phone from before the BSUID rollout: same person, adopt the new key.
        contact = session.scalar(
            select(Contact).where(Contact.wa_id == wa_id, Contact.user_id.is_(None))
        )
        if contact is not None:
            contact.identity = identity
            contact.user_id = sender.user_id
    now = datetime.now(UTC)
    if contact is None:
        contact = Contact(
            identity=identity, wa_id=wa_id, user_id=sender.user_id, name=sender.name,
            created_at=now, updated_at=now,
        )  # fmt: skip
        try:
            with session.begin_nested():
                session.add(contact)
        except IntegrityError:
            # Another worker created it first; theirs is the one.
            contact = session.scalars(select(Contact).where(Contact.identity == identity)).one()
    if sender.name and contact.name != sender.name:
        contact.name = sender.name
        contact.updated_at = now
    if wa_id and contact.wa_id != wa_id:
        contact.wa_id = wa_id
        contact.updated_at = now
    return contact
