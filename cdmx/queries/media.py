"""The ``media`` part of a message's JSON, and loading a page's media rows in one query."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.db.tables import Media
from cdmx.storage.filetype import served_as
from cdmx.whatsapp.content import MEDIA_TYPES

# store.url: (key, *, content_type=, filename=, owner=) → a short-lived link.
UrlSigner = Callable[..., str]
# What the console shows for a file; "expired": WhatsApp no longer has it (7-day limit).
MEDIA_STATUSES = ("pending", "stored", "failed", "expired", "deleted")


def media_json(
    media: Media | None, url_signer: UrlSigner | None, *, voice: bool | None = None
) -> dict[str, Any] | None:
    """A message's file as the API shows it; links only once stored (and short-lived)."""
    if media is None:
        return None
    url = thumbnail_url = None
    if media.status == "stored" and url_signer is not None and media.storage_key:
        url = url_signer(
            media.storage_key, content_type=media.mime_type,
            filename=media.filename if not served_as(media.mime_type)[1] else None,
            owner=media.message_id,
        )  # fmt: skip
        if media.thumbnail_key:
            thumbnail_url = url_signer(
                media.thumbnail_key, content_type=thumbnail_type(media.thumbnail_key),
                owner=media.message_id,
            )  # fmt: skip
    mime = media.mime_type or ""
    return {
        "status": media.status,
        "mime_type": media.mime_type,
        "size": media.size,
        "filename": media.filename,
        "url": url,
        "thumbnail_url": thumbnail_url,
        "width": media.width,
        "height": media.height,
        "error": media.error if media.status in ("failed", "expired", "deleted") else None,
        "voice": voice if voice is not None else mime.startswith("audio/ogg"),
    }


def thumbnail_type(key: str) -> str:
    """A thumbnail's type: we made it, as PNG (keeping transparency) or JPEG."""
    return "image/png" if key.endswith(".png") else "image/jpeg"


def media_by_message(session: Session, message_ids: Iterable[int]) -> dict[int, Media]:
    """The media rows of these messages, keyed by message id (one query)."""
    ids = list(message_ids)
    if not ids:
        return {}
    rows = session.scalars(select(Media).where(Media.message_id.in_(ids)))
    return {row.message_id: row for row in rows}


def media_of(session: Session, message_id: int) -> Media | None:
    """One message's media row, or None."""
    return session.scalar(select(Media).where(Media.message_id == message_id))


def media_urls(session: Session) -> UrlSigner | None:
    """The link signer the app put in the session's ``info`` (``"media_urls"``), if any."""
    signer = session.info.get("media_urls")
    return signer if callable(signer) else None


def message_media(
    session: Session, message: Any, signer: UrlSigner | None = None
) -> dict[str, Any] | None:
    """The ``media`` JSON of one message (None when its type carries no file)."""
    if message.type not in MEDIA_TYPES or message.id is None:
        return None
    signer = signer or media_urls(session)
    return media_json(media_of(session, message.id), signer, voice=_voice(message))


def page_media(session: Session, messages: Iterable[Any]) -> dict[int, dict[str, Any] | None]:
    """The ``media`` JSON of a page of messages, keyed by message id, in one query."""
    carrying = [m for m in messages if m.type in MEDIA_TYPES]
    rows = media_by_message(session, (m.id for m in carrying))
    signer = media_urls(session)
    return {m.id: media_json(rows.get(m.id), signer, voice=_voice(m)) for m in carrying}


def _voice(message: Any) -> bool | None:
    if message.type != "audio":
        return False
    payload = message.payload if isinstance(message.payload, dict) else {}
    audio = payload.get("audio")
    if message.direction == "inbound" and isinstance(audio, dict):
        return audio.get("voice") is True
    return None  # outbound: an OGG/Opus file is sent as a voice note
