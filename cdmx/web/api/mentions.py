"""``GET /api/v1/mentions``: the notes that named the caller, newest first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from cdmx.actions.mentions import mention_json
from cdmx.db.tables import Mention, Message, User
from cdmx.web.api.deps import DB, CurrentUser

router = APIRouter(tags=["mentions"])
_LIMIT = 50


@router.get("/mentions")
def list_mentions(user: CurrentUser, db: DB) -> dict[str, Any]:
    """The latest 50, each with the note's excerpt and its author."""
    query = (
        select(Mention, Message.text, User.name)
        .join(Message, Message.id == Mention.message_id)
        .outerjoin(User, User.id == Mention.author_id)
        .where(Mention.user_id == user.id)
        .order_by(Mention.created_at.desc(), Mention.id.desc())
        .limit(_LIMIT)
    )
    with db.read() as session:
        rows = session.execute(query).all()
    return {"mentions": [mention_json(m, name, text or "") for m, text, name in rows]}
