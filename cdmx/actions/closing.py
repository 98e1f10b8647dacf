"""A person closing a conversation, and what follows: the queue's satisfaction survey.

Apart from ``assignment.py`` (which closes it, and auto-closes quiet ones) because the
survey is sent through ``replies.py`` and ``csat.py``, which build on ``assignment.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from cdmx.actions.assignment import check_may_manage, close_conversation, load_conversation
from cdmx.actions.audit import record_audit
from cdmx.actions.csat import send_survey
from cdmx.db.tables import Conversation, User
from cdmx.domain.states import ConversationStatus


def do_close_conversation(session: Session, user: User, conversation_id: int) -> Conversation:
    """Close a conversation; the customer's next message opens a new one. Its queue's
    satisfaction survey, when it has one, goes to the customer (``csat.py``)."""
    conversation = load_conversation(session, conversation_id)
    if conversation.status == ConversationStatus.CLOSED:
        return conversation
    check_may_manage(session, user, conversation, "close")
    before = {"status": conversation.status, "assignee_id": conversation.assignee_id}
    now = datetime.now(UTC)
    close_conversation(session, conversation, now, wait=False)
    record_audit(
        session, "conversation.closed", object_type="conversation", object_id=conversation.id,
        before=before, after={"status": conversation.status}, actor=user,
    )  # fmt: skip
    send_survey(session, conversation, now)
    return conversation
