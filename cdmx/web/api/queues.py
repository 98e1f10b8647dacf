"""Queues (teams): everyone signed in lists them; admins create and change them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from cdmx.actions.queues import do_create_queue, do_update_queue
from cdmx.db.tables import Queue
from cdmx.domain.errors import NotFound
from cdmx.queries.queues import queues_json
from cdmx.web.api.deps import DB, AdminUser, CurrentUser
from cdmx.web.services import services

router = APIRouter(tags=["queues"])

HOURS_DOC = (
    'null (always open) or {"weekly": {"mon": [["09:00", "18:00"]], …, "sun": []}, '
    '"holidays": "MX" | null, "closed_dates": ["2026-12-24"]}, in CDMX_TIMEZONE'
)


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(services(request).settings.timezone)


class QueueFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=100)
    number_ids: list[int] | None = Field(None, description="The numbers that feed this queue")
    member_ids: list[int] | None = Field(None, description="Its agents and supervisors")
    hours: dict[str, Any] | None = Field(None, description=HOURS_DOC)
    greeting_message: str | None = Field(None, description="Sent on a new conversation")
    closed_message: str | None = Field(None, description="Sent when a customer writes closed")
    reroute_after_minutes: int | None = Field(None, description="null: never re-route")
    auto_close_after_hours: int | None = Field(None, description="null: never auto-close")
    target_first_response_seconds: int | None = Field(
        None, description="The first response's target, in business-hours seconds (reports)"
    )
    csat_enabled: bool | None = Field(
        None, description="Send the satisfaction survey when a conversation closes"
    )
    csat_template_name: str | None = Field(
        None, max_length=512, description="The survey's template once the 24-hour window shut"
    )
    csat_template_language: str | None = Field(
        None, max_length=20, description="Its language (es_MX); null: its first approved one"
    )


@router.get("/queues")
def list_queues(request: Request, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Every queue with its numbers, members, hours, messages and timers."""
    with db.read() as session:
        queues = list(session.scalars(select(Queue).order_by(Queue.is_default.desc(), Queue.name)))
        return {"queues": queues_json(session, queues, zone=_zone(request))}


@router.post("/queues", status_code=201)
def create_queue(body: QueueFields, request: Request, user: AdminUser, db: DB) -> dict[str, Any]:
    """A new queue (admins)."""
    with db.write() as session:
        queue = do_create_queue(session, **body.model_dump(exclude_unset=True))
        return _one(session, queue, request)


@router.get("/queues/{queue_id}")
def get_queue(queue_id: int, request: Request, user: CurrentUser, db: DB) -> dict[str, Any]:
    """One queue, with ``open_now`` (its business hours at this moment)."""
    with db.read() as session:
        queue = session.get(Queue, queue_id)
        if queue is None:
            raise NotFound("queue_not_found", f"No queue {queue_id}.")
        return _one(session, queue, request)


@router.patch("/queues/{queue_id}")
def update_queue(
    queue_id: int, body: QueueFields, request: Request, user: AdminUser, db: DB
) -> dict[str, Any]:
    """Change what is given, leave the rest (admins)."""
    with db.write() as session:
        queue = do_update_queue(session, queue_id, **body.model_dump(exclude_unset=True))
        return _one(session, queue, request)


def _one(session: Any, queue: Queue, request: Request) -> dict[str, Any]:
    [shown] = queues_json(session, [queue], now=datetime.now(UTC), zone=_zone(request))
    return shown
