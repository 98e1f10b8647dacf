"""Files of messages: registering inbound media, recording what the fetcher got, accepting an
agent's file, and the retention sweep. Each change emits ``message.updated`` with the fresh
message snapshot, so the console swaps a placeholder for the file (or says why not) live.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.actions.channels import channel_token
from cdmx.actions.events import emit_message, wake
from cdmx.actions.replies import do_send_message
from cdmx.db.tables import Channel, Conversation, Media, Message, User
from cdmx.domain.errors import Invalid
from cdmx.domain.events import MESSAGE_UPDATED
from cdmx.domain.sealing import Sealer, SealError
from cdmx.storage.stored import StoredFile
from cdmx.whatsapp.content import MEDIA_TYPES, message_content
from cdmx.whatsapp.outgoing import CAPTION_LIMIT, Outgoing
from cdmx.whatsapp.payload import summarize

# A download of up to 100 MB must finish inside its lease; a dead fetcher's rows come back.
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 12  # backoff below: about 2.5 hours of retries, well inside Meta's 7 days
MAX_BACKOFF_SECONDS = 3600.0
MEDIA_KEPT_BY_META = timedelta(days=7)
EXPIRED_TEXT = "WhatsApp no longer has this file (it keeps customers' media for 7 days)."


@dataclass(frozen=True)
class FetchJob:
    """A claimed inbound media row: what to download, for which number."""

    media_id: int
    message_id: int
    meta_media_id: str
    kind: str  # the message type: image, video, audio, document, sticker
    mime_type: str | None
    sha256: str | None  # as the webhook gave it (base64 or hex)
    animated: bool
    phone_number_id: str
    provider: str
    attempts: int
    received_at: datetime
    token: str | None = None  # the number's own token (decrypted), None for META_ACCESS_TOKEN


def do_register_inbound_media(session: Session, message: Message) -> Media | None:
    """Queue the file of an inbound media message for the fetcher (same transaction)."""
    if message.type not in MEDIA_TYPES:
        return None
    existing = session.scalar(select(Media).where(Media.message_id == message.id))
    if existing is not None:
        return existing
    payload = message.payload if isinstance(message.payload, dict) else {}
    content = message_content(message.type, payload)
    now = datetime.now(UTC)
    body = payload.get(message.type)
    sha = body.get("sha256") if isinstance(body, dict) else None
    media = Media(
        message_id=message.id, direction="inbound", status="pending",
        meta_media_id=content["media_id"], mime_type=content["mime_type"],
        sha256=sha if isinstance(sha, str) else None, filename=content["filename"],
        attempts=0, next_attempt_at=now, created_at=now,
    )  # fmt: skip
    if not content["media_id"]:
        media.status = "failed"
        media.error = "The message arrived without a media id."
    session.add(media)
    session.flush()
    wake(session, "media")
    return media


def claim_media(
    session: Session, now: datetime, limit: int = 8, *, sealer: Sealer | None = None
) -> list[FetchJob]:
    """Lease pending inbound media rows that are due, each with its number's token."""
    query = (
        select(Media, Message, Channel)
        .join(Message, Message.id == Media.message_id)
        .join(Channel, Channel.id == Message.channel_id)
        .where(
            Media.status == "pending",
            Media.direction == "inbound",
            Media.next_attempt_at <= now,
            (Media.locked_until.is_(None)) | (Media.locked_until <= now),
        )
        .order_by(Media.next_attempt_at, Media.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Media, skip_locked=True)
    jobs = []
    for media, message, channel in session.execute(query):
        media.locked_until = now + LEASE
        media.attempts += 1
        payload = message.payload if isinstance(message.payload, dict) else {}
        content = message_content(message.type, payload)
        try:
            token = channel_token(session, channel, sealer)
        except SealError:
            token = None  # META_ACCESS_TOKEN may still do; the number shows what is wrong
        jobs.append(
            FetchJob(
                media_id=media.id,
                message_id=message.id,
                meta_media_id=media.meta_media_id or "",
                kind=message.type,
                mime_type=media.mime_type,
                sha256=media.sha256,
                animated=content["animated"],
                phone_number_id=channel.phone_number_id,
                provider=channel.provider,
                attempts=media.attempts,
                received_at=message.sent_at or message.created_at,
                token=token,
            )  # fmt: skip
        )
    return jobs


def do_record_media_stored(session: Session, media_id: int, stored: StoredFile) -> None:
    """The file is in the store: the message shows it."""
    media = session.get(Media, media_id)
    if media is None:
        return
    media.status = "stored"
    media.storage_key = stored.key
    media.thumbnail_key = stored.thumbnail_key
    media.mime_type = stored.mime_type
    media.size = stored.size
    media.sha256 = stored.sha256
    media.width, media.height = stored.width, stored.height
    if stored.filename:
        media.filename = stored.filename
    media.error = None
    media.locked_until = None
    media.stored_at = datetime.now(UTC)
    _emit_updated(session, media)


def do_record_media_failure(session: Session, media_id: int, error: str, *, outcome: str) -> str:
    """A fetch failed: ``outcome`` "retry" (backoff; "failed" once out of attempts),
    "failed" or "expired". Returns what was recorded."""
    media = session.get(Media, media_id)
    if media is None:
        return "failed"
    now = datetime.now(UTC)
    media.locked_until = None
    media.error = error[:2000]
    if outcome == "retry" and media.attempts < MAX_ATTEMPTS:
        media.next_attempt_at = now + timedelta(seconds=backoff_seconds(media.attempts))
        return "retry"
    media.status = "expired" if outcome == "expired" else "failed"
    if media.status == "expired":
        media.error = EXPIRED_TEXT
    _emit_updated(session, media)
    return media.status


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: about 2 s, 4 s, 8 s, … up to an hour."""
    ceiling = min(MAX_BACKOFF_SECONDS, 2.0 * 2 ** max(0, attempts - 1))
    return random.uniform(ceiling / 2, ceiling)


def is_gone_for_good(received_at: datetime, now: datetime) -> bool:
    """Whether Meta's 7 days for this message's media have passed."""
    return now - received_at >= MEDIA_KEPT_BY_META


def do_send_media(
    session: Session,
    user: User,
    conversation_id: int,
    stored: StoredFile,
    kind: str,
    *,
    caption: str | None = None,
    voice: bool = False,
    local_id: str | None = None,
    reply_to_id: int | None = None,
) -> Message:
    """Accept an agent's file: the message (queued, sent by media id) and its stored Media."""
    caption = (caption or "").strip() or None
    if caption and kind in ("audio", "sticker"):
        raise Invalid("caption_not_allowed", f"WhatsApp does not allow a caption on {kind}.")
    if caption and len(caption) > CAPTION_LIMIT:
        raise Invalid(
            "caption_too_long", f"caption: at most {CAPTION_LIMIT} characters ({len(caption)})."
        )
    obj: dict[str, Any] = {"id": None}  # the Graph media id, uploaded at send time
    if caption:
        obj["caption"] = caption
    if kind == "document" and stored.filename:
        obj["filename"] = stored.filename
    summary = summarize(kind, {kind: {**obj, "voice": voice}}, caption, ())
    outgoing = Outgoing(kind, {kind: obj}, caption, summary)
    attached: list[Message] = []

    def attach(message: Message) -> None:
        # Before message.created is emitted: the event carries the file from the start.
        _add_stored_media(session, message, stored)
        attached.append(message)

    message = do_send_message(
        session, user, conversation_id, outgoing, local_id=local_id, reply_to_id=reply_to_id,
        attach=attach,
    )  # fmt: skip
    if not attached:  # a retried local_id: the message was accepted before
        if session.scalar(select(Media.id).where(Media.message_id == message.id)) is not None:
            raise DuplicateUpload(message)
        _add_stored_media(session, message, stored)
    return message


def _add_stored_media(session: Session, message: Message, stored: StoredFile) -> None:
    now = datetime.now(UTC)
    media = Media(
        message_id=message.id, direction="outbound", status="stored",
        mime_type=stored.mime_type, size=stored.size, sha256=stored.sha256,
        filename=stored.filename, storage_key=stored.key, thumbnail_key=stored.thumbnail_key,
        width=stored.width, height=stored.height, attempts=0, created_at=now, stored_at=now,
    )  # fmt: skip
    session.add(media)
    session.flush()


class DuplicateUpload(Exception):
    """The client retried an upload that was already accepted (same ``local_id``)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.id)
        self.message_id = message.id


def do_record_uploaded_media_id(session: Session, message_id: int, meta_media_id: str) -> None:
    """Keep the Graph media id of an outbound file, so a retried send does not upload again."""
    media = session.scalar(select(Media).where(Media.message_id == message_id))
    if media is not None:
        media.meta_media_id = meta_media_id


def expired_media(session: Session, cutoff: datetime, limit: int = 200) -> list[Media]:
    """Media rows older than ``cutoff`` that still hold (or wait for) a file."""
    return list(
        session.scalars(
            select(Media)
            .where(Media.created_at < cutoff, Media.status.in_(("stored", "pending", "failed")))
            .order_by(Media.id)
            .limit(limit)
        )
    )


def do_mark_media_deleted(session: Session, media_ids: list[int], days: int) -> int:
    """The retention sweep removed these files: the thread says so."""
    count = 0
    for media in session.scalars(select(Media).where(Media.id.in_(media_ids))):
        media.status = "deleted"
        media.error = f"Deleted after {days} days, as this installation's retention requires."
        media.storage_key = media.thumbnail_key = None
        media.locked_until = None
        _emit_updated(session, media)
        count += 1
    return count


def _emit_updated(session: Session, media: Media) -> None:
    session.flush()
    message = session.get(Message, media.message_id)
    conversation = session.get(Conversation, message.conversation_id) if message else None
    if message is not None and conversation is not None:
        emit_message(session, conversation, message, MESSAGE_UPDATED)
