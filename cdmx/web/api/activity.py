"""``POST /api/v1/conversations/{id}/activity``: "I am viewing / typing / gone" for the header."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict

from cdmx.actions.activity import do_report_activity
from cdmx.web.api.deps import DB, CurrentUser

router = APIRouter(tags=["conversations"])


class Activity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: str


@router.post("/conversations/{conversation_id}/activity", status_code=204)
def report_activity(conversation_id: int, body: Activity, user: CurrentUser, db: DB) -> Response:
    """One stored event per call (throttled by the console: 10 s viewing, 3 s typing)."""
    with db.write() as session:
        do_report_activity(session, user, conversation_id, body.state)
    return Response(status_code=204)
