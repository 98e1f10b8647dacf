"""Users: creation and changes by an admin, availability (which drives routing)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cdmx.actions.assignment import do_assign_waiting
from cdmx.actions.audit import changed_values, record_audit
from cdmx.actions.credentials import do_revoke_user_credentials
from cdmx.actions.events import emit
from cdmx.actions.queues import replace_memberships
from cdmx.db.tables import QUEUE_MEMBERS, Conversation, Queue, User
from cdmx.domain.errors import Conflict, Invalid, NotFound
from cdmx.domain.events import AgentUpdated, UserUpdated
from cdmx.domain.passwords import MIN_LENGTH, hash_password
from cdmx.domain.states import Availability, ConversationStatus, Role
from cdmx.queries.queues import default_queue_id, member_queue_ids

MAX_CAPACITY = 1000


def do_create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str | None,
    capacity: int | None = None,
    queue_ids: list[int] | None = None,
) -> User:
    """Create a console user with an argon2 password hash, in ``queue_ids`` (by default
    the default queue). Without a ``password`` nobody can sign in as them until they
    choose one through a sign-in link (``cdmx.web.bearer``)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise Invalid("invalid_email", f"'{email}' is not an e-mail address.")
    _check_role(role)
    if password is None:
        password = secrets.token_urlsafe(32)  # known to no one
    _check_password(password)
    _check_capacity(capacity)
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("email_taken", f"A user with e-mail {email} already exists.")
    user = User(
        email=email, name=name.strip() or email, role=role,
        password_hash=hash_password(password), availability=Availability.OFFLINE,
        is_active=True, capacity=capacity, created_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(user)
    session.flush()
    if queue_ids is None:
        default = default_queue_id(session)
        queue_ids = [] if default is None else [default]
    _set_queues(session, user, queue_ids)
    emit_user_updated(session, user)
    record_audit(
        session, "user.created", object_type="user", object_id=user.id,
        after=_audited(session, user),
    )  # fmt: skip
    return user


def do_update_user(session: Session, user_id: int, **changes: Any) -> User:
    """An admin changes a user: ``name``, ``role``, ``capacity``, ``queue_ids``,
    ``active``, ``password``. Raising capacity or adding queues hands waiting
    conversations over at once; a new password or a deactivation revokes all the user's
    sessions and tokens (every request checks: ``cdmx/actions/credentials.py``), and
    deactivating ends their open event streams (``user.updated``) and sets them offline."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None or user.role == Role.INTEGRATION:  # a token's service user: see tokens
        raise NotFound("user_not_found", f"No user {user_id}.")
    before = _audited(session, user)
    more_room = False
    if "name" in changes:
        name = str(changes["name"] or "").strip()
        if not name:
            raise Invalid("invalid_name", "A user needs a name.")
        user.name = name[:200]
    if "role" in changes:
        _check_role(changes["role"])
        user.role = changes["role"]
    if "capacity" in changes:
        _check_capacity(changes["capacity"])
        more_room = (changes["capacity"] or 0) > (user.capacity or 0)
        user.capacity = changes["capacity"]
    if "password" in changes:
        _check_password(changes["password"])
        user.password_hash = hash_password(changes["password"])  # old bearer tokens stop
    if "queue_ids" in changes:
        more_room = _set_queues(session, user, list(changes["queue_ids"])) or more_room
    if "active" in changes and bool(changes["active"]) != user.is_active:
        user.is_active = bool(changes["active"])
        if not user.is_active:
            user.availability = Availability.OFFLINE
    session.flush()
    if "password" in changes or not user.is_active:
        do_revoke_user_credentials(
            session, user.id, "password_changed" if "password" in changes else "deactivated"
        )
    if more_room and user.is_active and user.availability == Availability.AVAILABLE:
        do_assign_waiting(session, [user.id], datetime.now(UTC))
    emit(session, AgentUpdated.model_validate({"agent": agent_json(session, user)}))
    emit_user_updated(session, user)
    old, new = changed_values(before, _audited(session, user))
    if old or "password" in changes:
        record_audit(
            session, "user.deactivated" if old.get("active") else "user.changed",
            object_type="user", object_id=user.id, before=old, after=new,
            # Never the password: only that it changed.
            detail={"password_changed": True} if "password" in changes else None,
        )  # fmt: skip
    return user


def _audited(session: Session, user: User) -> dict[str, Any]:
    """What the audit trail keeps of a user's settings (before and after a change)."""
    queues = member_queue_ids(session, [user.id])[user.id]
    return {
        "email": user.email, "name": user.name, "role": user.role, "capacity": user.capacity,
        "queue_ids": sorted(queues), "active": user.is_active,
    }  # fmt: skip


def emit_user_updated(session: Session, user: User) -> None:
    """``user.updated`` with the user's snapshot: to admins (every stream shows it to them,
    cdmx.realtime.sse.visible_to) and to that user, whose streams end if deactivated."""
    shown = user_json(session, [user])[0]
    del shown["availability"]  # agent.updated carries it, to everyone
    emit(session, UserUpdated.model_validate({"user": shown}), audience=[user.id])


def user_json(session: Session, users: list[User]) -> list[dict[str, Any]]:
    """Users as the admin API shows them (two reads for the whole list)."""
    queues = member_queue_ids(session, [u.id for u in users])
    return [
        {
            "id": u.id,
            "email": u.email,
            "name": u.name,
            "role": u.role,
            "capacity": u.capacity,
            "queue_ids": queues[u.id],
            "active": u.is_active,
            "availability": u.availability,
        }  # fmt: skip
        for u in users
    ]


def _set_queues(session: Session, user: User, queue_ids: list[int]) -> bool:
    """Make ``user`` a member of exactly ``queue_ids``; True when a queue was added."""
    wanted = set(queue_ids)
    if any(not isinstance(q, int) for q in wanted):
        raise Invalid("invalid_queue_ids", "queue_ids: a list of queue ids.")
    known = set(session.scalars(select(Queue.id).where(Queue.id.in_(wanted)))) if wanted else set()
    if wanted - known:
        missing = ", ".join(str(q) for q in sorted(wanted - known))
        raise Invalid("unknown_queue", f"No queue {missing}.")
    added = replace_memberships(session, QUEUE_MEMBERS.c.user_id, user.id, wanted)
    return bool(added)


def _check_role(role: Any) -> None:
    if role not in Role.people():
        raise Invalid("invalid_role", "The role must be admin, supervisor or agent.")


def _check_password(password: Any) -> None:
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise Invalid("weak_password", f"The password needs at least {MIN_LENGTH} characters.")


def _check_capacity(capacity: Any) -> None:
    if capacity is None:
        return
    if (
        not isinstance(capacity, int)
        or isinstance(capacity, bool)
        or not (0 <= capacity <= MAX_CAPACITY)
    ):
        raise Invalid(
            "invalid_capacity", f"The capacity is a whole number from 0 to {MAX_CAPACITY}."
        )


def agent_json(session: Session, user: User) -> dict[str, object]:
    """A user as the agents list and ``agent.updated`` events show it."""
    open_conversations = session.scalar(
        select(func.count(Conversation.id)).where(
            Conversation.assignee_id == user.id,
            Conversation.status == ConversationStatus.ASSIGNED,
        )
    )
    return {
        "id": user.id, "name": user.name, "email": user.email, "role": user.role,
        "availability": user.availability, "open_conversations": open_conversations or 0,
    }  # fmt: skip


def do_set_availability(session: Session, user_id: int, availability: str) -> User:
    """Set an agent's availability; becoming available takes waiting conversations."""
    if availability not in set(Availability):
        raise Invalid("invalid_availability", "Availability is available, away or offline.")
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise Invalid("unknown_user", f"No user {user_id}.")
    if user.availability == availability:
        return user
    # Recorded when a person sets it (PUT /api/v1/me/availability); the presence sweep and a
    # sign-out (which has its own row) act outside any signed-in request and record nothing.
    record_audit(
        session, "user.availability_changed", object_type="user", object_id=user.id,
        before={"availability": user.availability}, after={"availability": availability},
    )  # fmt: skip
    user.availability = availability
    if availability != Availability.OFFLINE:
        # Being here counts as being seen: the presence sweep gives them the whole timeout
        # for a tab to open (cdmx/realtime/presence.py).
        user.last_seen_at = datetime.now(UTC)
    session.flush()
    if availability == Availability.AVAILABLE:
        do_assign_waiting(session, [user.id], datetime.now(UTC))
    emit(session, AgentUpdated.model_validate({"agent": agent_json(session, user)}))
    return user
