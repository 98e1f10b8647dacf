"""Conversations and their messages: list, read, reply, take, transfer, snooze, close."""

from __future__ import annotations

import time
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.orm import Session

from cdmx.actions.assignment import (
    do_snooze_conversation,
    do_take_conversation,
    do_transfer_conversation,
    do_transfer_to_queue,
)
from cdmx.actions.audit import VIEW_EVERY, do_record_conversation_view, reads_as_outsider
from cdmx.actions.closing import do_close_conversation
from cdmx.actions.notes import do_add_note
from cdmx.actions.replies import do_send_message, message_wamid
from cdmx.actions.templates import template_message_for
from cdmx.db.tables import User
from cdmx.domain.errors import Invalid
from cdmx.queries.conversations import (
    conversation_snapshot,
    list_conversations,
    readable_conversation,
    visible_conversation,
)
from cdmx.queries.messages import list_messages, message_snapshot
from cdmx.web.api.deps import DB, CurrentUser
from cdmx.web.services import App, Services
from cdmx.whatsapp.outgoing import (
    Outgoing,
    build_buttons,
    build_contacts,
    build_list,
    build_location,
    build_reaction,
    build_text,
)

router = APIRouter(tags=["conversations"])


@router.get("/conversations")
def get_conversations(
    user: CurrentUser,
    db: DB,
    view: Literal["mine", "queue", "all"] = "all",
    status: Literal["queued", "assigned", "snoozed", "closed"] | None = None,
    assignee: int | None = None,
    number: int | None = None,
    queue_id: int | None = Query(None, ge=1, le=2**63 - 1),
    label_id: int | None = Query(None, ge=1, le=2**63 - 1),
    order: Literal["recent", "unread", "waiting"] = "recent",
    limit: int = Query(200, ge=1, le=500),
) -> dict[str, Any]:
    """Conversations, newest activity first (``order=recent``), unread ones first
    (``unread``) or the longest-waiting customers first (``waiting``). Agents only ever see
    theirs and the queue."""
    with db.read() as session:
        rows = list_conversations(
            session, user, view=view, status=status, assignee_id=assignee,
            number_id=number, queue_id=queue_id, label_id=label_id, order=order, limit=limit,
        )  # fmt: skip
    return {"conversations": rows}


@router.get("/conversations/{conversation_id}")
def get_conversation(conversation_id: int, user: CurrentUser, app: App) -> dict[str, Any]:
    with app.db.read() as session:
        conversation = readable_conversation(session, user, conversation_id)
        snapshot = conversation_snapshot(session, conversation_id)
    _audit_read(app, user, conversation.id, conversation.assignee_id)
    return snapshot


@router.get("/conversations/{conversation_id}/messages")
def get_messages(
    conversation_id: int,
    user: CurrentUser,
    app: App,
    before: int | None = None,
    limit: int = Query(200, ge=1, le=500),
) -> dict[str, Any]:
    """The conversation's messages, oldest first (the newest ``limit``, or those before)."""
    with app.db.read() as session:
        conversation = readable_conversation(session, user, conversation_id)
        messages = list_messages(session, conversation_id, before_id=before, limit=limit)
    _audit_read(app, user, conversation.id, conversation.assignee_id)
    return {"messages": messages}


def _audit_read(app: Services, user: User, conversation_id: int, assignee_id: int | None) -> None:
    """A supervisor or admin reading a conversation that is not theirs: ``conversation.
    viewed``, once per reader and conversation within VIEW_EVERY. This instance remembers
    its recent rows, so the console's re-reads cost no statement; after a restart, or on
    another instance, the database's own recent row is looked for first."""
    if not reads_as_outsider(user, assignee_id):
        return
    now = time.monotonic()
    every = VIEW_EVERY.total_seconds()
    key = (user.id, conversation_id)
    if now - app.viewed.get(key, -every) < every:
        return
    with app.db.write() as session:
        do_record_conversation_view(session, user, conversation_id)
    if len(app.viewed) > 10_000:  # forget the expired ones now and then
        # A copy first: other request threads add to the dict meanwhile.
        for stale in [k for k, at in list(app.viewed.items()) if now - at >= every]:
            app.viewed.pop(stale, None)
    app.viewed[key] = now


class ContactCard(BaseModel):
    name: str
    phones: list[str] = []
    emails: list[str] = []


class ReplyButton(BaseModel):
    title: str
    id: str | None = None


class ListRow(BaseModel):
    title: str
    id: str | None = None
    description: str | None = None


class ListSection(BaseModel):
    title: str | None = None
    rows: list[ListRow]


