"""Quick replies (``/api/v1/canned-responses``): list the ones the caller may use (filled
for a conversation), add, change, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from cdmx.actions.canned import MAX_TEXT, do_create_canned, do_delete_canned, do_update_canned
from cdmx.queries.canned import canned_json, usable_canned
from cdmx.queries.conversations import visible_conversation
from cdmx.web.api.deps import DB, CurrentUser
from cdmx.web.services import services

router = APIRouter(tags=["canned responses"])


class NewCanned(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shortcut: str = Field(max_length=40, description="1–32 of a-z 0-9 - _ (typed after '/')")
    text: str = Field(max_length=MAX_TEXT + 100, description="May hold {{contact.name}} etc.")
    queue_id: int | None = Field(None, description="Shared ones: one queue; null: every queue")
    personal: bool = Field(False, description="The caller's own (any role)")


class CannedChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shortcut: str | None = Field(None, max_length=40)
    text: str | None = Field(None, max_length=MAX_TEXT + 100)
    queue_id: int | None = None


@router.get("/canned-responses")
def list_canned(
    request: Request, user: CurrentUser, db: DB, conversation_id: int | None = None
) -> dict[str, Any]:
    """With ``conversation_id``: those usable in it, each with ``rendered`` (its variables
    filled for that customer and the caller)."""
    with db.read() as session:
        conversation = None
        if conversation_id is not None:
            conversation = visible_conversation(session, user, conversation_id)
        items = usable_canned(
            session, user, conversation=conversation,
            business_name=services(request).settings.business_name,
        )  # fmt: skip
        return {"canned_responses": items}


@router.post("/canned-responses", status_code=201)
def create_canned(body: NewCanned, user: CurrentUser, db: DB) -> dict[str, Any]:
    with db.write() as session:
        return canned_json(do_create_canned(session, user, **body.model_dump()))


@router.patch("/canned-responses/{canned_id}")
def update_canned(canned_id: int, body: CannedChanges, user: CurrentUser, db: DB) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    for required in ("shortcut", "text"):
        if required in changes and changes[required] is None:
            changes.pop(required)
    with db.write() as session:
        return canned_json(do_update_canned(session, user, canned_id, **changes))


@router.delete("/canned-responses/{canned_id}", status_code=204)
def delete_canned(canned_id: int, user: CurrentUser, db: DB) -> Response:
    with db.write() as session:
        do_delete_canned(session, user, canned_id)
    return Response(status_code=204)
