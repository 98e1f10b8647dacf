"""Labels: admins define them; whoever handles a conversation sets its labels. Every change
keeps the ``conversations.labels`` copy in step in the same transaction."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cdmx.actions.assignment import emit_conversation
from cdmx.actions.audit import changed_values, record_audit
from cdmx.db.tables import Conversation, ConversationLabel, Label, User
from cdmx.domain.errors import Conflict, Forbidden, Invalid, NotFound
from cdmx.domain.states import Role
from cdmx.queries.conversations import visible_conversation
from cdmx.queries.labels import label_json

MAX_NAME = 50
COLOR = re.compile(r"#[0-9A-Fa-f]{6}")


def do_create_label(session: Session, user: User, *, name: str, color: str) -> Label:
    _require_admin(user)
    label = Label(
        name=_clean_name(session, name),
        color=_clean_color(color),
        created_at=datetime.now(UTC),
    )
    session.add(label)
    session.flush()
    record_audit(
        session, "label.created", object_type="label", object_id=label.id, after=label_json(label),
        actor=user,
    )  # fmt: skip
    return label


def do_update_label(
    session: Session, user: User, label_id: int, *, name: str | None = None,
    color: str | None = None,
) -> Label:  # fmt: skip
    _require_admin(user)
    label = _load(session, label_id)
    before = label_json(label)
    if name is not None:
        label.name = _clean_name(session, name, exclude=label.id)
    if color is not None:
        label.color = _clean_color(color)
    session.flush()
    _refresh_copies(session, label.id)
    old, new = changed_values(before, label_json(label))
    if old:
        record_audit(
            session, "label.changed", object_type="label", object_id=label.id, before=old,
            after=new, actor=user,
        )  # fmt: skip
    return label


def do_delete_label(session: Session, user: User, label_id: int) -> None:
    _require_admin(user)
    label = _load(session, label_id)
    record_audit(
        session, "label.deleted", object_type="label", object_id=label.id,
        before=label_json(label), actor=user,
    )  # fmt: skip
    carrying = _carrying(session, label.id)
    session.execute(delete(ConversationLabel).where(ConversationLabel.label_id == label.id))
    session.delete(label)
    session.flush()
    for conversation_id in carrying:
        _write_copy(session, conversation_id)


def do_set_conversation_labels(
    session: Session, user: User, conversation_id: int, label_ids: list[int]
) -> Conversation:
    """Replace the conversation's whole set of labels (duplicates ignored) and tell every
    console showing it."""
    conversation = visible_conversation(session, user, conversation_id)
    wanted = set(label_ids)
    known = set(session.scalars(select(Label.id).where(Label.id.in_(wanted))).all())
    if unknown := sorted(wanted - known):
        raise Invalid("unknown_label", f"label_ids: no label {unknown[0]}.")
    had = sorted(
        session.scalars(
            select(ConversationLabel.label_id).where(
                ConversationLabel.conversation_id == conversation.id
            )
        )
    )
    if had != sorted(wanted):
        record_audit(
            session, "conversation.labels_changed", object_type="conversation",
            object_id=conversation.id, before={"label_ids": had},
            after={"label_ids": sorted(wanted)}, actor=user,
        )  # fmt: skip
    session.execute(
        delete(ConversationLabel).where(ConversationLabel.conversation_id == conversation.id)
    )
    session.add_all(
        ConversationLabel(conversation_id=conversation.id, label_id=label_id)
        for label_id in sorted(wanted)
    )
    session.flush()
    _write_copy(session, conversation.id)
    emit_conversation(session, conversation, "conversation.updated")
    return conversation


def _require_admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise Forbidden("admins_only", "Only admins manage labels.")


def _load(session: Session, label_id: int) -> Label:
    label = session.get(Label, label_id)
    if label is None:
        raise NotFound("label_not_found", f"No label {label_id}.")
    return label


def _clean_name(session: Session, name: str, *, exclude: int | None = None) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise Invalid("invalid_name", f"name: 1–{MAX_NAME} characters.")
    same = select(Label.id).where(func.lower(Label.name) == name.lower())
    if exclude is not None:
        same = same.where(Label.id != exclude)
    if session.scalar(same) is not None:
        raise Conflict("label_exists", f"A label named {name!r} already exists.")
    return name


def _clean_color(color: str) -> str:
    if not COLOR.fullmatch(color):
        raise Invalid("invalid_color", "color: #RRGGBB.")
    return color.upper()


def _carrying(session: Session, label_id: int) -> list[int]:
    query = select(ConversationLabel.conversation_id).where(ConversationLabel.label_id == label_id)
    return list(session.scalars(query).all())


def _refresh_copies(session: Session, label_id: int) -> None:
    for conversation_id in _carrying(session, label_id):
        _write_copy(session, conversation_id)


def _write_copy(session: Session, conversation_id: int) -> None:
    """Rewrite the JSON copy from the truth, sorted by name."""
    labels = session.scalars(
        select(Label)
        .join(ConversationLabel, ConversationLabel.label_id == Label.id)
        .where(ConversationLabel.conversation_id == conversation_id)
    ).all()
    copy: list[dict[str, Any]] = [
        label_json(label) for label in sorted(labels, key=lambda item: item.name.lower())
    ]
    conversation = session.get(Conversation, conversation_id)
    if conversation is not None:
        conversation.labels = copy
    session.flush()
