"""Operator endpoints: /healthz (the process is up), /readyz (it can do its job), /metrics."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from cdmx.db.engine import Database
from cdmx.queries.metrics import RECENT_UPDATES, read_metrics
from cdmx.web.errors import error_response
from cdmx.web.services import services

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> Response:
    return PlainTextResponse("ok")


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    """200 when the database answers; 503 with the reason otherwise."""
    db: Database = services(request).db
    try:
        await run_in_threadpool(_ping, db)
    except Exception as exc:
        return error_response(503, "database_unavailable", f"database: {type(exc).__name__}")
    return PlainTextResponse("ready")


def _ping(db: Database) -> None:
    with db.read() as session:
        session.execute(text("SELECT 1"))


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus text format: backlogs, open conversations, messages, channel health.

    With ``CDMX_METRICS_TOKEN`` set, only ``Authorization: Bearer <token>`` may read it."""
    app = services(request)
    expected = app.settings.metrics_token
    if expected:
        given = request.headers.get("authorization", "")
        if not secrets.compare_digest(given.encode(), f"Bearer {expected}".encode()):
            response = error_response(401, "unauthorized", "/metrics needs its bearer token.")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
    with app.db.read() as session:
        figures = read_metrics(session)
    lines: list[str] = []

    def gauge(name: str, help_: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} gauge")
        lines.extend(f"{name}{labels} {value}" for labels, value in samples)

    gauge(
        "cdmx_inbox_pending", "Webhook updates stored but not yet processed.",
        [("", figures.inbox_pending)],
    )  # fmt: skip
    gauge(
        "cdmx_outbox_pending", "Replies accepted but not yet sent.",
        [("", figures.outbox_pending)],
    )  # fmt: skip
    gauge(
        "cdmx_webhook_deliveries_pending", "Events waiting to be delivered to a webhook.",
        [("", figures.webhooks_pending)],
    )  # fmt: skip
    gauge(
        "cdmx_conversations", "Open conversations by status (closed ones are not counted).",
        [(f'{{status="{s}"}}', n) for s, n in figures.open_by_status.items()],
    )  # fmt: skip
    gauge(
        "cdmx_messages_stored", "Messages stored so far (the highest message id).",
        [("", figures.messages_stored)],
    )  # fmt: skip
    gauge(
        "cdmx_channel_healthy", "1 when the number can send, 0 when it needs attention.",
        [(f'{{phone_number_id="{p}"}}', 1 if h == "ok" else 0) for p, h in figures.channels],
    )  # fmt: skip
    gauge(
        "cdmx_inbox_unknown_number",
        f"Updates for a phone_number_id that is not connected, among the last "
        f"{RECENT_UPDATES} stored (kept, see inbox.error).",
        [("", figures.unknown_number)],
    )
    gauge(
        "cdmx_event_streams", "Open console event streams in this process.",
        [("", app.bus.subscriber_count)],
    )  # fmt: skip
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
