"""Conversations and their messages: list, read, reply, take, transfer, close."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from cdmx.actions.assignment import (
    do_close_conversation,
    do_mark_conversation_read,
    do_take_conversation,
    do_transfer_conversation,
)
from cdmx.actions.messages import do_send_text
from cdmx.domain.errors import Invalid
from cdmx.queries.conversations import (
    conversation_snapshot,
    list_conversations,
    visible_conversation,
)
from cdmx.queries.messages import list_messages, message_snapshot
from cdmx.web.api.deps import DB, CurrentUser

router = APIRouter(tags=["conversations"])


@router.get("/conversations")
def get_conversations(
    user: CurrentUser,
    db: DB,
    view: Literal["mine", "queue", "all"] = "all",
    status: Literal["queued", "assigned", "closed"] | None = None,
    assignee: int | None = None,
    number: int | None = None,
    limit: int = Query(200, ge=1, le=500),
) -> dict[str, Any]:
    """Conversations, newest activity first. Agents only ever see theirs and the queue."""
    with db.read() as session:
        rows = list_conversations(
            session, user, view=view, status=status, assignee_id=assignee,
            number_id=number, limit=limit,
        )  # fmt: skip
    return {"conversations": rows}


@router.get("/conversations/{conversation_id}")
def get_conversation(conversation_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    with db.read() as session:
        visible_conversation(session, user, conversation_id)
        return conversation_snapshot(session, conversation_id)


@router.get("/conversations/{conversation_id}/messages")
def get_messages(
    conversation_id: int,
    user: CurrentUser,
    db: DB,
    before: int | None = None,
    limit: int = Query(200, ge=1, le=500),
) -> dict[str, Any]:
    """The conversation's messages, oldest first (the newest ``limit``, or those before)."""
    with db.read() as session:
        visible_conversation(session, user, conversation_id)
        return {"messages": list_messages(session, conversation_id, before_id=before, limit=limit)}


class NewMessage(BaseModel):
    type: str = Field("text", description="Only text for now; other types arrive with templates")
    text: str | None = None
    local_id: str | None = Field(None, max_length=64, description="Client id for de-duplication")


@router.post("/conversations/{conversation_id}/messages", status_code=202)
def post_message(
    conversation_id: int, body: NewMessage, user: CurrentUser, db: DB
) -> dict[str, Any]:
    """Accept a reply: stored with its outbox row, sent by the outbox sender (202)."""
    if body.type != "text":
        raise Invalid("unsupported_type", f"Sending '{body.type}' messages is not supported yet.")
    with db.write() as session:
        message = do_send_text(session, user, conversation_id, body.text or "", body.local_id)
        return message_snapshot(session, message)


@router.post("/conversations/{conversation_id}/read", status_code=204)
def mark_read(conversation_id: int, user: CurrentUser, db: DB) -> Response:
    """The agent has seen the conversation: its unread count goes to zero."""
    with db.write() as session:
        do_mark_conversation_read(session, user, conversation_id)
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/take")
def take(conversation_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    with db.write() as session:
        do_take_conversation(session, user, conversation_id)
        return conversation_snapshot(session, conversation_id)


class Transfer(BaseModel):
    agent_id: int


@router.post("/conversations/{conversation_id}/transfer")
def transfer(conversation_id: int, body: Transfer, user: CurrentUser, db: DB) -> dict[str, Any]:
    with db.write() as session:
        do_transfer_conversation(session, user, conversation_id, body.agent_id)
        return conversation_snapshot(session, conversation_id)


@router.post("/conversations/{conversation_id}/close")
def close(conversation_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    with db.write() as session:
        do_close_conversation(session, user, conversation_id)
        return conversation_snapshot(session, conversation_id)
