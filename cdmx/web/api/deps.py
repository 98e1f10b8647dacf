"""Shared dependencies of the API routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.domain.errors import Forbidden
from cdmx.domain.states import Role
from cdmx.web.auth import current_user
from cdmx.web.services import services

CurrentUser = Annotated[User, Depends(current_user)]


def admin_user(user: CurrentUser) -> User:
    """FastAPI dependency: the signed-in user when an admin, else 403 ``admins_only``
    (before the body is looked at, so a refusal says nothing about the input)."""
    if user.role != Role.ADMIN:
        raise Forbidden("admins_only", "Only an admin can do this.")
    return user


AdminUser = Annotated[User, Depends(admin_user)]


def get_db(request: Request) -> Database:
    db: Database = services(request).db
    return db


DB = Annotated[Database, Depends(get_db)]
