"""Outgoing webhooks on the Standard Webhooks specification: which events a subscription may
want, the envelope they travel in, how a request is signed, and when a failed one is tried
again. Pure: the actions and the deliverer use it, the tests check it against the
``standardwebhooks`` package."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from cdmx.domain.events import (
    CONVERSATION_ACTIVITY,
    STORED_EVENTS,
    Author,
    ConversationSnapshot,
    MessageSnapshot,
)

SECRET_PREFIX = "whsec_"
TEST_EVENT = "webhook.test"
SEND_TO_EVENT = "conversation.sent"  # what a "send to…" action POSTs
# What a subscription may ask for: every stored event but the presence signal (it lives a
# few seconds and says nothing a system can act on), and the test event the console sends.
EVENT_TYPES: tuple[str, ...] = (
    *(model.type for model in STORED_EVENTS if model.type != CONVERSATION_ACTIVITY),
    TEST_EVENT,
)
ALL = "*"

TIMEOUT_SECONDS = 10.0  # an answer later than this is a failure
RETRY_FOR = timedelta(days=3)  # then the delivery is given up (still resendable)
DISABLE_AFTER = timedelta(days=1)  # an endpoint failing this long is turned off
ROTATION_OVERLAP = timedelta(hours=24)  # the old secret signs too, for this long
_FIRST_RETRY_SECONDS = 2.0
_MAX_RETRY_SECONDS = 4 * 3600.0
EXCERPT_BYTES = 500  # of an endpoint's answer, kept in the delivery log


def new_secret() -> str:
    """A signing secret: ``whsec_`` and 32 random bytes in base64 (the format libraries read)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(raw + "=" * (-len(raw) % 4))


def signature(secrets_: Iterable[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: ``v1,<base64 HMAC-SHA256>`` of
    ``{id}.{timestamp}.{body}`` for each secret, space-separated (two during a rotation)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(_key(s), signed, hashlib.sha256).digest()).decode()
        for s in secrets_
    )


def wants(events: Iterable[str], event_type: str) -> bool:
    """Whether a subscription to ``events`` receives an event of this type (a test event
    goes only where it is sent)."""
    if event_type == TEST_EVENT:
        return False
    chosen = set(events)
    return ALL in chosen or event_type in chosen


def retry_delay(failures: int, jitter: float) -> float:
    """Seconds before the next attempt after ``failures`` failed ones: 2 s, then ×4 each time
    (8 s, 32 s, ~2 min, ~9 min, ~34 min, ~2 h), at most 4 h; ``jitter`` in [0, 1) spreads it
    by ±20 % so endpoints that came back are not hit by every retry at once."""
    base = min(_FIRST_RETRY_SECONDS * 4.0 ** min(max(0, failures - 1), 20), _MAX_RETRY_SECONDS)
    return base * (0.8 + 0.4 * jitter)


def message_id(event_id: int | None, delivery_id: int) -> str:
    """``webhook-id``: the event's (the same across retries and endpoints, so a receiver
    can drop a repeat); a test event's own."""
    return f"evt_{event_id}" if event_id is not None else f"test_{delivery_id}"


def envelope(
    event_type: str, id_: str, created_at: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    """The body of every webhook: ``{"type", "id", "created_at", "data"}``, ``data`` as the
    event stream carries it."""
    created = created_at.isoformat().replace("+00:00", "Z")
    return {"type": event_type, "id": id_, "created_at": created, "data": data}


class SendToData(BaseModel):
    """What a "send to…" action POSTs: the conversation, its customer's profile (as
    ``GET /api/v1/contacts/{id}`` shows it), its newest messages (oldest first) and who
    sent it."""

    model_config = ConfigDict(extra="forbid")

    action: dict[str, Any]
    conversation: ConversationSnapshot
    contact: dict[str, Any]
    messages: list[MessageSnapshot]
    sent_by: Author


class TestEventData(BaseModel):
    """What the console's "send test event" carries."""

    model_config = ConfigDict(extra="forbid")

    subscription_id: int
    message: str


SCHEMA_VERSION = 1


def event_schemas() -> dict[str, Any]:
    """A JSON Schema (2020-12) per event type a subscription may receive: the envelope, with
    ``data`` exactly the shape the event stream carries."""
    models: dict[str, type[BaseModel]] = {
        model.type: model for model in STORED_EVENTS if model.type in EVENT_TYPES
    }
    models[TEST_EVENT] = TestEventData
    schemas = {event_type: _schema(event_type, model) for event_type, model in models.items()}
    return {
        "version": SCHEMA_VERSION, "events": schemas,
        "actions": {SEND_TO_EVENT: _schema(SEND_TO_EVENT, SendToData)},
    }  # fmt: skip


def _schema(event_type: str, model: type[BaseModel]) -> dict[str, Any]:
    """The envelope of one type, with ``data`` the model's JSON Schema."""
    data = model.model_json_schema(ref_template="#/$defs/{model}")
    defs = data.pop("$defs", {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{event_type} webhook",
        "type": "object",
        "required": ["type", "id", "created_at", "data"],
        "additionalProperties": False,
        "properties": {
            "type": {"const": event_type},
            "id": {"type": "string", "description": "the webhook-id header's value"},
            "created_at": {"type": "string", "format": "date-time"},
            "data": data,
        },
        "$defs": defs,
    }
