"""Who else is here: a staff member viewing or typing in a conversation, told to the others.

Stored as an event (one INSERT with the transaction, then the existing NOTIFY path), so it
crosses instances on PostgreSQL like every other event; a replayed one is stale once its
``expires_at`` passes and the console drops it then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from cdmx.actions.events import emit
from cdmx.db.tables import User
from cdmx.domain.errors import Invalid
from cdmx.domain.events import ConversationActivity
from cdmx.queries.conversations import audience_of, readable_conversation
from cdmx.queries.serialize import iso

LIFETIME = {"viewing": timedelta(seconds=15), "typing": timedelta(seconds=6), "left": timedelta(0)}


def do_report_activity(session: Session, user: User, conversation_id: int, state: str) -> None:
    """Publish ``user``'s state in a conversation they may read to its audience."""
    if state not in LIFETIME:
        raise Invalid("invalid_state", "state is viewing, typing or left.")
    conversation = readable_conversation(session, user, conversation_id)
    expires = datetime.now(UTC) + LIFETIME[state]
    event = ConversationActivity.model_validate(
        {"user": {"id": user.id, "name": user.name}, "conversation_id": conversation.id,
         "state": state, "expires_at": iso(expires)}
    )  # fmt: skip
    emit(
        session, event, conversation_id=conversation.id, audience=audience_of(session, conversation)
    )
