"""Reading webhooks: the subscriptions as the API shows them, and each one's delivery log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cdmx.db.tables import WebhookAttempt, WebhookDelivery, WebhookSubscription
from cdmx.domain.webhooks import message_id
from cdmx.queries.serialize import iso

LOG_PAGE = 50
ATTEMPTS_SHOWN = 5  # of each delivery, newest first


def subscription_json(subscription: WebhookSubscription) -> dict[str, Any]:
    """A subscription without its secret (shown once, when made or rotated)."""
    return {
        "id": subscription.id,
        "url": subscription.url,
        "description": subscription.description,
        "events": list(subscription.events),
        "active": subscription.active,
        "disabled_reason": subscription.disabled_reason,
        "failing_since": iso(subscription.failing_since),
        "previous_secret_expires_at": iso(subscription.previous_secret_until),
        "created_at": iso(subscription.created_at),
        "updated_at": iso(subscription.updated_at),
    }


def all_subscriptions(session: Session) -> list[dict[str, Any]]:
    found = session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id))
    return [subscription_json(s) for s in found]


def delivery_log(
    session: Session, subscription_id: int, *, before: int | None = None
) -> dict[str, Any]:
    """The newest deliveries (LOG_PAGE, older ones with ``before``), each with its last
    attempts: status code, time, duration and the first bytes of the answer."""
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    deliveries = list(
        session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(LOG_PAGE + 1))
    )
    more = len(deliveries) > LOG_PAGE
    deliveries = deliveries[:LOG_PAGE]
    attempts: dict[int, list[dict[str, Any]]] = {d.id: [] for d in deliveries}
    if deliveries:
        rows = session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(list(attempts)))
            .order_by(WebhookAttempt.id.desc())
        )
        for attempt in rows:
            shown = attempts[attempt.delivery_id]
            if len(shown) < ATTEMPTS_SHOWN:
                shown.append(
                    {
                        "at": iso(attempt.attempted_at),
                        "status_code": attempt.status_code,
                        "duration_ms": attempt.duration_ms,
                        "response": attempt.response_excerpt,
                        "error": attempt.error,
                    }  # fmt: skip
                )
    return {
        "deliveries": [
            {
                "id": d.id,
                "webhook_id": message_id(d.event_id, d.id),
                "event_id": d.event_id,
                "event_type": d.event_type,
                "conversation_id": d.conversation_id,
                "status": d.status,
                "attempts": d.attempts,
                "created_at": iso(d.created_at),
                "next_attempt_at": iso(d.next_attempt_at) if d.status == "pending" else None,
                "delivered_at": iso(d.delivered_at),
                "last_status_code": d.last_status_code,
                "last_error": d.last_error,
                "log": attempts[d.id],
            }  # fmt: skip
            for d in deliveries
        ],
        "next": deliveries[-1].id if more else None,
    }


def _webhook_id(delivery: WebhookDelivery) -> str:
    if delivery.payload is not None:
        return str(delivery.payload["id"])
    return message_id(delivery.event_id, delivery.id)


def disabled_subscriptions(session: Session) -> int:
    """How many endpoints were turned off for failing (the console tells the admins)."""
    turned_off = select(func.count()).where(
        WebhookSubscription.active.is_(False), WebhookSubscription.disabled_reason.is_not(None)
    )
    return session.scalar(turned_off) or 0
