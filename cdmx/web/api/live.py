"""The supervisor's live view as JSON (supervisors: their queues; admins: every queue;
agents 403): ``GET /api/v1/live``, what ``/supervisor`` shows and refetches on each event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from cdmx.queries.live import live_view
from cdmx.queries.queues import business_zone
from cdmx.queries.reports import report_scope
from cdmx.web.api.deps import DB, CurrentUser

router = APIRouter(tags=["reports"])


@router.get("/live")
def get_live(user: CurrentUser, db: DB) -> dict[str, Any]:
    """Per queue: waiting now, the oldest wait, open, agents by availability, today's first
    responses and the share within target; per agent: availability, open against capacity,
    the oldest unanswered customer, today's replies and median first response; the waits,
    oldest first. Definitions: docs/reports.md."""
    with db.read() as session:
        queues = report_scope(session, user)
        return live_view(session, queues, business_zone(session), datetime.now(UTC))
