"""Presence: whoever is available or away with no console open for the timeout goes offline."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cdmx.actions.users import do_set_availability
from cdmx.db.tables import User
from cdmx.domain.states import Availability


def do_sweep_presence(session: Session, now: datetime, timeout_seconds: float) -> list[int]:
    """Set offline (with ``agent.updated``) the active users who are available or away and
    whose last event stream was seen more than ``timeout_seconds`` before ``now``; returns
    their ids. Routing gives offline users nothing, so they stop receiving conversations."""
    cutoff = now - timedelta(seconds=timeout_seconds)
    # FOR UPDATE: on PostgreSQL a stream's touch that committed first is seen here (the
    # row is re-checked once locked), so nobody who just came back is set offline; SKIP
    # LOCKED leaves a row another instance's sweep holds to that sweep.
    gone = session.scalars(
        select(User.id)
        .where(
            User.is_active.is_(True),
            User.availability.in_([Availability.AVAILABLE, Availability.AWAY]),
            or_(User.last_seen_at.is_(None), User.last_seen_at < cutoff),
        )
        .order_by(User.id)
        .with_for_update(skip_locked=True)
    ).all()
    for user_id in gone:
        do_set_availability(session, user_id, Availability.OFFLINE)
    return list(gone)
