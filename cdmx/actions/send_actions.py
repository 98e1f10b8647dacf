""" "Send to…" actions: admins define them (a name, an endpoint, a signing secret); an agent
pushes a conversation to one — its contact, messages, labels and attributes, signed as the
webhooks are — and the system's answer (``{"reference", "url"}``) becomes an internal note.

The push itself is HTTP between two short transactions (``prepare_push`` reads and
``do_record_push`` writes), so no database transaction waits on another system; a failure is
recorded with the system's answer and can be retried with the same request id.
"""

from __future__ import annotations

import json
import secrets as token_source
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cdmx.actions.audit import changed_values, record_audit
from cdmx.actions.notes import do_add_note
from cdmx.actions.webhooks import body_bytes, clean_url
from cdmx.db.tables import Contact, Conversation, SendAction, SendActionRun, User
from cdmx.domain.errors import Conflict, Forbidden, Invalid, NotFound
from cdmx.domain.sealing import Sealer
from cdmx.domain.states import Role
from cdmx.domain.webhooks import SEND_TO_EVENT, envelope, new_secret
from cdmx.outgoing import Reply
from cdmx.queries.contacts import profile_json
from cdmx.queries.conversations import can_read, conversation_snapshot
from cdmx.queries.messages import list_messages
from cdmx.queries.serialize import iso

MAX_NAME = 60
MESSAGES_SENT = 200  # the newest ones; a system wanting more reads the API
MAX_REFERENCE = 200


def _admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise Forbidden("admins_only", "Only an admin manages the send-to actions.")