class NewMessage(BaseModel):
    """A message from an agent. ``type`` picks which of the other fields are read."""

    type: Literal["text", "reaction", "location", "contacts", "buttons", "list", "template"] = (
        "text"
    )
    local_id: str | None = Field(None, max_length=64, description="Client id for de-duplication")
    reply_to: int | None = Field(None, description="Id of a message of this conversation to quote")
    text: str | None = Field(None, description="text")
    message_id: int | None = Field(None, description="reaction: the message reacted to")
    emoji: str | None = Field(None, description="reaction: the emoji; empty removes it")
    latitude: float | None = None
    longitude: float | None = None
    name: str | None = Field(None, description="location: the place's name")
    address: str | None = None
    contacts: list[ContactCard] | None = None
    body: str | None = Field(None, description="buttons and list: the message text")
    buttons: list[ReplyButton] | None = Field(None, description="buttons: up to three")
    button: str | None = Field(None, description="list: the label of the button that opens it")
    sections: list[ListSection] | None = None
    header: str | None = None
    footer: str | None = None
    template_id: int | None = Field(None, description="template: a synced, approved template")
    params: dict[str, Any] | None = Field(
        None, description='template: {"header": {...}, "body": {"1": "…"}, "buttons": {"0": "…"}}'
    )


def _outgoing(session: Session, conversation_id: int, body: NewMessage) -> Outgoing:
    if body.type == "template":
        return template_message_for(session, conversation_id, body.template_id, body.params)
    if body.type == "text":
        return build_text(body.text)
    if body.type == "reaction":
        if body.message_id is None:
            raise Invalid("missing_field", "message_id: the message to react to.")
        return build_reaction(message_wamid(session, conversation_id, body.message_id), body.emoji)
    if body.type == "location":
        return build_location(body.latitude, body.longitude, body.name, body.address)
    if body.type == "contacts":
        return build_contacts([c.model_dump() for c in body.contacts or []])
    if body.type == "buttons":
        buttons = [b.model_dump() for b in body.buttons or []]
        return build_buttons(body.body, buttons, header=body.header, footer=body.footer)
    sections = [s.model_dump() for s in body.sections or []]
    return build_list(body.body, body.button, sections, header=body.header, footer=body.footer)


@router.post("/conversations/{conversation_id}/messages", status_code=202)
def post_message(
    conversation_id: int, body: NewMessage, user: CurrentUser, db: DB
) -> dict[str, Any]:
    """Accept a message: checked against WhatsApp's limits, stored with its outbox row, sent
    by the outbox sender (202)."""
    with db.write() as session:
        visible_conversation(session, user, conversation_id)
        outgoing = _outgoing(session, conversation_id, body)
        message = do_send_message(
            session, user, conversation_id, outgoing, local_id=body.local_id,
            reply_to_id=body.reply_to, template=body.type == "template",
        )  # fmt: skip
        return message_snapshot(session, message)


@router.post("/conversations/{conversation_id}/take")
def take(conversation_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    with db.write() as session:
        do_take_conversation(session, user, conversation_id)
        return conversation_snapshot(session, conversation_id)


class Transfer(BaseModel):
    agent_id: int | None = Field(None, description="To this agent; or give queue_id")
    queue_id: int | None = Field(None, description="To this queue, routed by its rules")
    note: str | None = Field(None, description="An internal note the receiver sees first")


@router.post("/conversations/{conversation_id}/transfer")
def transfer(conversation_id: int, body: Transfer, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Hand it to an agent or a queue, optionally with a note for whoever receives it."""
    if (body.agent_id is None) == (body.queue_id is None):
        raise Invalid("agent_or_queue", "Give either agent_id or queue_id.")
    with db.write() as session:
        # The note first, while the sender still has the conversation: it is then the
        # newest line of the thread the receiver opens.
        if body.note and body.note.strip():
            do_add_note(session, user, conversation_id, body.note)
        if body.agent_id is not None:
            do_transfer_conversation(session, user, conversation_id, body.agent_id)
        else:
            assert body.queue_id is not None
            do_transfer_to_queue(session, user, conversation_id, body.queue_id)
        return conversation_snapshot(session, conversation_id)


class NewNote(BaseModel):
    text: str


@router.post("/conversations/{conversation_id}/notes", status_code=201)
def add_note(conversation_id: int, body: NewNote, user: CurrentUser, db: DB) -> dict[str, Any]:
    """An internal note (``direction: "internal"``): for the team, never sent to WhatsApp."""
    with db.write() as session:
        note = do_add_note(session, user, conversation_id, body.text)
        return message_snapshot(session, note)


@router.post("/conversations/{conversation_id}/close")
def close(conversation_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    with db.write() as session:
        do_close_conversation(session, user, conversation_id)
        return conversation_snapshot(session, conversation_id)


class Snooze(BaseModel):
    until: AwareDatetime = Field(description="ISO 8601 with its offset; at most a year ahead")


@router.post("/conversations/{conversation_id}/snooze")
def snooze(conversation_id: int, body: Snooze, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Put it aside until ``until``: it comes back to its agent (or its queue, if that agent
    is gone) then, or as soon as the customer writes."""
    with db.write() as session:
        do_snooze_conversation(session, user, conversation_id, body.until)
        return conversation_snapshot(session, conversation_id)
