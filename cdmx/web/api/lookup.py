"""Finding things by their WhatsApp ids: messages by wamid, contacts by wa_id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import or_, select

from cdmx.db.tables import Contact, Conversation
from cdmx.domain.identity import canonical_wa_id
from cdmx.queries.conversations import can_see
from cdmx.queries.messages import find_by_wamid, message_snapshot
from cdmx.web.api.deps import DB, CurrentUser

router = APIRouter(tags=["lookup"])


@router.get("/messages")
def find_messages(wamid: str, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Messages with this WhatsApp id that the caller may see."""
    with db.read() as session:
        found = []
        for message in find_by_wamid(session, wamid):
            conversation = session.get(Conversation, message.conversation_id)
            if conversation is not None and can_see(user, conversation):
                found.append(message_snapshot(session, message))
        return {"messages": found}


@router.get("/contacts")
def find_contacts(user: CurrentUser, db: DB, wa_id: str | None = None) -> dict[str, Any]:
    """Contacts by wa_id (either Mexican form matches), or the 200 most recent."""
    query = select(Contact)
    if wa_id:
        wanted = canonical_wa_id(wa_id)
        query = query.where(or_(Contact.wa_id == wanted, Contact.wa_id == wa_id))
    with db.read() as session:
        contacts = session.scalars(query.order_by(Contact.updated_at.desc()).limit(200)).all()
    return {
        "contacts": [
            {"id": c.id, "wa_id": c.wa_id, "user_id": c.user_id, "name": c.name} for c in contacts
        ]
    }
