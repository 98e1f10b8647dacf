"""Finding things: messages by wamid or by their text, contacts by wa_id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import exists, or_, select

from cdmx.db.engine import Database
from cdmx.db.search import SearchQuery
from cdmx.db.tables import Contact, Conversation, User
from cdmx.domain.errors import ActionError
from cdmx.domain.identity import canonical_wa_id
from cdmx.queries.contact_search import contact_by_id, search_contacts
from cdmx.queries.conversations import can_see, visible_condition
from cdmx.queries.messages import find_by_wamid, message_snapshot, search_page
from cdmx.web.api.deps import DB, CurrentUser

router = APIRouter(tags=["lookup"])


@router.get("/messages")
def find_messages(
    user: CurrentUser,
    db: DB,
    wamid: str | None = None,
    q: str | None = None,
    before: int | None = Query(None, ge=1, le=2**63 - 1),
    limit: int = Query(50, ge=1, le=100),
) -> dict[str, Any]:
    """``wamid``: the messages with this WhatsApp id. ``q``: a search of the messages' text,
    newest first, a page of ``limit`` (``before``: the ``next_before`` of the page before).
    Either way, only what the caller may see."""
    if wamid is not None:
        return _by_wamid(user, db, wamid)
    if q is None:
        raise ActionError("missing_query", "Give wamid= to find a message or q= to search.")
    query = SearchQuery.parse(q)
    with db.read() as session:
        return search_page(session, user, query, before_id=before, limit=limit)


def _by_wamid(user: User, db: Database, wamid: str) -> dict[str, Any]:
    with db.read() as session:
        found = []
        for message in find_by_wamid(session, wamid):
            conversation = session.get(Conversation, message.conversation_id)
            if conversation is not None and can_see(session, user, conversation):
                found.append(message_snapshot(session, message))
        return {"messages": found}


@router.get("/contacts")
def find_contacts(
    user: CurrentUser,
    db: DB,
    wa_id: str | None = None,
    q: str | None = None,
    id: int | None = Query(None, ge=1, le=2**63 - 1),
) -> dict[str, Any]:
    """Contacts by wa_id (either Mexican form matches), or the 200 most recent; only
    those with a conversation the caller may see. ``q``: a search by name or any form of
    the number (see cdmx.queries.contact_search), at most 50, merged ones shown once.
    ``id``: that one contact in the same shape (the merge dialog's "this contact")."""
    if q is not None:
        with db.read() as session:
            return {"contacts": search_contacts(session, user, q)}
    if id is not None:
        with db.read() as session:
            return {"contacts": contact_by_id(session, user, id)}
    query = select(Contact)
    visible = visible_condition(user)
    if visible is not None:
        query = query.where(exists().where(Conversation.contact_id == Contact.id, visible))
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
