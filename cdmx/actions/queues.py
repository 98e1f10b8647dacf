"""Queues (teams): created and changed by an admin, with their numbers and members."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from cdmx.actions.assignment import do_assign_waiting, forget_routing
from cdmx.actions.audit import changed_values, record_audit
from cdmx.db.tables import CHANNELS, QUEUE_MEMBERS, Channel, Queue, User
from cdmx.domain.errors import Conflict, Invalid, NotFound
from cdmx.domain.hours import BusinessHours, HoursError
from cdmx.queries.queues import forget_queue_rules

_TEXT_FIELDS = ("greeting_message", "closed_message")
_TIMER_FIELDS = {"reroute_after_minutes": 7 * 24 * 60, "auto_close_after_hours": 90 * 24}
MAX_MESSAGE = 4096  # WhatsApp's limit for a text message
MAX_TARGET = 7 * 24 * 3600  # a first-response target of a week at most
MAX_TEMPLATE_NAME = 512  # Meta's limit for a template's name
MAX_TEMPLATE_LANGUAGE = 20


DEFAULT_NAME = "General"


def do_ensure_default_queue(session: Session) -> int:
    """The default queue's id, creating it (as the first migration to queues did) when a
    database has none."""
    queue_id = session.scalar(select(Queue.id).where(Queue.is_default.is_(True)))
    if queue_id is None:
        queue = Queue(name=DEFAULT_NAME, is_default=True, created_at=datetime.now(UTC))
        session.add(queue)
        session.flush()
        queue_id = queue.id
        session.info.pop("default_queue_id", None)
    return queue_id


def do_create_queue(session: Session, **fields: Any) -> Queue:
    """A new queue; ``fields`` as ``do_update_queue`` takes them, ``name`` required."""
    if not str(fields.get("name") or "").strip():
        raise Invalid("invalid_name", "A queue needs a name.")
    queue = Queue(name="", is_default=False, created_at=datetime.now(UTC))
    _apply(session, queue, fields)
    record_audit(
        session, "queue.created", object_type="queue", object_id=queue.id,
        after=_audited(session, queue),
    )  # fmt: skip
    return queue


def do_update_queue(session: Session, queue_id: int, **fields: Any) -> Queue:
    """Change a queue: ``name``, ``hours``, the automatic messages, the timers, the
    satisfaction survey (``csat_enabled``, ``csat_template_name``, ``_language``), its
    ``number_ids`` (those numbers' new conversations come here) and ``member_ids``. New
    members take waiting conversations at once."""
    queue = session.get(Queue, queue_id, with_for_update=True)
    if queue is None:
        raise NotFound("queue_not_found", f"No queue {queue_id}.")
    before = _audited(session, queue)
    _apply(session, queue, fields)
    old, new = changed_values(before, _audited(session, queue))
    if old:
        record_audit(
            session, "queue.changed", object_type="queue", object_id=queue.id, before=old,
            after=new,
        )  # fmt: skip
    return queue


def _audited(session: Session, queue: Queue) -> dict[str, Any]:
    """What the audit trail keeps of a queue's settings (before and after a change)."""
    numbers = session.scalars(select(Channel.id).where(Channel.queue_id == queue.id))
    members = session.scalars(
        select(QUEUE_MEMBERS.c.user_id).where(QUEUE_MEMBERS.c.queue_id == queue.id)
    )
    return {
        "name": queue.name, "hours": queue.hours, "greeting_message": queue.greeting_message,
        "closed_message": queue.closed_message,
        "reroute_after_minutes": queue.reroute_after_minutes,
        "auto_close_after_hours": queue.auto_close_after_hours,
        "target_first_response_seconds": queue.target_first_response_seconds,
        "csat_enabled": queue.csat_enabled, "csat_template_name": queue.csat_template_name,
        "csat_template_language": queue.csat_template_language,
        "number_ids": sorted(numbers), "member_ids": sorted(members),
    }  # fmt: skip


def _apply(session: Session, queue: Queue, fields: dict[str, Any]) -> None:
    if "name" in fields:
        name = str(fields["name"] or "").strip()[:100]
        if not name:
            raise Invalid("invalid_name", "A queue needs a name.")
        taken = session.scalar(select(Queue.id).where(func.lower(Queue.name) == name.lower()))
        if taken is not None and taken != queue.id:
            raise Conflict("queue_name_taken", f"A queue named {name} already exists.")
        queue.name = name
    if "hours" in fields:
        try:
            queue.hours = BusinessHours.from_json(fields["hours"]).to_json()
        except HoursError as exc:
            raise Invalid("invalid_hours", str(exc)) from None
    for name in _TEXT_FIELDS:
        if name in fields:
            value = (fields[name] or "").strip() or None
            if value is not None and len(value) > MAX_MESSAGE:
                raise Invalid(f"invalid_{name}", f"{name}: at most {MAX_MESSAGE} characters.")
            setattr(queue, name, value)
    for name, most in _TIMER_FIELDS.items():
        if name in fields:
            value = fields[name]
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most
            ):
                raise Invalid(f"invalid_{name}", f"{name}: null (off) or 1 to {most}.")
            setattr(queue, name, value)
    if "target_first_response_seconds" in fields:
        value = fields["target_first_response_seconds"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TARGET:
            raise Invalid(
                "invalid_target_first_response_seconds",
                f"target_first_response_seconds: 1 to {MAX_TARGET} (business-hours seconds).",
            )
        queue.target_first_response_seconds = value
    _apply_survey(queue, fields)
    if queue.id is None:
        session.add(queue)
    session.flush()
    forget_queue_rules(session)
    if "number_ids" in fields:
        _set_numbers(session, queue, _ids(fields["number_ids"], "number_ids"))
    if "member_ids" in fields:
        added = _set_members(session, queue, _ids(fields["member_ids"], "member_ids"))
        if added:
            do_assign_waiting(session, added, datetime.now(UTC))


def _apply_survey(queue: Queue, fields: dict[str, Any]) -> None:
    """The satisfaction survey: on or off, and the template for a shut 24-hour window."""
    if "csat_enabled" in fields:
        value = fields["csat_enabled"]
        if not isinstance(value, bool):
            raise Invalid("invalid_csat_enabled", "csat_enabled: true or false.")
        queue.csat_enabled = value
    for name, most in (
        ("csat_template_name", MAX_TEMPLATE_NAME),
        ("csat_template_language", MAX_TEMPLATE_LANGUAGE),
    ):
        if name in fields:
            value = fields[name]
            if value is not None and not isinstance(value, str):
                raise Invalid(f"invalid_{name}", f"{name}: a text, or null.")
            value = (value or "").strip() or None
            if value is not None and len(value) > most:
                raise Invalid(f"invalid_{name}", f"{name}: at most {most} characters.")
            setattr(queue, name, value)


def _ids(value: Any, field: str) -> set[int]:
    if not isinstance(value, list) or any(
        isinstance(v, bool) or not isinstance(v, int) for v in value
    ):
        raise Invalid(f"invalid_{field}", f"{field}: a list of ids.")
    return set(value)


def _set_numbers(session: Session, queue: Queue, number_ids: set[int]) -> None:
    """These numbers feed ``queue``; a number taken off it goes back to the default queue
    (every number feeds exactly one queue)."""
    known = set(session.scalars(select(Channel.id).where(Channel.id.in_(number_ids))))
    if number_ids - known:
        raise Invalid(
            "unknown_number", f"No number {', '.join(map(str, sorted(number_ids - known)))}."
        )
    current = set(session.scalars(select(Channel.id).where(Channel.queue_id == queue.id)))
    if queue.is_default:
        if current - number_ids:
            raise Invalid(
                "default_queue_numbers",
                "A number leaves the default queue by joining another queue.",
            )
    elif current - number_ids:
        default = session.scalar(select(Queue.id).where(Queue.is_default.is_(True)))
        session.execute(
            update(CHANNELS)
            .where(CHANNELS.c.id.in_(sorted(current - number_ids)))
            .values(queue_id=default)
        )
    if number_ids - current:
        session.execute(
            update(CHANNELS)
            .where(CHANNELS.c.id.in_(sorted(number_ids - current)))
            .values(queue_id=queue.id)
        )


def _set_members(session: Session, queue: Queue, member_ids: set[int]) -> list[int]:
    """Exactly ``member_ids`` are members; returns the ones added."""
    known = set(
        session.scalars(select(User.id).where(User.id.in_(member_ids), User.is_active.is_(True)))
    )
    if member_ids - known:
        missing = ", ".join(map(str, sorted(member_ids - known)))
        raise Invalid("unknown_user", f"No active user {missing}.")
    return replace_memberships(session, QUEUE_MEMBERS.c.queue_id, queue.id, member_ids)


def replace_memberships(session: Session, side: Any, owner_id: int, wanted: set[int]) -> list[int]:
    """Make one queue's members, or one user's queues (``side`` is the column that holds
    ``owner_id``), exactly ``wanted``; returns the ids added. Routing reads them again."""
    other = (
        QUEUE_MEMBERS.c.user_id if side is QUEUE_MEMBERS.c.queue_id else QUEUE_MEMBERS.c.queue_id
    )
    current = set(session.scalars(select(other).where(side == owner_id)))
    if current - wanted:
        session.execute(
            delete(QUEUE_MEMBERS).where(side == owner_id, other.in_(sorted(current - wanted)))
        )
    added = sorted(wanted - current)
    if added:
        session.execute(
            QUEUE_MEMBERS.insert(), [{side.key: owner_id, other.key: value} for value in added]
        )
    forget_routing(session)
    return added
