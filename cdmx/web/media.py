"""Files over HTTP: an agent's upload (``POST /api/v1/conversations/{id}/media``) and the
signed links of the local media store (``GET /media/{key}``).

The upload is parsed by Starlette into a temporary file that rolls to disk past 1 MB, so a
100 MB document is never held in memory; a body over WhatsApp's limit for the file's type is
refused while it streams (``cdmx.web.limits``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.datastructures import UploadFile

from cdmx.actions.media import DuplicateUpload, do_send_media
from cdmx.db.tables import Conversation, Media, Message
from cdmx.domain.errors import Invalid
from cdmx.queries.canned import usable_in
from cdmx.queries.conversations import can_read, visible_conversation
from cdmx.queries.media import media_of, message_media, thumbnail_type
from cdmx.queries.messages import message_snapshot
from cdmx.storage.base import MediaStore
from cdmx.storage.filetype import MediaRefused, served_as
from cdmx.storage.local import LocalStore
from cdmx.storage.stored import StoredFile
from cdmx.storage.upload import prepare_upload
from cdmx.web.api.deps import DB, CurrentUser
from cdmx.web.errors import error_response
from cdmx.web.uploads import discard_keys, media_store

router = APIRouter(tags=["media"])


@router.post("/api/v1/conversations/{conversation_id}/media", status_code=202)
async def upload_media(
    conversation_id: int, request: Request, user: CurrentUser, db: DB
) -> JSONResponse:
    """Send a file: multipart ``file`` (or ``canned_id``: a quick reply's file), optional
    ``caption``, ``local_id``, ``reply_to_id``, ``voice`` ("true" for a voice note recorded
    in the browser). 202 with the message."""

    def visible() -> None:
        with db.read() as session:
            visible_conversation(session, user, conversation_id)

    await asyncio.to_thread(visible)
    form = await request.form(max_files=1, max_fields=8)
    store = media_store(request)
    try:
        upload = form.get("file")
        fields = {
            k: _field(form.get(k))
            for k in ("caption", "local_id", "voice", "reply_to_id", "canned_id")
        }
        canned_id = fields["canned_id"]
        if canned_id is not None and not canned_id.isdigit():
            raise Invalid("invalid_canned_id", "canned_id: a quick reply's id.")
        if not isinstance(upload, UploadFile) and canned_id is None:
            raise Invalid("file_required", "file: attach one file (multipart field 'file').")
        reply_to = fields["reply_to_id"]
        if reply_to is not None and not reply_to.isdigit():
            raise Invalid("invalid_reply_to", "reply_to_id: a message id.")
        voice = (fields["voice"] or "").lower() in ("true", "1", "yes")

        def check() -> dict[str, Any] | None:
            with db.read() as session:
                conversation = visible_conversation(session, user, conversation_id)
                if canned_id is None:
                    return None
                attachment = usable_in(session, user, int(canned_id), conversation).attachment
                if not attachment:
                    raise Invalid("canned_has_no_file", "This quick reply carries no file.")
                return attachment

        canned_file = await asyncio.to_thread(check)
        try:
            if canned_file is not None:
                # A copy of its own for each message, so deleting one never takes another's.
                stored, kind = await asyncio.to_thread(_copy_canned, store, canned_file)
            else:
                assert isinstance(upload, UploadFile)
                stored, kind = await asyncio.to_thread(
                    prepare_upload, store, upload.file, upload.filename, voice=voice
                )
        except MediaRefused as refused:
            return error_response(refused.status_code, refused.code, refused.message)
    finally:
        await form.close()

    def record() -> dict[str, Any]:
        try:
            with db.write() as session:
                message = do_send_media(
                    session, user, conversation_id, stored, kind, caption=fields["caption"],
                    voice=voice, local_id=fields["local_id"],
                    reply_to_id=int(reply_to) if reply_to else None,
                )  # fmt: skip
                return snapshot(session, message, store)
        except DuplicateUpload as duplicate:
            _discard(store, stored)
            with db.read() as session:
                again = session.get(Message, duplicate.message_id)
                assert again is not None
                return snapshot(session, again, store)
        except BaseException:
            _discard(store, stored)
            raise

    return JSONResponse(await asyncio.to_thread(record), status_code=202)


def _copy_canned(store: MediaStore, attachment: dict[str, Any]) -> tuple[StoredFile, str]:
    try:
        source = store.open(attachment["storage_key"])
    except FileNotFoundError:
        raise MediaRefused(
            409, "canned_file_missing",
            "This quick reply's file is no longer in the media store; attach it again.",
        ) from None  # fmt: skip
    with source:
        return prepare_upload(store, source, attachment.get("filename"))


def snapshot(session: Any, message: Message, store: MediaStore) -> dict[str, Any]:
    """The message JSON with its media (whether or not message_json knows media yet)."""
    data = message_snapshot(session, message)
    data["media"] = message_media(session, message, store.url)
    return data


def _discard(store: MediaStore, stored: StoredFile) -> None:
    discard_keys(store, stored.keys)


def _field(value: Any) -> str | None:
    if value is None or isinstance(value, UploadFile):
        return None
    text = str(value).replace("\0", "").strip()  # no text column can keep a NUL
    return text or None


@router.get("/media/{key:path}", include_in_schema=False)
def get_media(key: str, request: Request, user: CurrentUser, db: DB) -> FileResponse:
    """A file of the local store, for a signed, unexpired link of a visible conversation."""
    store = media_store(request)
    params = request.query_params
    owner = params.get("m", "")
    if not isinstance(store, LocalStore) or not owner.isdigit():
        raise HTTPException(404, "No such file.")
    if not store.verify(key, int(owner), params.get("exp"), params.get("sig")):
        raise HTTPException(403, "This link is invalid or has expired; reload the conversation.")
    with db.read() as session:
        message = session.get(Message, int(owner))
        conversation = session.get(Conversation, message.conversation_id) if message else None
        media: Media | None = media_of(session, int(owner))
        allowed = conversation is not None and can_read(session, user, conversation)
    if conversation is None or media is None or key not in (media.storage_key, media.thumbnail_key):
        raise HTTPException(404, "No such file.")
    if not allowed:
        raise HTTPException(403, "This conversation belongs to another agent.")
    path = store.path(key)
    if not path.exists():
        raise HTTPException(404, "The file is no longer stored.")
    if key == media.thumbnail_key:
        content_type, inline = thumbnail_type(key), True
    else:
        content_type, inline = served_as(media.mime_type)
    headers = {
        "Cache-Control": "private, max-age=3600",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }
    return FileResponse(
        path, media_type=content_type, headers=headers,
        filename=None if inline else media.filename or path.name,
        content_disposition_type="inline" if inline else "attachment",
    )  # fmt: skip
