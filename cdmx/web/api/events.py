"""GET /api/v1/events: the Server-Sent Events stream (see cdmx.realtime.sse)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from cdmx.realtime.sse import event_stream
from cdmx.web.api.deps import CurrentUser
from cdmx.web.auth import credential_check
from cdmx.web.services import services

router = APIRouter(tags=["events"])


@router.get("/events", response_class=StreamingResponse)
async def events(request: Request, user: CurrentUser) -> StreamingResponse:
    """Every event the caller may see, live; resume with the Last-Event-ID header."""
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id", "")
    # No header: a fresh stream starting now. A number: replay what came after it.
    last_event_id = int(raw) if raw.strip().isdigit() else None
    state = services(request)
    return StreamingResponse(
        event_stream(
            state.feed,
            user,
            last_event_id,
            state.stopping,
            state.presence,
            still_open=credential_check(request),
        ),  # fmt: skip
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
