"""Mentions: ``@name`` in a note tells that colleague and lets them read the conversation."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.actions.events import emit
from cdmx.db.tables import Conversation, Mention, Message, User
from cdmx.domain.events import MentionCreated
from cdmx.queries.conversations import conversation_snapshot
from cdmx.queries.serialize import iso

_EXCERPT = 140


def _fold(text: str) -> str:
    """Lower case without accents, so "@beto lopez" finds "Beto López"; one char per char
    (combining marks dropped after NFD of each char) keeps positions comparable."""
    out = []
    for char in text:
        base = unicodedata.normalize("NFD", char)[0]
        out.append(base.casefold()[:1] or base)
    return "".join(out)


def _is_boundary(folded: str, end: int) -> bool:
    return end >= len(folded) or not folded[end].isalnum()


def mentioned_users(session: Session, text: str, author_id: int) -> list[User]:
    """Active users named after an ``@``: full name or first name, longest first; not the
    author, each once."""
    if "@" not in text:
        return []
    users = session.scalars(
        select(User).where(User.is_active.is_(True), User.role != "integration")
    ).all()
    names: list[tuple[str, User]] = []
    for user in users:
        full = _fold(user.name.strip())
        if full:
            names.append((full, user))
            first = full.split()[0]
            if first != full:
                names.append((first, user))
    names.sort(key=lambda pair: len(pair[0]), reverse=True)
    folded = _fold(text)
    found: dict[int, User] = {}
    start = folded.find("@")
    while start != -1:
        for name, user in names:
            end = start + 1 + len(name)
            if folded.startswith(name, start + 1) and _is_boundary(folded, end):
                if user.id != author_id:
                    found.setdefault(user.id, user)
                break
        start = folded.find("@", start + 1)
    return list(found.values())


def record_mentions(
    session: Session, author: User, conversation: Conversation, note: Message
) -> list[Mention]:
    """Store the note's mentions in its transaction and tell each named colleague alone."""
    users = mentioned_users(session, note.text or "", author.id)
    if not users:
        return []
    now = datetime.now(UTC)
    rows = [
        Mention(conversation_id=conversation.id, message_id=note.id, user_id=u.id,
                author_id=author.id, created_at=now)
        for u in users
    ]  # fmt: skip
    session.add_all(rows)
    session.flush()
    snapshot = conversation_snapshot(session, conversation.id)
    for row in rows:
        event = MentionCreated.model_validate(
            {"mention": mention_json(row, author.name, note.text or ""), "conversation": snapshot}
        )
        emit(session, event, conversation_id=conversation.id, audience=[row.user_id])
    return rows


def mention_json(row: Mention, author_name: str | None, text: str) -> dict[str, Any]:
    excerpt = text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"
    author = None if row.author_id is None else {"id": row.author_id, "name": author_name or ""}
    return {
        "id": row.id, "user_id": row.user_id, "author": author,
        "conversation_id": row.conversation_id, "message_id": row.message_id,
        "excerpt": excerpt, "created_at": iso(row.created_at),
    }  # fmt: skip
