"""Users: creation, availability (which drives routing)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cdmx.actions.assignment import do_assign_queued
from cdmx.actions.events import emit
from cdmx.db.tables import Conversation, User
from cdmx.domain.errors import Conflict, Invalid
from cdmx.domain.events import AgentUpdated
from cdmx.domain.passwords import MIN_LENGTH, hash_password
from cdmx.domain.states import Availability, ConversationStatus, Role


def do_create_user(session: Session, *, email: str, name: str, role: str, password: str) -> User:
    """Create a console user with an argon2 password hash."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise Invalid("invalid_email", f"'{email}' is not an e-mail address.")
    if role not in set(Role):
        raise Invalid("invalid_role", "The role must be admin, supervisor or agent.")
    if len(password) < MIN_LENGTH:
        raise Invalid("weak_password", f"The password needs at least {MIN_LENGTH} characters.")
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("email_taken", f"A user with e-mail {email} already exists.")
    user = User(
        email=email, name=name.strip() or email, role=role,
        password_hash=hash_password(password), availability=Availability.OFFLINE,
        is_active=True, created_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(user)
    session.flush()
    return user


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
    user.availability = availability
    session.flush()
    if availability == Availability.AVAILABLE:
        do_assign_queued(session, datetime.now(UTC))
    emit(session, AgentUpdated.model_validate({"agent": agent_json(session, user)}))
    return user
