"""``/read`` and ``/typing``: the agent's courtesies to the customer (``cdmx.actions.courtesy``),
sent in the background, "typing…" at most once per conversation every few seconds."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from cdmx.actions.assignment import do_mark_conversation_read
from cdmx.actions.courtesy import CourtesyTarget, courtesy_target, send_courtesy
from cdmx.queries.conversations import visible_conversation
from cdmx.web.api.deps import DB, CurrentUser
from cdmx.web.services import services

router = APIRouter(tags=["conversations"])

# Meta shows "typing…" for 25 s; asking again sooner changes nothing for the customer.
TYPING_EVERY_SECONDS = 20.0


def _target(request: Request, session: Session, conversation_id: int) -> CourtesyTarget | None:
    settings = services(request).settings
    if not settings.read_receipts:
        return None
    return courtesy_target(
        session, conversation_id, default_token=settings.access_token,
        sealer=services(request).sealer,
    )  # fmt: skip


def _in_background(request: Request, target: CourtesyTarget, *, typing: bool) -> None:
    task = asyncio.get_running_loop().create_task(
        send_courtesy(services(request).graph, target, typing=typing)
    )
    tasks: set[asyncio.Task[None]] = services(request).background
    tasks.add(task)
    task.add_done_callback(tasks.discard)


@router.post("/conversations/{conversation_id}/read", status_code=204)
async def mark_read(conversation_id: int, request: Request, user: CurrentUser, db: DB) -> Response:
    """The agent has seen the conversation: unread to zero, and blue ticks for the customer."""

    def write() -> CourtesyTarget | None:
        with db.write() as session:
            do_mark_conversation_read(session, user, conversation_id)
            return _target(request, session, conversation_id)

    target = await asyncio.to_thread(write)
    if target is not None:
        _in_background(request, target, typing=False)
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/typing", status_code=204)
async def typing(conversation_id: int, request: Request, user: CurrentUser, db: DB) -> Response:
    """The agent is writing: show "typing…" to the customer (throttled per conversation)."""
    last_sent: dict[int, float] = services(request).typing_sent
    now = time.monotonic()
    if now - last_sent.get(conversation_id, 0.0) < TYPING_EVERY_SECONDS:
        return Response(status_code=204)

    def read() -> CourtesyTarget | None:
        with db.read() as session:
            conversation = visible_conversation(session, user, conversation_id)
            if conversation.status == "closed":
                return None
            return _target(request, session, conversation_id)

    target = await asyncio.to_thread(read)
    if target is not None:
        last_sent[conversation_id] = now
        _in_background(request, target, typing=True)
    return Response(status_code=204)
