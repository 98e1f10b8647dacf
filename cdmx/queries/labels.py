"""Labels: the list every signed-in user picks from, and each label's JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.db.tables import Label


def label_json(label: Label) -> dict[str, Any]:
    """The shape the API and the ``conversations.labels`` copy share."""
    return {"id": label.id, "name": label.name, "color": label.color}


def all_labels(session: Session) -> list[dict[str, Any]]:
    """Every label, by name (case-insensitively, as people read them)."""
    labels = session.scalars(select(Label)).all()
    return [label_json(label) for label in sorted(labels, key=lambda item: item.name.lower())]
