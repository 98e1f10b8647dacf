"""Shared dependencies of the API routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.web.auth import current_user
from cdmx.web.services import services

CurrentUser = Annotated[User, Depends(current_user)]


def get_db(request: Request) -> Database:
    db: Database = services(request).db
    return db


DB = Annotated[Database, Depends(get_db)]
