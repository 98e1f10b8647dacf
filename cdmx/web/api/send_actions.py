""" "Send to…" actions (``/api/v1/send-actions``): admins define them; anyone who may read a
conversation pushes it to one (``POST /api/v1/conversations/{id}/send-to/{action_id}``) and
gets the system's answer back — a success leaves a note with the reference it returned."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from cdmx.actions.send_actions import (
    action_json,
    do_create_action,
    do_delete_action,
    do_record_push,
    do_rotate_action_secret,
    do_update_action,
    prepare_push,
    run_json,
)
from cdmx.db.tables import SendAction
from cdmx.domain.states import Role
from cdmx.outgoing import signed_post
from cdmx.web.api.deps import DB, AdminUser, CurrentUser
from cdmx.web.services import services

router = APIRouter(tags=["send-to actions"])

ActionId = Path(ge=1, le=2**63 - 1)
ConversationId = Path(ge=1, le=2**63 - 1)


class NewAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200, description='shown as "Enviar a <name>"')
    url: str = Field(max_length=2000)


class ActionChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    url: str | None = Field(None, max_length=2000)
    active: bool | None = None


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retry_of: int | None = Field(
        None, ge=1, le=2**63 - 1, description="an earlier failed push: the same request id"
    )


@router.get("/send-actions")
def list_actions(user: CurrentUser, db: DB) -> dict[str, Any]:
    """Every signed-in user: the actions (agents see id, name, active; admins the address)."""
    admin = user.role == Role.ADMIN
    with db.read() as session:
        found = session.scalars(select(SendAction).order_by(SendAction.name))
        return {"actions": [action_json(a, admin=admin) for a in found]}


@router.post("/send-actions", status_code=201)
def create_action(body: NewAction, user: AdminUser, db: DB, request: Request) -> dict[str, Any]:
    """The action with its ``secret`` (``whsec_…``), shown this once."""
    with db.write() as session:
        action, secret = do_create_action(
            session, user, services(request).sealer, name=body.name, url=body.url
        )
        return {**action_json(action, admin=True), "secret": secret}


@router.patch("/send-actions/{action_id}")
def update_action(
    body: ActionChanges, user: AdminUser, db: DB, action_id: int = ActionId
) -> dict[str, Any]:
    with db.write() as session:
        changes = body.model_dump(exclude_unset=True)
        return action_json(do_update_action(session, user, action_id, changes), admin=True)


@router.delete("/send-actions/{action_id}", status_code=204)
def delete_action(user: AdminUser, db: DB, action_id: int = ActionId) -> Response:
    with db.write() as session:
        do_delete_action(session, user, action_id)
    return Response(status_code=204)


@router.post("/send-actions/{action_id}/rotate-secret")
def rotate_action_secret(
    user: AdminUser, db: DB, request: Request, action_id: int = ActionId
) -> dict[str, Any]:
    with db.write() as session:
        action, secret = do_rotate_action_secret(session, user, services(request).sealer, action_id)
        return {**action_json(action, admin=True), "secret": secret}


@router.post("/conversations/{conversation_id}/send-to/{action_id}")
async def push_conversation(
    user: CurrentUser,
    db: DB,
    request: Request,
    body: PushRequest | None = None,
    conversation_id: int = ConversationId,
    action_id: int = ActionId,
) -> dict[str, Any]:
    """POSTs the conversation to the action's system (signed; 10 s at most) and answers
    ``{"run": {"status": "sent" | "failed", "status_code", "response", "error",
    "reference", "url", "note_id", …}}`` — 200 either way: a failure is the system's, shown
    with its answer, and ``retry_of`` the run's id sends it again with the same request id."""
    sealer = services(request).sealer
    retry_of = body.retry_of if body else None

    def prepare() -> Any:
        with db.read() as session:
            return prepare_push(
                session, user, sealer, conversation_id, action_id, retry_of=retry_of
            )

    push = await run_in_threadpool(prepare)
    async with httpx.AsyncClient(
        transport=services(request).outgoing_transport, follow_redirects=False
    ) as client:
        reply = await signed_post(
            client, push.url, secrets=(push.secret,), message_id=push.request_id,
            timestamp=int(datetime.now(UTC).timestamp()), body=push.body,
        )  # fmt: skip

    def record() -> dict[str, Any]:
        with db.write() as session:
            return run_json(do_record_push(session, user, push, reply), push.action_name)

    return {"run": await run_in_threadpool(record)}
