"""Creating and updating contacts from what WhatsApp tells us about a sender.

Written with Core statements: this runs for every inbound message, and the ORM's unit of
work cost more than the statements themselves (docs/capacity.md). What it returns is a
``Contact`` detached from the session, a snapshot of the row; change the row with
``update_contact``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from cdmx.db.engine import per_dialect
from cdmx.db.tables import CONTACTS, Contact
from cdmx.domain.identity import canonical_wa_id, contact_identity
from cdmx.whatsapp.payload import Sender

_BY_IDENTITY = select(CONTACTS).where(CONTACTS.c.identity == bindparam("identity"))
_INSERT = per_dialect(
    lambda insert: (
        insert(CONTACTS)
        .on_conflict_do_nothing(index_elements=["identity"])
        .returning(CONTACTS.c.id)
    )
)
_UPDATE = update(CONTACTS).where(CONTACTS.c.id == bindparam("row_id"))


def do_upsert_contact(session: Session, sender: Sender) -> Contact:
    """The contact for this sender, created on first sight, its name kept current."""
    return upsert_contact(session, sender)[0]


def upsert_contact(session: Session, sender: Sender) -> tuple[Contact, bool]:
    """``do_upsert_contact``, and whether the contact was created now."""
    connection = session.connection()
    wa_id = canonical_wa_id(sender.wa_id) if sender.wa_id else None
    identity = contact_identity(wa_id=wa_id, user_id=sender.user_id)
    now = datetime.now(UTC)
    contact = _by_identity(connection, identity)
    if contact is None and sender.user_id and wa_id:
        # Known by phone from before the BSUID rollout: same person, adopt the new key.
        contact = _first(
            connection,
            select(CONTACTS).where(CONTACTS.c.wa_id == wa_id, CONTACTS.c.user_id.is_(None)),
        )
        if contact is not None:
            update_contact(session, contact, identity=identity, user_id=sender.user_id)
    if contact is None:
        # ON CONFLICT: when another worker creates it first, theirs is the one.
        values = {
            "identity": identity, "wa_id": wa_id, "user_id": sender.user_id,
            "name": sender.name, "created_at": now, "updated_at": now,
        }  # fmt: skip
        inserted = connection.execute(_INSERT[connection.dialect.name], values).scalar()
        if inserted is not None:
            return Contact(id=inserted, referral=None, **values), True
        contact = _by_identity(connection, identity)
        assert contact is not None
    changes: dict[str, Any] = {}
    if sender.name and contact.name != sender.name:
        changes["name"] = sender.name
    if wa_id and contact.wa_id != wa_id:
        changes["wa_id"] = wa_id
    if changes:
        update_contact(session, contact, **changes)
    return contact, False


def update_contact(session: Session, contact: Contact, **changes: Any) -> None:
    """Write ``changes`` to the contact's row and to the snapshot ``contact``."""
    changes["updated_at"] = datetime.now(UTC)
    session.connection().execute(_UPDATE, {"row_id": contact.id, **changes})
    for name, value in changes.items():
        setattr(contact, name, value)


def contact_id_with_identity(session: Session, identity: str) -> int | None:
    return (
        session.connection()
        .execute(select(CONTACTS.c.id).where(CONTACTS.c.identity == identity))
        .scalar()
    )


def _by_identity(connection: Connection, identity: str) -> Contact | None:
    return _first(connection, _BY_IDENTITY, {"identity": identity})


def _first(
    connection: Connection, query: Any, params: dict[str, Any] | None = None
) -> Contact | None:
    row = connection.execute(query, params).first()
    return None if row is None else Contact(**row._mapping)
