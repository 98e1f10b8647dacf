"""Operator endpoints: /healthz (the process is up), /readyz (it can do its job), /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import func, select, text
from starlette.concurrency import run_in_threadpool

from cdmx.db.engine import Database
from cdmx.db.tables import (
    Channel,
    Conversation,
    InboxUpdate,
    Message,
    OutboxItem,
    WebhookDelivery,
)
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
    """Prometheus text format: backlogs, conversations by status, messages, channel health."""
    db: Database = services(request).db
    lines: list[str] = []

    def gauge(name: str, help_: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} gauge")
        lines.extend(f"{name}{labels} {value}" for labels, value in samples)

    with db.read() as session:
        inbox = session.scalar(
            select(func.count(InboxUpdate.id)).where(InboxUpdate.processed_at.is_(None))
        )
        outbox = session.scalar(
            select(func.count(OutboxItem.id)).where(OutboxItem.done_at.is_(None))
        )
        # On the partial index of pending deliveries: as cheap as the backlog is small.
        hooks = session.scalar(
            select(func.count(WebhookDelivery.id)).where(WebhookDelivery.status == "pending")
        )
        by_status = session.execute(
            select(Conversation.status, func.count(Conversation.id)).group_by(Conversation.status)
        ).all()
        by_direction = session.execute(
            select(Message.direction, Message.status, func.count(Message.id)).group_by(
                Message.direction, Message.status
            )
        ).all()
        channels = session.execute(select(Channel.phone_number_id, Channel.health)).all()
        unknown = session.scalar(
            select(func.count(InboxUpdate.id)).where(
                InboxUpdate.error.like("%unknown phone_number_id%")
            )
        )
    gauge("cdmx_inbox_pending", "Webhook updates stored but not yet processed.", [("", inbox or 0)])
    gauge("cdmx_outbox_pending", "Replies accepted but not yet sent.", [("", outbox or 0)])
    gauge(
        "cdmx_webhook_deliveries_pending", "Events waiting to be delivered to a webhook.",
        [("", hooks or 0)],
    )  # fmt: skip
    gauge(
        "cdmx_conversations", "Conversations by status.",
        [(f'{{status="{s}"}}', n) for s, n in by_status],
    )  # fmt: skip
    gauge(
        "cdmx_messages", "Messages by direction and status.",
        [(f'{{direction="{d}",status="{s}"}}', n) for d, s, n in by_direction],
    )  # fmt: skip
    gauge(
        "cdmx_channel_healthy", "1 when the number can send, 0 when it needs attention.",
        [(f'{{phone_number_id="{p}"}}', 1 if h == "ok" else 0) for p, h in channels],
    )  # fmt: skip
    gauge(
        "cdmx_inbox_unknown_number",
        "Stored updates for a phone_number_id that is not connected (kept, see inbox.error).",
        [("", unknown or 0)],
    )
    gauge(
        "cdmx_event_streams", "Open console event streams in this process.",
        [("", services(request).bus.subscriber_count)],
    )  # fmt: skip
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
