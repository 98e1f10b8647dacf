"""Users (admins only): create, change, re-role, set capacity and queues, deactivate; and
one-time sign-in links for a user to choose their own password."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from cdmx.actions.audit import record_audit
from cdmx.actions.users import do_create_user, do_update_user, user_json
from cdmx.db.tables import User
from cdmx.domain.errors import Forbidden, NotFound
from cdmx.domain.passwords import MIN_LENGTH
from cdmx.web.api.deps import DB, AdminUser
from cdmx.web.bearer import sign_in_link
from cdmx.web.services import services

router = APIRouter(tags=["users"])

RoleName = Literal["admin", "supervisor", "agent"]


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    name: str = Field("", max_length=200)
    role: RoleName = "agent"
    password: str | None = Field(
        None,
        description=f"At least {MIN_LENGTH} characters, never shown again; omitted: the "
        "answer carries a one-time sign_in_link for the user to choose their own",
    )
    capacity: int | None = Field(None, description="null: CDMX_AGENT_CAPACITY")
    queue_ids: list[int] | None = Field(None, description="Default: the default queue")


class UserChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    role: RoleName | None = None
    password: str | None = None
    capacity: int | None = None
    queue_ids: list[int] | None = None
    active: bool | None = None


@router.get("/users")
def list_users(user: AdminUser, db: DB) -> dict[str, Any]:
    """Every user, active or not."""
    with db.read() as session:
        users = list(
            session.scalars(
                select(User).where(User.role != "integration").order_by(User.name, User.id)
            )
        )
        return {"users": user_json(session, users)}


@router.post("/users", status_code=201)
def create_user(body: NewUser, request: Request, user: AdminUser, db: DB) -> dict[str, Any]:
    with db.write() as session:
        created = do_create_user(session, **body.model_dump())
        shown = user_json(session, [created])[0]
        if body.password is None:
            shown |= _link(request, created)
        return shown


@router.post("/users/{user_id}/sign-in-link")
def new_sign_in_link(user_id: int, request: Request, user: AdminUser, db: DB) -> dict[str, Any]:
    """A one-time link for the user to choose a (new) password: for a forgotten one, or a
    user created without one. Their current password keeps working until they use it."""
    with db.write() as session:  # writes only its audit row
        found = session.get(User, user_id)
        if found is None:
            raise NotFound("user_not_found", f"No user {user_id}.")
        if not found.is_active:
            raise Forbidden("user_inactive", "Reactivate the user first.")
        record_audit(session, "user.sign_in_link", object_type="user", object_id=found.id)
        return _link(request, found)


@router.get("/users/{user_id}")
def get_user(user_id: int, user: AdminUser, db: DB) -> dict[str, Any]:
    with db.read() as session:
        found = session.get(User, user_id)
        if found is None:
            raise NotFound("user_not_found", f"No user {user_id}.")
        return user_json(session, [found])[0]


@router.patch("/users/{user_id}")
def update_user(user_id: int, body: UserChanges, user: AdminUser, db: DB) -> dict[str, Any]:
    """Change what is given; ``"active": false`` ends the user's sessions and tokens."""
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "role", "password", "queue_ids", "active"):
        if required in changes and changes[required] is None:
            changes.pop(required)
    if user_id == user.id and (
        changes.get("active") is False or changes.get("role", "admin") != "admin"
    ):
        raise Forbidden("not_yourself", "An admin cannot deactivate or demote themself.")
    with db.write() as session:
        changed = do_update_user(session, user_id, **changes)
        return user_json(session, [changed])[0]


def _link(request: Request, user: User) -> dict[str, str]:
    app = services(request)
    return sign_in_link(app.tokens, app.settings.base_url, user)
