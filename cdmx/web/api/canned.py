"""Quick replies (``/api/v1/canned-responses``): list the ones the caller may use (filled
for a conversation), add, change, delete."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from cdmx.actions.canned import (
    MAX_TEXT,
    do_create_canned,
    do_delete_canned,
    do_remove_canned_attachment,
    do_set_canned_attachment,
    do_update_canned,
)
from cdmx.domain.errors import Invalid
from cdmx.queries.canned import canned_json, usable_canned
from cdmx.queries.conversations import visible_conversation
from cdmx.storage.filetype import MediaRefused
from cdmx.storage.upload import prepare_upload
from cdmx.web.api.deps import DB, CurrentUser
from cdmx.web.errors import error_response
from cdmx.web.services import services
from cdmx.web.uploads import discard_keys, media_store

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
def delete_canned(canned_id: int, request: Request, user: CurrentUser, db: DB) -> Response:
    with db.write() as session:
        keys = do_delete_canned(session, user, canned_id)
    discard_keys(media_store(request), keys)
    return Response(status_code=204)


@router.put("/canned-responses/{canned_id}/attachment")
async def set_attachment(
    canned_id: int, request: Request, user: CurrentUser, db: DB
) -> JSONResponse:
    """Multipart ``file``: the file the quick reply sends with its text (checked against
    WhatsApp's limits like any upload). 200 with the quick reply."""
    form = await request.form(max_files=1, max_fields=2)
    store = media_store(request)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Invalid("file_required", "file: attach one file (multipart field 'file').")
        try:
            stored, kind = await asyncio.to_thread(
                prepare_upload, store, upload.file, upload.filename
            )
        except MediaRefused as refused:
            return error_response(refused.status_code, refused.code, refused.message)
    finally:
        await form.close()

    def record() -> dict[str, Any]:
        try:
            with db.write() as session:
                item, replaced = do_set_canned_attachment(session, user, canned_id, stored, kind)
                shown = canned_json(item)
        except BaseException:
            discard_keys(store, stored.keys)
            raise
        discard_keys(store, replaced)
        return shown

    return JSONResponse(await asyncio.to_thread(record))


@router.delete("/canned-responses/{canned_id}/attachment")
def remove_attachment(
    canned_id: int, request: Request, user: CurrentUser, db: DB
) -> dict[str, Any]:
    """The quick reply without its file. 200 with the quick reply."""
    with db.write() as session:
        item, removed = do_remove_canned_attachment(session, user, canned_id)
        shown = canned_json(item)
    discard_keys(media_store(request), removed)
    return shown