def _clean_name(session: Session, name: str, own_id: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= MAX_NAME:
        raise Invalid("invalid_name", f"name: 1 to {MAX_NAME} characters.")
    taken = session.scalar(select(SendAction.id).where(SendAction.name == name))
    if taken is not None and taken != own_id:
        raise Conflict("action_exists", f"There is already an action named {name!r}.")
    return name


def _load(session: Session, action_id: int) -> SendAction:
    found = session.get(SendAction, action_id)
    if found is None:
        raise NotFound("action_not_found", f"No send-to action {action_id}.")
    return found


def _audited(action: SendAction) -> dict[str, Any]:
    return {"name": action.name, "url": action.url, "active": action.active}


def do_create_action(
    session: Session, user: User, sealer: Sealer, *, name: str, url: str
) -> tuple[SendAction, str]:
    """A new action and its signing secret (returned once)."""
    _admin(user)
    now = datetime.now(UTC)
    secret = new_secret()
    action = SendAction(
        name=_clean_name(session, name), url=clean_url(url), secret_sealed=sealer.seal(secret),
        active=True, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(action)
    session.flush()
    record_audit(
        session, "send_action.created", object_type="send_action", object_id=action.id,
        after=_audited(action),
    )  # fmt: skip
    return action, secret


def do_update_action(
    session: Session, user: User, action_id: int, changes: dict[str, Any]
) -> SendAction:
    _admin(user)
    action = _load(session, action_id)
    before = _audited(action)
    if "name" in changes:
        action.name = _clean_name(session, changes["name"], action.id)
    if "url" in changes:
        action.url = clean_url(changes["url"])
    if "active" in changes:
        action.active = bool(changes["active"])
    action.updated_at = datetime.now(UTC)
    session.flush()
    old, new = changed_values(before, _audited(action))
    if new:
        record_audit(
            session, "send_action.changed", object_type="send_action", object_id=action.id,
            before=old, after=new,
        )  # fmt: skip
    return action


def do_delete_action(session: Session, user: User, action_id: int) -> None:
    """The action and its push log are gone; the notes its answers left stay."""
    _admin(user)
    action = _load(session, action_id)
    record_audit(
        session, "send_action.deleted", object_type="send_action", object_id=action.id,
        before=_audited(action),
    )  # fmt: skip
    session.execute(delete(SendActionRun).where(SendActionRun.action_id == action.id))
    session.delete(action)
    session.flush()


def do_rotate_action_secret(
    session: Session, user: User, sealer: Sealer, action_id: int
) -> tuple[SendAction, str]:
    """A new secret, at once (a push is answered while the admin watches: no overlap)."""
    _admin(user)
    action = _load(session, action_id)
    secret = new_secret()
    action.secret_sealed = sealer.seal(secret)
    action.updated_at = datetime.now(UTC)
    session.flush()
    record_audit(
        session, "send_action.secret_rotated", object_type="send_action", object_id=action.id
    )
    return action, secret


# --- pushing a conversation ---------------------------------------------------------------


@dataclass(frozen=True)
class Push:
    """A conversation ready to go to a system."""

    action_id: int
    action_name: str
    conversation_id: int
    url: str
    secret: str
    request_id: str
    body: bytes


def prepare_push(
    session: Session, user: User, sealer: Sealer, conversation_id: int, action_id: int,
    *, retry_of: int | None = None,
) -> Push:  # fmt: skip
    """Read what goes: the conversation (as the API shows it), its customer's profile, its
    newest messages, who sent it. Anyone who may read the conversation may push it."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("conversation_not_found", f"No conversation {conversation_id}.")
    if not can_read(session, user, conversation):
        raise Forbidden("not_your_conversation", "This conversation belongs to another agent.")
    action = _load(session, action_id)
    if not action.active:
        raise Invalid("action_inactive", f"{action.name} is turned off.")
    request_id = f"act_{token_source.token_hex(12)}"
    if retry_of is not None:
        earlier = session.get(SendActionRun, retry_of)
        pair = (earlier.action_id, earlier.conversation_id) if earlier else None
        if earlier is None or pair != (action.id, conversation.id):
            raise NotFound("run_not_found", f"No earlier push {retry_of} of this conversation.")
        request_id = earlier.request_id
    contact = session.get(Contact, conversation.contact_id)
    assert contact is not None
    data = {
        "action": {"id": action.id, "name": action.name},
        "conversation": conversation_snapshot(session, conversation.id),
        "contact": profile_json(session, contact),
        "messages": list_messages(session, conversation.id, limit=MESSAGES_SENT),
        "sent_by": {"id": user.id, "name": user.name},
    }
    payload = envelope(SEND_TO_EVENT, request_id, datetime.now(UTC), data)
    return Push(
        action_id=action.id, action_name=action.name, conversation_id=conversation.id,
        url=action.url, secret=sealer.unseal(action.secret_sealed), request_id=request_id,
        body=body_bytes(payload),
    )  # fmt: skip


def _reference(body: bytes) -> tuple[str | None, str | None]:
    """The system's ``{"reference", "url"}``, when it answered with them."""
    try:
        answer = json.loads(body)
    except ValueError:
        return None, None
    if not isinstance(answer, dict):
        return None, None
    reference = answer.get("reference")
    url = answer.get("url")
    shown = str(reference).strip()[:MAX_REFERENCE] if isinstance(reference, str | int) else None
    link = None
    if isinstance(url, str):
        try:
            link = clean_url(url)
        except Invalid:
            link = None
    return shown or None, link


def do_record_push(session: Session, user: User, push: Push, answer: Reply) -> SendActionRun:
    """Keep what the system answered; on success its reference becomes a note."""
    excerpt = answer.body[:500].decode("utf-8", errors="replace") if answer.body else None
    reference, link = _reference(answer.body) if answer.ok else (None, None)
    run = SendActionRun(
        action_id=push.action_id, conversation_id=push.conversation_id, user_id=user.id,
        request_id=push.request_id, status="sent" if answer.ok else "failed",
        status_code=answer.status_code, duration_ms=answer.duration_ms,
        response_excerpt=excerpt, error=answer.error, reference=reference, reference_url=link,
        created_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(run)
    session.flush()
    if answer.ok:
        text = f"Enviado a {push.action_name}"
        if reference:
            text += f": {reference}"
        if link:
            text += f" — {link}"
        run.note_id = do_add_note(session, user, push.conversation_id, text).id
    detail = {"action_id": push.action_id, "status": run.status, "status_code": answer.status_code}
    record_audit(
        session, "conversation.sent_to", object_type="conversation",
        object_id=push.conversation_id, detail=detail,
    )  # fmt: skip
    session.flush()
    return run


def run_json(run: SendActionRun, action_name: str) -> dict[str, Any]:
    return {
        "id": run.id, "action_id": run.action_id, "action_name": action_name,
        "conversation_id": run.conversation_id, "request_id": run.request_id,
        "status": run.status, "status_code": run.status_code, "duration_ms": run.duration_ms,
        "response": run.response_excerpt, "error": run.error, "reference": run.reference,
        "url": run.reference_url, "note_id": run.note_id, "created_at": iso(run.created_at),
    }  # fmt: skip


def action_json(action: SendAction, *, admin: bool) -> dict[str, Any]:
    """An action as the console lists it: agents see its name; admins its address too."""
    shown: dict[str, Any] = {"id": action.id, "name": action.name, "active": action.active}
    if admin:
        shown["url"] = action.url
        shown["created_at"] = iso(action.created_at)
        shown["updated_at"] = iso(action.updated_at)
    return shown
