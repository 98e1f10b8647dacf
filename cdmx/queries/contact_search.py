"""Finding a customer by name or by any way people write their number (``?q=`` on
``GET /api/v1/contacts``), and the contact JSON the search and the merge answer with."""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, exists, false, func, or_, select
from sqlalchemy.orm import Session

from cdmx.db.tables import Contact, Conversation, User
from cdmx.domain.identity import canonical_wa_id, digits
from cdmx.domain.phone import readable_phone
from cdmx.queries.conversations import contact_group, sees_contact, visible_condition

MAX_RESULTS = 50
# Name matches are narrowed in SQL with a loose pattern, then checked exactly in Python
# (accents folded on both sides): this many candidates are read for that check.
_NAME_CANDIDATES = 500
# Letters that may carry an accent: a wildcard in the SQL pattern, folded in Python.
_ACCENTABLE = set("aeiounc")


def fold(text: str) -> str:
    """Lower case without accents: "José" and "jose" are one name to a searcher."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def number_condition(query: str) -> tuple[ColumnElement[bool], bool] | None:
    """The wa_id condition for a query typed as a number, and whether it is an exact
    match; None when the query is not a number (fewer than 7 digits, or letters)."""
    number = digits(query)
    if len(number) < 7 or any(ch.isalpha() for ch in query):
        return None
    if len(number) == 10:
        return Contact.wa_id.in_(("521" + number, "52" + number)), True
    if number.startswith("52") and len(number) in (12, 13):
        return Contact.wa_id.in_((canonical_wa_id(number), number)), True
    return or_(Contact.wa_id == number, Contact.wa_id.like("%" + number)), False


def _name_pattern(query: str) -> str:
    """A LIKE pattern that any accented spelling of ``query`` matches (after lower()):
    accentable letters become ``_``, so the SQL narrows and Python decides."""
    out = []
    for ch in fold(query):
        if ch in _ACCENTABLE or not ch.isascii():
            out.append("_")
        elif ch in "%_\\":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "%" + "".join(out) + "%"


def search_contacts(
    session: Session, user: User, query: str, *, limit: int = MAX_RESULTS
) -> list[dict[str, Any]]:
    """The contacts ``query`` names (number in any form, BSUID, or part of a name), each
    shown as the contact it was merged into; exact numbers first, then most recent. Only
    customers with a conversation the caller may see."""
    query = query.strip()
    if not query:
        return []
    number = number_condition(query)
    # A number never is a BSUID (those carry letters): leaving user_id out of a number's
    # OR lets the wa_id index answer it (user_id has none).
    conditions: list[ColumnElement[bool]] = [Contact.user_id == query]
    exact_ids: set[int] = set()
    if number is not None:
        conditions = [number[0]]
    folded = fold(query)
    by_name = number is None and len(folded) >= 2
    if by_name:
        pattern = _name_pattern(query)
        conditions.append(
            or_(
                func.lower(Contact.display_name).like(pattern, escape="\\"),
                func.lower(Contact.name).like(pattern, escape="\\"),
            )
        )
    statement = select(Contact).where(or_(false(), *conditions))
    visible = visible_condition(user)
    if visible is not None:
        statement = statement.where(exists().where(Conversation.contact_id == Contact.id, visible))
    found = session.scalars(
        statement.order_by(Contact.updated_at.desc(), Contact.id.desc()).limit(_NAME_CANDIDATES)
    ).all()
    matches: list[Contact] = []
    for contact in found:
        exact_number = number is not None and number[1] and contact.wa_id is not None
        if contact.user_id == query or exact_number:
            exact_ids.add(contact.id)
            matches.append(contact)
        elif number is not None or _name_matches(contact, folded):
            matches.append(contact)
    matches.sort(key=lambda c: c.id not in exact_ids)  # stable: recency kept within each
    return _shown(session, user, matches, limit)


def _name_matches(contact: Contact, folded: str) -> bool:
    return folded in fold(contact.display_name or "") or folded in fold(contact.name)


def _shown(
    session: Session, user: User, matches: list[Contact], limit: int
) -> list[dict[str, Any]]:
    """Each match as the contact it is shown as (its merge head), once."""
    seen: set[int] = set()
    result = []
    for contact in matches:
        head = session.get(Contact, contact.merged_into_id) if contact.merged_into_id else contact
        if head is None or head.id in seen:
            continue
        seen.add(head.id)
        result.append(contact_json(session, user, head))
        if len(result) >= limit:
            break
    return result


def contact_by_id(session: Session, user: User, contact_id: int) -> list[dict[str, Any]]:
    """``[contact]`` shown as its merge head, or ``[]`` when the caller may see none of its
    conversations (or there is no such contact)."""
    contact = session.get(Contact, contact_id)
    if contact is None or not sees_contact(session, user, [contact.id]):
        return []
    return _shown(session, user, [contact], 1)


def contact_json(session: Session, user: User, contact: Contact) -> dict[str, Any]:
    """A contact for the search and the merge dialog: its ids, shown name, readable phone,
    the newest conversation of its history the caller may see, and how many it has."""
    group = contact_group(session, contact.id)
    newest = select(Conversation.id).where(Conversation.contact_id.in_(group))
    visible = visible_condition(user)
    if visible is not None:
        newest = newest.where(visible)
    last_id = session.scalar(newest.order_by(Conversation.id.desc()).limit(1))
    count = session.scalar(
        select(func.count()).select_from(Conversation).where(Conversation.contact_id.in_(group))
    )
    merged = session.scalars(select(Contact.id).where(Contact.merged_into_id == contact.id)).all()
    return {
        "id": contact.id,
        "wa_id": contact.wa_id,
        "user_id": contact.user_id,
        "name": contact.display_name or contact.name,
        "profile_name": contact.name,
        "phone": readable_phone(contact.wa_id) or "",
        "last_conversation_id": last_id,
        "conversation_count": count or 0,
        "merged": sorted(merged),
    }
