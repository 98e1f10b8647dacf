"""What the customer sees of the agent: blue ticks when the agent reads, "typing…" while
the agent writes (both off with CDMX_READ_RECEIPTS=false).

These are courtesies, not messages: they are sent in the background, at most once per
conversation every few seconds, and a failure is logged, never retried or shown.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.actions.assignment import do_mark_conversation_read
from cdmx.db.tables import Channel, Message
from cdmx.domain.sealing import SealError
from cdmx.queries.conversations import visible_conversation
from cdmx.web.api.deps import DB, CurrentUser
from cdmx.whatsapp.errors import GraphError

log = logging.getLogger(__name__)
router = APIRouter(tags=["conversations"])

# Meta shows "typing…" for 25 s; asking again sooner changes nothing for the customer.
TYPING_EVERY_SECONDS = 20.0


@dataclass(frozen=True)
class Target:
    phone_number_id: str
    token: str
    wamid: str


def _target(request: Request, session: Session, conversation_id: int) -> Target | None:
    """The customer's latest message and how to reach Meta for it (None: nothing to do)."""
    settings = request.app.state.settings
    if not settings.read_receipts:
        return None
    row = session.execute(
        select(
            Message.wamid, Channel.phone_number_id, Channel.access_token_sealed, Channel.provider
        )
        .join(Channel, Channel.id == Message.channel_id)
        .where(Message.conversation_id == conversation_id, Message.direction == "inbound")
        .order_by(Message.id.desc())
        .limit(1)
    ).first()
    if row is None or not row.wamid or row.provider != "meta":
        return None
    token = settings.access_token
    if row.access_token_sealed:
        try:
            token = request.app.state.sealer.unseal(row.access_token_sealed)
        except SealError:
            return None
    return Target(row.phone_number_id, token, row.wamid)


def _in_background(request: Request, name: str, target: Target, typing: bool) -> None:
    graph = request.app.state.graph

    async def send() -> None:
        try:
            if typing:
                await graph.send_typing(target.phone_number_id, target.token, target.wamid)
            else:
                await graph.mark_read(target.phone_number_id, target.token, target.wamid)
        except GraphError as exc:
            log.info("%s for %s not sent: %s", name, target.wamid, exc)

    task = asyncio.get_running_loop().create_task(send())
    tasks: set[asyncio.Task[None]] = request.app.state.background
    tasks.add(task)
    task.add_done_callback(tasks.discard)


@router.post("/conversations/{conversation_id}/read", status_code=204)
async def mark_read(conversation_id: int, request: Request, user: CurrentUser, db: DB) -> Response:
    """The agent has seen the conversation: unread to zero, and blue ticks for the customer."""

    def write() -> Target | None:
        with db.write() as session:
            do_mark_conversation_read(session, user, conversation_id)
            return _target(request, session, conversation_id)

    target = await asyncio.to_thread(write)
    if target is not None:
        _in_background(request, "read receipt", target, typing=False)
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/typing", status_code=204)
async def typing(conversation_id: int, request: Request, user: CurrentUser, db: DB) -> Response:
    """The agent is writing: show "typing…" to the customer (throttled per conversation)."""
    last_sent: dict[int, float] = request.app.state.typing_sent
    now = time.monotonic()
    if now - last_sent.get(conversation_id, 0.0) < TYPING_EVERY_SECONDS:
        return Response(status_code=204)

    def read() -> Target | None:
        with db.read() as session:
            conversation = visible_conversation(session, user, conversation_id)
            if conversation.status == "closed":
                return None
            return _target(request, session, conversation_id)

    target = await asyncio.to_thread(read)
    if target is not None:
        last_sent[conversation_id] = now
        _in_background(request, "typing indicator", target, typing=True)
    return Response(status_code=204)
