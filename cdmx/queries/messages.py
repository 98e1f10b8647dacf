"""Reading messages of a conversation, finding one by its WhatsApp id, searching them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cdmx.db.search import SearchQuery, search_messages
from cdmx.db.tables import Channel, Message, User
from cdmx.queries.conversations import conversations_by_id, visible_condition
from cdmx.queries.media import message_media, page_media
from cdmx.queries.serialize import message_json
from cdmx.whatsapp.content import message_content

_USER_NAME = select(User.name).where(User.id == bindparam("user_id"))


def user_name(session: Session, user_id: int | None) -> str | None:
    """A user's name, read at most once per transaction (snapshots ask for it often)."""
    if user_id is None:
        return None
    names = _user_names(session)
    if user_id not in names:
        names[user_id] = session.connection().scalar(_USER_NAME, {"user_id": user_id})
    return names[user_id]


def remember_user_names(session: Session, names: dict[int, str]) -> None:
    """Names this transaction already read (routing reads the available agents')."""
    _user_names(session).update(names)


def _user_names(session: Session) -> dict[int, str | None]:
    names: dict[int, str | None] = session.info.setdefault("user_names", {})
    return names


def message_snapshot(session: Session, message: Message) -> dict[str, Any]:
    """One message as JSON, with its author's name."""
    name = user_name(session, message.author_id)
    return message_json(message, name, message_media(session, message))


def list_messages(
    session: Session, conversation_id: int, *, before_id: int | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The newest ``limit`` messages (before ``before_id``), returned oldest first."""
    query = (
        select(Message, User.name)
        .outerjoin(User, User.id == Message.author_id)
        .where(Message.conversation_id == conversation_id)
    )
    if before_id is not None:
        query = query.where(Message.id < before_id)
    rows = session.execute(query.order_by(Message.id.desc()).limit(limit)).all()
    media = page_media(session, [message for message, _ in rows])  # one query for the page
    return [message_json(m, name, media.get(m.id)) for m, name in reversed(rows)]


def find_by_wamid(session: Session, wamid: str) -> list[Message]:
    """Messages with this WhatsApp id (one per number at most)."""
    if "\x00" in wamid:  # no stored wamid has one, and PostgreSQL's text refuses it
        return []
    # Through each number: the unique index is (channel_id, wamid), so the wamid alone would
    # scan it whole (128 ms at 1,000,000 messages on SQLite, measured).
    numbers = select(Channel.id).scalar_subquery()
    statement = select(Message).where(Message.channel_id.in_(numbers), Message.wamid == wamid)
    return list(session.scalars(statement))


def search_page(
    session: Session,
    user: User,
    query: SearchQuery,
    *,
    before_id: int | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """A page of messages matching ``query`` that ``user`` may see, newest first, each with
    its conversation; ``next_before`` continues while more match."""
    # One more than the page: the page is the last when it is not there.
    found = search_messages(
        session, query, visible=visible_condition(user), before_id=before_id, limit=limit + 1
    )
    page = found[:limit]
    next_before = page[-1].id if len(found) > limit else None
    # A message its customer deleted is hidden in the thread; it is not shown here either.
    deleted = _deleted_wamids(session, {m.conversation_id for m in page})
    found = [m for m in page if m.wamid is None or m.wamid not in deleted]
    media = page_media(session, found)
    conversations = conversations_by_id(session, (m.conversation_id for m in found))
    messages = [
        message_json(m, user_name(session, m.author_id), media.get(m.id))
        | {"conversation": conversations[m.conversation_id]}
        for m in found
    ]
    return {"messages": messages, "next_before": next_before}


def _deleted_wamids(session: Session, conversation_ids: set[int]) -> set[str]:
    if not conversation_ids:
        return set()
    revokes = session.scalars(
        select(Message.payload).where(
            Message.conversation_id.in_(conversation_ids), Message.type == "revoke"
        )
    )
    deleted = set()
    for payload in revokes:
        content = message_content("revoke", payload if isinstance(payload, dict) else {})
        deleted.add(content.get("original_message_id") or "")
    return deleted
