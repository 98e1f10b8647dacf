"""Outgoing webhooks (``/api/v1/webhooks``): admins register endpoints, rotate their
secrets, read the delivery log, resend and send a test event; the published JSON Schema of
every payload is public to anyone signed in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from cdmx.actions.webhooks import (
    do_create_subscription,
    do_delete_subscription,
    do_resend,
    do_rotate_secret,
    do_send_test,
    do_update_subscription,
)
from cdmx.db.tables import WebhookSubscription
from cdmx.domain.errors import NotFound
from cdmx.domain.webhooks import event_schemas
from cdmx.queries.webhooks import all_subscriptions, delivery_log, subscription_json
from cdmx.web.api.deps import DB, AdminUser, CurrentUser
from cdmx.web.services import services

router = APIRouter(tags=["webhooks"])

WebhookId = Path(ge=1, le=2**63 - 1)
DeliveryId = Path(ge=1, le=2**63 - 1)


class NewWebhook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, description="http:// or https://; POSTed JSON")
    events: list[str] = Field(
        max_length=50, description='event types, e.g. ["message.created"], or ["*"]'
    )
    description: str | None = Field(None, max_length=500)


class WebhookChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, max_length=2000)
    events: list[str] | None = Field(None, max_length=50)
    description: str | None = Field(None, max_length=500)
    active: bool | None = None


@router.get("/webhooks/schema")
def webhook_schema(user: CurrentUser) -> dict[str, Any]:
    """A JSON Schema for each event type's payload, ``{"version", "events": {type: schema}}``."""
    return event_schemas()


@router.get("/webhooks")
def list_webhooks(user: AdminUser, db: DB) -> dict[str, Any]:
    with db.read() as session:
        return {"webhooks": all_subscriptions(session)}


@router.post("/webhooks", status_code=201)
def create_webhook(body: NewWebhook, user: AdminUser, db: DB, request: Request) -> dict[str, Any]:
    """The subscription with its ``secret`` (``whsec_…``): shown this once."""
    with db.write() as session:
        subscription, secret = do_create_subscription(
            session, user, services(request).sealer,
            url=body.url, events=body.events, description=body.description,
        )  # fmt: skip
        return {**subscription_json(subscription), "secret": secret}


def _get(db: DB, webhook_id: int) -> dict[str, Any]:
    with db.read() as session:
        found = session.get(WebhookSubscription, webhook_id)
        if found is None:
            raise NotFound("webhook_not_found", f"No webhook {webhook_id}.")
        return subscription_json(found)


@router.get("/webhooks/{webhook_id}")
def get_webhook(user: AdminUser, db: DB, webhook_id: int = WebhookId) -> dict[str, Any]:
    return _get(db, webhook_id)


@router.patch("/webhooks/{webhook_id}")
def update_webhook(
    body: WebhookChanges, user: AdminUser, db: DB, webhook_id: int = WebhookId
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    with db.write() as session:
        return subscription_json(do_update_subscription(session, user, webhook_id, changes))


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(user: AdminUser, db: DB, webhook_id: int = WebhookId) -> Response:
    with db.write() as session:
        do_delete_subscription(session, user, webhook_id)
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/rotate-secret")
def rotate_secret(
    user: AdminUser, db: DB, request: Request, webhook_id: int = WebhookId
) -> dict[str, Any]:
    """A new ``secret``, shown this once; the old one keeps signing too for 24 hours."""
    with db.write() as session:
        subscription, secret = do_rotate_secret(session, user, services(request).sealer, webhook_id)
        return {**subscription_json(subscription), "secret": secret}


@router.get("/webhooks/{webhook_id}/deliveries")
def list_deliveries(
    user: AdminUser,
    db: DB,
    webhook_id: int = WebhookId,
    before: int | None = Query(None, ge=1, le=2**63 - 1, description="the log's `next`"),
) -> dict[str, Any]:
    """The newest deliveries with their last attempts; ``next`` pages on (``?before=``)."""
    _get(db, webhook_id)
    with db.read() as session:
        return delivery_log(session, webhook_id, before=before)


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}/resend", status_code=202)
def resend(
    user: AdminUser, db: DB, webhook_id: int = WebhookId, delivery_id: int = DeliveryId
) -> dict[str, Any]:
    """The same event again (the same ``webhook-id``), queued now."""
    with db.write() as session:
        copy = do_resend(session, user, webhook_id, delivery_id)
        return {"id": copy.id, "status": copy.status}


@router.post("/webhooks/{webhook_id}/test", status_code=202)
def send_test(user: AdminUser, db: DB, webhook_id: int = WebhookId) -> dict[str, Any]:
    """A ``webhook.test`` event to this endpoint, queued now."""
    with db.write() as session:
        delivery = do_send_test(session, user, webhook_id)
        return {"id": delivery.id, "status": delivery.status}
