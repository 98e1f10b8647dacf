"""Agents: who is there, and the caller's own availability."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from cdmx.actions.users import agent_json, do_set_availability
from cdmx.db.tables import User
from cdmx.web.api.deps import DB, CurrentUser

router = APIRouter(tags=["agents"])


@router.get("/agents")
def get_agents(user: CurrentUser, db: DB) -> dict[str, Any]:
    """Every active user with their availability and open conversations."""
    with db.read() as session:
        users = session.scalars(
            select(User)
            .where(User.is_active.is_(True), User.role != "integration")
            .order_by(User.name)
        )
        return {"agents": [agent_json(session, u) for u in users]}


@router.get("/me")
def get_me(user: CurrentUser, db: DB) -> dict[str, Any]:
    with db.read() as session:
        return agent_json(session, user)


class AvailabilityChange(BaseModel):
    availability: Literal["available", "away", "offline"]


@router.put("/me/availability")
def set_availability(body: AvailabilityChange, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Become available (and receive waiting conversations), away or offline."""
    with db.write() as session:
        changed = do_set_availability(session, user.id, body.availability)
        return agent_json(session, changed)
