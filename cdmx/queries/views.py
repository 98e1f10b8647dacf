"""A user's saved inbox views ("Vistas guardadas"): only ever the caller's own."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.db.tables import SavedView, User


def view_json(item: SavedView) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "filters": dict(item.filters),
        "created_at": item.created_at.isoformat(),
    }


def saved_views(session: Session, user: User) -> list[dict[str, Any]]:
    """The caller's saved views by name (case-insensitively, as the console lists them)."""
    items = session.scalars(select(SavedView).where(SavedView.user_id == user.id))
    return [view_json(item) for item in sorted(items, key=lambda v: (v.name.lower(), v.id))]
