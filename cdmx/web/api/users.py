"""Users (admins only): create, change, re-role, set capacity and queues, deactivate."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from cdmx.actions.users import do_create_user, do_update_user, user_json
from cdmx.db.tables import User
from cdmx.domain.errors import Forbidden, NotFound
from cdmx.domain.passwords import MIN_LENGTH
from cdmx.domain.states import Role
from cdmx.web.api.deps import DB, CurrentUser

router = APIRouter(tags=["users"])

RoleName = Literal["admin", "supervisor", "agent"]


def _admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise Forbidden("admins_only", "Only an admin can manage users.")


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    name: str = Field("", max_length=200)
    role: RoleName = "agent"
    password: str = Field(description=f"At least {MIN_LENGTH} characters; never shown again")
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
def list_users(user: CurrentUser, db: DB) -> dict[str, Any]:
    """Every user, active or not."""
    _admin(user)
    with db.read() as session:
        users = list(session.scalars(select(User).order_by(User.name, User.id)))
        return {"users": user_json(session, users)}


@router.post("/users", status_code=201)
def create_user(body: NewUser, user: CurrentUser, db: DB) -> dict[str, Any]:
    _admin(user)
    with db.write() as session:
        created = do_create_user(session, **body.model_dump())
        return user_json(session, [created])[0]


@router.get("/users/{user_id}")
def get_user(user_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    _admin(user)
    with db.read() as session:
        found = session.get(User, user_id)
        if found is None:
            raise NotFound("user_not_found", f"No user {user_id}.")
        return user_json(session, [found])[0]


@router.patch("/users/{user_id}")
def update_user(user_id: int, body: UserChanges, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Change what is given; ``"active": false`` ends the user's sessions and tokens."""
    _admin(user)
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
