"""The audit trail's writer: ``record_audit`` adds one row to ``audit_log`` in the caller's
transaction, so the row exists exactly when the action does.

Who is acting comes from the action's own ``user`` when it has one, else from the
``Origin`` of the request (or command) it runs in: a context variable that the web's
``RequestOrigin`` middleware sets for each HTTP request with the client's address, and that
``current_user`` fills with the signed-in user. It reaches the actions through FastAPI's
thread pool (which copies the context, the same ``Origin`` object), so no signature carries
the address. Code that runs outside any origin — the workers' sweeps, start-up — records
nothing: the trail is of what people do.

The application never updates or deletes a row; ``do_purge_audit`` (the retention, run by
the workers) is the only delete.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cdmx.db.tables import AUDIT_LOG, User
from cdmx.domain.audit import ACTIONS, OBJECTS
from cdmx.domain.states import Role

# A supervisor's or admin's reading of a conversation that is not theirs is recorded once per
# (reader, conversation) within this time: the console re-reads a thread it shows (paging,
# reconnects), and one row per read would bury everything else.
VIEW_EVERY = timedelta(minutes=30)
_INSERT = AUDIT_LOG.insert()


@dataclass
class Origin:
    """Who is acting and from where, for every audit row of one request or command.

    ``via`` is ``console`` (the session cookie), ``token`` (a bearer token) or ``cli``."""

    address: str | None = None
    via: str = "console"
    actor_id: int | None = None
    actor_name: str | None = None

    def act_as(self, user: User, via: str) -> None:
        """The signed-in user (or token holder) is the actor from now on."""
        self.actor_id, self.actor_name, self.via = user.id, user.name, via


_ORIGIN: ContextVar[Origin | None] = ContextVar("cdmx_audit_origin", default=None)


@contextmanager
def acting(origin: Origin) -> Iterator[Origin]:
    """Run the block with ``origin`` as the audit trail's who and where."""
    token = _ORIGIN.set(origin)
    try:
        yield origin
    finally:
        _ORIGIN.reset(token)


def current_origin() -> Origin | None:
    """The origin of the request or command running now (None in a worker)."""
    return _ORIGIN.get()


def record_audit(
    session: Session,
    action: str,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
    actor: User | None = None,
) -> bool:
    """Record that a person did ``action`` (a name of ``cdmx.domain.audit.ACTIONS``) to an
    object, in this transaction; ``before``/``after`` are the values a change replaced and
    set. The actor is ``actor``, else the current origin's; with neither (a worker's own
    sweep) nothing is written. Returns whether a row was written.

    This is the one call a new feature (webhook subscriptions, "send to" actions, an export)
    makes to be audited: add its action name to ``ACTIONS`` and to docs/api.md, then call
    this inside the write transaction of the change.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}: add it to cdmx.domain.audit")
    if object_type is not None and object_type not in OBJECTS:
        raise ValueError(f"unknown audit object {object_type!r}: add it to cdmx.domain.audit")
    origin = _ORIGIN.get()
    if actor is not None:
        actor_id: int | None = actor.id
        actor_name = actor.name
    elif origin is not None and (origin.actor_id is not None or origin.via == "cli"):
        actor_id, actor_name = origin.actor_id, origin.actor_name or ""
    else:
        return False
    _insert(
        session, action, actor_id=actor_id, actor_name=actor_name, object_type=object_type,
        object_id=object_id, before=before, after=after, detail=detail,
    )  # fmt: skip
    return True


def changed_values(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], ...]:
    """The keys whose values differ, as (before, after) — what a change row keeps."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after.get(key) for key in keys}


def do_record_failed_sign_in(session: Session, email: str) -> None:
    """A wrong e-mail or password: nobody is the actor; the object is the account the
    e-mail names, when there is one, and the e-mail typed is kept (at most 254 characters)."""
    typed = email.replace("\x00", "").strip().lower()[:254]  # PostgreSQL text has no NUL
    user_id = session.scalar(select(User.id).where(User.email == typed)) if typed else None
    _insert(
        session, "auth.sign_in_failed", actor_id=None, actor_name="",
        object_type=None if user_id is None else "user", object_id=user_id,
        detail={"email": typed},
    )  # fmt: skip


def reads_as_outsider(user: User, assignee_id: int | None) -> bool:
    """Whether ``user`` reading a conversation of ``assignee_id`` is audited: a supervisor
    or admin who is not its agent."""
    return user.role in (Role.ADMIN, Role.SUPERVISOR) and assignee_id != user.id


def do_record_conversation_view(
    session: Session, user: User, conversation_id: int, now: datetime | None = None
) -> bool:
    """``conversation.viewed`` for ``user``, unless they have one for this conversation
    within ``VIEW_EVERY``; whether a row was written."""
    now = now or datetime.now(UTC)
    recent = session.scalar(
        select(AUDIT_LOG.c.id)
        .where(
            AUDIT_LOG.c.object_type == "conversation",
            AUDIT_LOG.c.object_id == conversation_id,
            AUDIT_LOG.c.action == "conversation.viewed",
            AUDIT_LOG.c.actor_id == user.id,
            AUDIT_LOG.c.created_at > now - VIEW_EVERY,
        )
        .limit(1)
    )
    if recent is not None:
        return False
    return record_audit(
        session, "conversation.viewed", object_type="conversation", object_id=conversation_id,
        actor=user,
    )  # fmt: skip


def do_purge_audit(session: Session, older_than: datetime, *, limit: int = 10_000) -> int:
    """Delete up to ``limit`` rows recorded before ``older_than`` (the retention); how many.
    The only delete of the trail."""
    oldest = (
        select(AUDIT_LOG.c.id)
        .where(AUDIT_LOG.c.created_at < older_than)
        .order_by(AUDIT_LOG.c.id)
        .limit(limit)
    )
    result = session.execute(delete(AUDIT_LOG).where(AUDIT_LOG.c.id.in_(oldest.scalar_subquery())))
    return int(getattr(result, "rowcount", 0) or 0)


def _insert(
    session: Session,
    action: str,
    *,
    actor_id: int | None,
    actor_name: str,
    object_type: str | None,
    object_id: int | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    origin = _ORIGIN.get()
    session.execute(
        _INSERT,
        {
            "created_at": datetime.now(UTC),
            "actor_id": actor_id,
            "actor_name": actor_name[:254],
            "via": origin.via if origin is not None else "console",
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "address": origin.address[:64] if origin is not None and origin.address else None,
            "before": _plain(before),
            "after": _plain(after),
            "detail": _plain(detail),
        },
    )


def _plain(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """JSON-safe (times as ISO text), or None for nothing."""
    if not values:
        return None
    plain: dict[str, Any] = json.loads(json.dumps(dict(values), default=_text))
    return plain


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value)
