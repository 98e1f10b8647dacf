"""Saving, renaming and deleting a user's inbox views. The filters are kept exactly as the
list's query takes them, so applying a view is passing them back to the list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.db.tables import SavedView, User
from cdmx.domain.errors import Conflict, Invalid, NotFound

MAX_NAME = 100
FILTER_KEYS = ("view", "status", "queue_id", "label_id", "assignee_id", "order")


def do_create_view(
    session: Session, user: User, *, name: str, filters: dict[str, Any]
) -> SavedView:
    item = SavedView(user_id=user.id, name="", filters={}, created_at=datetime.now(UTC))
    _apply(session, user, item, {"name": name, "filters": filters})
    session.add(item)
    session.flush()
    return item


def do_update_view(session: Session, user: User, view_id: int, **changes: Any) -> SavedView:
    """Rename a view or replace its filters."""
    item = _own(session, user, view_id)
    _apply(session, user, item, changes)
    session.flush()
    return item


def do_delete_view(session: Session, user: User, view_id: int) -> None:
    session.delete(_own(session, user, view_id))
    session.flush()


def _own(session: Session, user: User, view_id: int) -> SavedView:
    item = session.get(SavedView, view_id)
    # Someone else's view does not exist for the caller.
    if item is None or item.user_id != user.id:
        raise NotFound("view_not_found", f"No saved view {view_id}.")
    return item


def _apply(session: Session, user: User, item: SavedView, changes: dict[str, Any]) -> None:
    if "name" in changes:
        name = str(changes["name"] or "").strip()
        if not 1 <= len(name) <= MAX_NAME:
            raise Invalid("invalid_name", f"A view's name has 1 to {MAX_NAME} characters.")
        taken = session.scalar(
            select(SavedView.id).where(SavedView.user_id == user.id, SavedView.name == name)
        )
        if taken is not None and taken != item.id:
            raise Conflict("view_exists", f"You already have a view named {name!r}.")
        item.name = name
    if "filters" in changes:
        filters = dict(changes["filters"])
        # Unset keys are stored as null so every view has the same shape.
        item.filters = {key: filters.get(key) for key in FILTER_KEYS}
