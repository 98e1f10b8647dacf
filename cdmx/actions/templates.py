"""Keeping the business account's templates, and starting a conversation with one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.actions.assignment import emit_conversation, find_or_open_conversation
from cdmx.actions.audit import record_audit
from cdmx.actions.contacts import do_upsert_contact
from cdmx.actions.replies import do_send_message
from cdmx.actions.reporting import report
from cdmx.db.tables import Channel, Conversation, Message, Template, User
from cdmx.domain.errors import Conflict, Invalid, NotFound
from cdmx.domain.events import CONVERSATION_ASSIGNED, CONVERSATION_CREATED
from cdmx.domain.identity import canonical_wa_id
from cdmx.domain.reporting import ASSIGNED, OPENED
from cdmx.domain.states import ConversationStatus
from cdmx.whatsapp.outgoing import Outgoing
from cdmx.whatsapp.payload import Sender
from cdmx.whatsapp.templates import TemplateSpec, build_template, infer_parameter_format

DELETED = "DELETED"
SENDABLE = "APPROVED"


@dataclass(frozen=True)
class SyncResult:
    synced: int  # templates Meta listed, now stored as Meta has them
    removed: int  # stored templates Meta no longer lists, now marked DELETED


def do_sync_templates(
    session: Session, waba_id: str, templates: list[dict[str, Any]]
) -> SyncResult:
    """Store the account's templates as Meta lists them; those gone become ``DELETED``."""
    now = datetime.now(UTC)
    stored = {
        (t.name, t.language): t
        for t in session.scalars(select(Template).where(Template.business_account_id == waba_id))
    }
    seen: set[tuple[str, str]] = set()
    for raw in templates:
        name, language = raw.get("name"), raw.get("language")
        if not isinstance(name, str) or not name or not isinstance(language, str) or not language:
            continue  # nothing to key it by; Meta always sends both
        key = (name, language)
        if key in seen:
            continue
        seen.add(key)
        components = raw.get("components")
        components = [c for c in components if isinstance(c, dict)] if isinstance(
            components, list
        ) else []  # fmt: skip
        row = stored.get(key)
        if row is None:
            row = Template(business_account_id=waba_id, name=name, language=language)
            session.add(row)
        row.meta_id = str(raw["id"]) if raw.get("id") is not None else row.meta_id
        row.category = str(raw.get("category") or "").upper()
        row.status = str(raw.get("status") or "").upper()
        declared = str(raw.get("parameter_format") or "").lower()
        row.parameter_format = (
            declared if declared in ("named", "positional") else infer_parameter_format(components)
        )
        row.components = components
        row.synced_at = now
    removed = 0
    for key, row in stored.items():
        if key not in seen and row.status != DELETED:
            row.status = DELETED
            row.synced_at = now
            removed += 1
    session.flush()
    # Only when a person asked for it (POST /api/v1/templates/sync): the hourly sync of the
    # workers runs outside any request, and record_audit then writes nothing.
    record_audit(
        session, "templates.synced", object_type="templates",
        detail={"business_account_id": waba_id, "synced": len(seen), "removed": removed},
    )  # fmt: skip
    return SyncResult(synced=len(seen), removed=removed)


def template_spec(row: Template) -> TemplateSpec:
    return TemplateSpec(
        name=row.name, language=row.language, parameter_format=row.parameter_format,
        components=row.components, category=row.category, status=row.status,
    )  # fmt: skip


def build_template_message(
    session: Session, template_id: int, values: Any, *, channel_id: int
) -> Outgoing:
    """The checked template message for a conversation on ``channel_id``'s number."""
    row = session.get(Template, template_id)
    channel = session.get(Channel, channel_id)
    if row is None or channel is None:
        raise NotFound("template_not_found", f"There is no template {template_id}.")
    if channel.business_account_id and row.business_account_id != channel.business_account_id:
        raise Invalid(
            "template_not_for_number",
            f"Template {row.name} belongs to another business account than this number.",
        )
    if row.status != SENDABLE:
        raise Conflict(
            "template_not_approved",
            f"Template {row.name} ({row.language}) is {row.status or 'not approved'}; "
            "only approved templates can be sent.",
        )
    return build_template(template_spec(row), values)


def do_start_conversation(
    session: Session,
    user: User,
    *,
    channel_id: int,
    wa_id: str,
    name: str | None,
    template_id: int,
    values: Any,
    local_id: str | None,
) -> tuple[Conversation, Message]:
    """Write first: find or open the conversation with this number and send it a template.

    The conversation is the caller's (assigned to them) unless someone else already has it,
    in which case the template goes into that conversation only if the caller may see it.
    """
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise NotFound("number_not_found", f"There is no WhatsApp number {channel_id}.")
    canonical = canonical_wa_id(wa_id)
    if not 8 <= len(canonical) <= 15:
        raise Invalid("invalid_wa_id", "wa_id: a phone number with its country code.")
    outgoing = build_template_message(session, template_id, values, channel_id=channel.id)
    contact = do_upsert_contact(session, Sender(wa_id=canonical, user_id=None, name=name or ""))
    session.flush()
    now = datetime.now(UTC)
    conversation, created = find_or_open_conversation(session, channel, contact, now)
    if created:  # opened by the business: no customer waits until they answer
        report(session, OPENED, conversation, now)
    if conversation.status == ConversationStatus.QUEUED:
        conversation.status = ConversationStatus.ASSIGNED
        conversation.assignee_id = user.id
        conversation.assigned_at = now
        session.flush()
        report(session, ASSIGNED, conversation, now, agent_id=user.id)
        emit_conversation(
            session, conversation, CONVERSATION_CREATED if created else CONVERSATION_ASSIGNED
        )
    message = do_send_message(
        session, user, conversation.id, outgoing, local_id=local_id, template=True
    )
    if created:
        record_audit(
            session, "conversation.started", object_type="conversation",
            object_id=conversation.id, detail={"template_id": template_id}, actor=user,
        )  # fmt: skip
    return conversation, message


def template_message_for(
    session: Session, conversation_id: int, template_id: int | None, values: Any
) -> Outgoing:
    """The checked template message for one of the conversations (see the API's messages)."""
    if template_id is None:
        raise Invalid("missing_field", "template_id: the template to send.")
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("conversation_not_found", f"No conversation {conversation_id}.")
    return build_template_message(session, template_id, values, channel_id=conversation.channel_id)
