"""Quick replies ("Respuestas rápidas"): each agent's own, and shared ones that admins and
supervisors manage, for every queue or for one of theirs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.actions.audit import changed_values, record_audit
from cdmx.db.tables import CannedResponse, Queue, User
from cdmx.domain.canned import SHORTCUT
from cdmx.domain.errors import Conflict, Forbidden, Invalid, NotFound
from cdmx.domain.states import Role
from cdmx.queries.conversations import queues_of
from cdmx.storage.stored import StoredFile

MAX_TEXT = 4096


def do_create_canned(
    session: Session,
    user: User,
    *,
    shortcut: str,
    text: str,
    queue_id: int | None = None,
    personal: bool = False,
) -> CannedResponse:
    """A new quick reply: ``personal`` ones are the caller's; shared ones need an admin, or
    a supervisor for every queue or one of theirs."""
    now = datetime.now(UTC)
    item = CannedResponse(
        shortcut="", text="", queue_id=None, owner_id=user.id if personal else None,
        created_at=now, updated_at=now,
    )  # fmt: skip
    _apply(session, user, item, {"shortcut": shortcut, "text": text, "queue_id": queue_id})
    session.add(item)
    session.flush()
    _audit(session, user, "canned.created", item, None, _audited(item))
    return item


def do_update_canned(
    session: Session, user: User, canned_id: int, **changes: Any
) -> CannedResponse:
    """Change a quick reply's ``shortcut``, ``text`` or ``queue_id`` (its scope stays)."""
    item = _managed(session, user, canned_id)
    before = _audited(item)
    _apply(session, user, item, changes)
    item.updated_at = datetime.now(UTC)
    session.flush()
    _audit(session, user, "canned.changed", item, before, _audited(item))
    return item


def do_delete_canned(session: Session, user: User, canned_id: int) -> list[str]:
    """Delete a quick reply; returns the media-store keys of its file, to delete once the
    transaction has committed."""
    item = _managed(session, user, canned_id)
    keys = attachment_keys(item.attachment)
    _audit(session, user, "canned.deleted", item, _audited(item), None)
    session.delete(item)
    session.flush()
    return keys


def do_set_canned_attachment(
    session: Session, user: User, canned_id: int, stored: StoredFile, kind: str
) -> tuple[CannedResponse, list[str]]:
    """Give a quick reply a file from the media store (replacing its file, if it had one).
    Returns the reply and the keys of the file it replaced, to delete after commit."""
    item = _managed(session, user, canned_id)
    replaced = attachment_keys(item.attachment)
    before = _audited(item)
    item.attachment = {
        "kind": kind, "storage_key": stored.key, "thumbnail_key": stored.thumbnail_key,
        "mime_type": stored.mime_type, "size": stored.size, "sha256": stored.sha256,
        "filename": stored.filename, "width": stored.width, "height": stored.height,
    }  # fmt: skip
    item.updated_at = datetime.now(UTC)
    session.flush()
    _audit(session, user, "canned.changed", item, before, _audited(item))
    return item, replaced


def do_remove_canned_attachment(
    session: Session, user: User, canned_id: int
) -> tuple[CannedResponse, list[str]]:
    """The quick reply without its file; and the file's keys, to delete after commit."""
    item = _managed(session, user, canned_id)
    removed = attachment_keys(item.attachment)
    before = _audited(item)
    item.attachment = None
    item.updated_at = datetime.now(UTC)
    session.flush()
    _audit(session, user, "canned.changed", item, before, _audited(item))
    return item, removed


def _audited(item: CannedResponse) -> dict[str, Any]:
    """What the audit trail keeps of a quick reply (its file by name only)."""
    attachment = item.attachment or {}
    return {
        "shortcut": item.shortcut, "text": item.text, "queue_id": item.queue_id,
        "personal": item.owner_id is not None, "file": attachment.get("filename"),
    }  # fmt: skip


def _audit(
    session: Session, user: User, action: str, item: CannedResponse,
    before: dict[str, Any] | None, after: dict[str, Any] | None,
) -> None:  # fmt: skip
    if before is not None and after is not None:
        before, after = changed_values(before, after)
        if not before:
            return
    record_audit(
        session, action, object_type="canned", object_id=item.id, before=before, after=after,
        actor=user,
    )  # fmt: skip


def attachment_keys(attachment: dict[str, Any] | None) -> list[str]:
    if not attachment:
        return []
    return [k for k in (attachment.get("storage_key"), attachment.get("thumbnail_key")) if k]


def attachment_file(attachment: dict[str, Any]) -> StoredFile:
    """A quick reply's file as the media store holds it."""
    return StoredFile(
        key=attachment["storage_key"], mime_type=attachment["mime_type"],
        size=attachment["size"], sha256=attachment["sha256"],
        filename=attachment.get("filename"), thumbnail_key=attachment.get("thumbnail_key"),
        width=attachment.get("width"), height=attachment.get("height"),
    )  # fmt: skip


def may_manage(session: Session, user: User, item: CannedResponse) -> bool:
    """The owner manages a personal one; an admin any shared one; a supervisor the shared
    ones for every queue and for their queues."""
    if item.owner_id is not None:
        return item.owner_id == user.id
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.SUPERVISOR and (
        item.queue_id is None or item.queue_id in queues_of(session, user)
    )


def _managed(session: Session, user: User, canned_id: int) -> CannedResponse:
    item = session.get(CannedResponse, canned_id)
    # Someone else's personal reply does not exist for the caller.
    if item is None or item.owner_id not in (None, user.id):
        raise NotFound("canned_not_found", f"No quick reply {canned_id}.")
    if not may_manage(session, user, item):
        raise Forbidden("not_your_canned", "Only its owner, or a supervisor for shared ones.")
    return item


def _apply(session: Session, user: User, item: CannedResponse, changes: dict[str, Any]) -> None:
    if "shortcut" in changes:
        shortcut = str(changes["shortcut"] or "").strip().lstrip("/").lower()
        if not SHORTCUT.fullmatch(shortcut):
            raise Invalid("invalid_shortcut", "shortcut: 1 to 32 letters a-z, digits, '-' or '_'.")
        same_scope = select(CannedResponse.id).where(
            CannedResponse.shortcut == shortcut,
            CannedResponse.owner_id.is_(None)
            if item.owner_id is None
            else CannedResponse.owner_id == item.owner_id,
        )
        taken = session.scalar(same_scope)
        if taken is not None and taken != item.id:
            raise Conflict("shortcut_taken", f"/{shortcut} is already a quick reply here.")
        item.shortcut = shortcut
    if "text" in changes:
        text = str(changes["text"] or "").strip()
        if not text:
            raise Invalid("empty_text", "Write the reply's text.")
        if len(text) > MAX_TEXT:
            raise Invalid("text_too_long", f"A quick reply has at most {MAX_TEXT:,} characters.")
        item.text = text
    if "queue_id" in changes:
        queue_id = changes["queue_id"]
        if queue_id is not None and session.get(Queue, queue_id) is None:
            raise Invalid("unknown_queue", f"No queue {queue_id}.")
        item.queue_id = queue_id
    if item.owner_id is not None and item.queue_id is not None:
        raise Invalid("personal_has_no_queue", "A personal quick reply is for every queue.")
    if item.owner_id is None and not may_manage(session, user, item):
        raise Forbidden(
            "shared_needs_supervisor",
            "Shared quick replies are an admin's, or a supervisor's for their queues.",
        )
