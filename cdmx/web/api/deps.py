"""Shared dependencies of the API routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.web.auth import current_user

CurrentUser = Annotated[User, Depends(current_user)]


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


DB = Annotated[Database, Depends(get_db)]
