"""Outgoing webhooks: the subscriptions admins manage, the delivery outbox written with each
change, and recording what an endpoint answered.

A delivery row is written for every event a subscription wants, in the transaction that
emits the event (``queue_deliveries``, called as the events are written), so a delivery
exists exactly when the change does. The deliverer (cdmx/workers/webhooks.py) claims the
oldest pending row of each conversation per subscription — a later event waits for an
earlier one being retried — as a lease, so a crashed deliverer's rows come back.
"""

from __future__ import annotations

import json
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, delete, event, exists, select, update
from sqlalchemy.orm import Session, aliased

from cdmx.actions.audit import changed_values, record_audit
from cdmx.db.tables import (
    EVENTS,
    WEBHOOK_ATTEMPTS,
    WEBHOOK_DELIVERIES,
    WEBHOOK_SUBSCRIPTIONS,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from cdmx.domain.errors import Forbidden, Invalid, NotFound
from cdmx.domain.sealing import Sealer
from cdmx.domain.states import Role
from cdmx.domain.webhooks import (
    ALL,
    DISABLE_AFTER,
    EVENT_TYPES,
    RETRY_FOR,
    ROTATION_OVERLAP,
    TEST_EVENT,
    envelope,
    message_id,
    new_secret,
    retry_delay,
    wants,
)

MAX_URL = 2000
MAX_DESCRIPTION = 500
# Longer than a request may take (TIMEOUT_SECONDS) with room to record it; a dead
# deliverer's rows come back after this.
LEASE = timedelta(seconds=15)

# --- subscriptions --------------------------------------------------------------------------


def _admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise Forbidden("admins_only", "Only an admin manages webhooks.")


def clean_url(url: str) -> str:
    """An endpoint's address: http(s), a host, no credentials; else Invalid."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(
            "invalid_url", f"url: an http:// or https:// address of at most {MAX_URL} characters."
        )
    if parts.username or parts.password:
        raise Invalid(
            "invalid_url", "url: no user or password in the address (the requests are signed)."
        )
    return url


def _clean_events(events: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(str(e).strip() for e in events))
    if not chosen:
        raise Invalid("invalid_events", 'events: at least one event type, or ["*"].')
    unknown = [e for e in chosen if e != ALL and e not in EVENT_TYPES or e == TEST_EVENT]
    if unknown:
        raise Invalid(
            "invalid_events",
            f"events: unknown type {unknown[0]!r}; one of {', '.join(EVENT_TYPES[:-1])} or *.",
        )
    return [ALL] if ALL in chosen else chosen


def _clean_description(description: str | None) -> str:
    text = (description or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise Invalid("invalid_description", f"description: at most {MAX_DESCRIPTION} characters.")
    return text


def _audited(subscription: WebhookSubscription) -> dict[str, Any]:
    """What the audit trail keeps of a subscription (never a secret)."""
    return {
        "url": subscription.url, "events": list(subscription.events),
        "description": subscription.description, "active": subscription.active,
    }  # fmt: skip


def _load(session: Session, subscription_id: int) -> WebhookSubscription:
    found = session.get(WebhookSubscription, subscription_id)
    if found is None:
        raise NotFound("webhook_not_found", f"No webhook {subscription_id}.")
    return found


def do_create_subscription(
    session: Session, user: User, sealer: Sealer, *,
    url: str, events: Sequence[str], description: str | None = None,
) -> tuple[WebhookSubscription, str]:  # fmt: skip
    """A new endpoint and its signing secret (returned once: only its sealed form is kept)."""
    _admin(user)
    now = datetime.now(UTC)
    secret = new_secret()
    subscription = WebhookSubscription(
        url=clean_url(url), events=_clean_events(events),
        description=_clean_description(description), secret_sealed=sealer.seal(secret),
        active=True, created_by_id=user.id, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(subscription)
    session.flush()
    forget_subscriptions(session)
    record_audit(
        session, "webhook.created", object_type="webhook", object_id=subscription.id,
        after=_audited(subscription),
    )  # fmt: skip
    return subscription, secret


def do_update_subscription(
    session: Session, user: User, subscription_id: int, changes: dict[str, Any]
) -> WebhookSubscription:
    """Change ``url``, ``events``, ``description`` or ``active``; turning an endpoint on
    again clears why it was turned off, and its pending deliveries resume."""
    _admin(user)
    subscription = _load(session, subscription_id)
    before = _audited(subscription)
    if "url" in changes:
        subscription.url = clean_url(changes["url"])
    if "events" in changes:
        subscription.events = _clean_events(changes["events"])
    if "description" in changes:
        subscription.description = _clean_description(changes["description"])
    if "active" in changes:
        active = bool(changes["active"])
        if active and not subscription.active:
            subscription.disabled_reason = None
            subscription.failing_since = None
        subscription.active = active
    subscription.updated_at = datetime.now(UTC)
    session.flush()
    forget_subscriptions(session)
    old, new = changed_values(before, _audited(subscription))
    if new:
        record_audit(
            session, "webhook.changed", object_type="webhook", object_id=subscription.id,
            before=old, after=new,
        )  # fmt: skip
    return subscription


def do_delete_subscription(session: Session, user: User, subscription_id: int) -> None:
    """The endpoint, its pending deliveries and its log are gone."""
    _admin(user)
    subscription = _load(session, subscription_id)
    deliveries = select(WebhookDelivery.id).where(
        WebhookDelivery.subscription_id == subscription.id
    )
    # Locked first: a deliverer recording an attempt meanwhile waits for this transaction
    # instead of adding a log row between the two deletes (a foreign-key violation).
    session.execute(deliveries.with_for_update()).all()
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    )
    record_audit(
        session, "webhook.deleted", object_type="webhook", object_id=subscription.id,
        before=_audited(subscription),
    )  # fmt: skip
    session.delete(subscription)
    session.flush()
    forget_subscriptions(session)


def do_rotate_secret(
    session: Session, user: User, sealer: Sealer, subscription_id: int
) -> tuple[WebhookSubscription, str]:
    """A new secret; the old one signs too for ROTATION_OVERLAP, so the receiver can switch
    without losing an event."""
    _admin(user)
    subscription = _load(session, subscription_id)
    secret = new_secret()
    now = datetime.now(UTC)
    subscription.previous_secret_sealed = subscription.secret_sealed
    subscription.previous_secret_until = now + ROTATION_OVERLAP
    subscription.secret_sealed = sealer.seal(secret)
    subscription.updated_at = now
    session.flush()
    record_audit(
        session, "webhook.secret_rotated", object_type="webhook", object_id=subscription.id
    )
    return subscription, secret


def _new_delivery(
    subscription_id: int, event_type: str, now: datetime, **fields: Any
) -> dict[str, Any]:
    return {
        "subscription_id": subscription_id, "event_type": event_type, "status": "pending",
        "attempts": 0, "next_attempt_at": now, "created_at": now, "event_id": None,
        "conversation_id": None, "payload": None, **fields,
    }  # fmt: skip


def do_send_test(session: Session, user: User, subscription_id: int) -> WebhookDelivery:
    """A ``webhook.test`` event to this endpoint alone (even while it is turned off)."""
    _admin(user)
    subscription = _load(session, subscription_id)
    now = datetime.now(UTC)
    delivery = WebhookDelivery(**_new_delivery(subscription.id, TEST_EVENT, now))
    session.add(delivery)
    session.flush()
    delivery.payload = envelope(
        TEST_EVENT, message_id(None, delivery.id), now,
        {"subscription_id": subscription.id, "message": "A test event from WhatsApp CDMX."},
    )  # fmt: skip
    _wake(session)
    record_audit(session, "webhook.tested", object_type="webhook", object_id=subscription.id)
    return delivery


def do_resend(
    session: Session, user: User, subscription_id: int, delivery_id: int
) -> WebhookDelivery:
    """The same event again (the same ``webhook-id``), as a new delivery."""
    _admin(user)
    original = session.get(WebhookDelivery, delivery_id)
    if original is None or original.subscription_id != subscription_id:
        raise NotFound(
            "delivery_not_found", f"No delivery {delivery_id} for webhook {subscription_id}."
        )
    copy = WebhookDelivery(
        **_new_delivery(
            original.subscription_id, original.event_type, datetime.now(UTC),
            event_id=original.event_id, conversation_id=original.conversation_id,
            payload=original.payload,
        )
    )  # fmt: skip
    session.add(copy)
    session.flush()
    _wake(session)
    record_audit(
        session, "webhook.resent", object_type="webhook", object_id=subscription_id,
        detail={"delivery_id": original.id, "event_type": original.event_type},
    )  # fmt: skip
    return copy


# --- the delivery outbox, written with each change -------------------------------------------

_SUBSCRIPTIONS_TTL = 1.0  # seconds; another instance's change is seen within this
# Per engine (one database; a test's engine never sees another test's subscriptions).
_cache_lock = threading.Lock()
_cache: weakref.WeakKeyDictionary[Any, tuple[float, list[tuple[int, tuple[str, ...]]]]] = (
    weakref.WeakKeyDictionary()
)
_ACTIVE = select(WEBHOOK_SUBSCRIPTIONS.c.id, WEBHOOK_SUBSCRIPTIONS.c.events).where(
    WEBHOOK_SUBSCRIPTIONS.c.active.is_(True)
)
_INSERT_DELIVERIES = WEBHOOK_DELIVERIES.insert()


def forget_subscriptions(session: Session | None = None) -> None:
    """This process reads the subscriptions again at the next event — and once more after
    ``session`` commits (a read in between would cache the old ones)."""
    if session is not None:
        session.info["webhooks_changed"] = True
    with _cache_lock:
        _cache.clear()


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    if session.info.pop("webhooks_changed", False):
        forget_subscriptions()


def _subscriptions(session: Session) -> list[tuple[int, tuple[str, ...]]]:
    """The active subscriptions and what they want, read at most once a second."""
    engine = session.get_bind()
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(engine)
    if cached is not None and cached[0] > now:
        return cached[1]
    rows = session.connection().execute(_ACTIVE).all()
    found = [(row.id, tuple(row.events or ())) for row in rows]
    with _cache_lock:
        _cache[engine] = (now + _SUBSCRIPTIONS_TTL, found)
    return found


def wanted_by_subscriptions(session: Session, event_types: Iterable[str]) -> bool:
    """Whether any active subscription wants one of these events (then their ids are needed)."""
    return any(
        wants(events, event_type)
        for _, events in _subscriptions(session)
        for event_type in event_types
    )


def queue_deliveries(
    session: Session, events: Sequence[tuple[int, str, int | None, datetime]]
) -> int:
    """One delivery per (event, subscription that wants it), in the events' transaction;
    ``events`` are (id, type, conversation id, created at). Returns how many."""
    subscriptions = _subscriptions(session)
    rows = [
        _new_delivery(
            subscription_id,
            event_type,
            created_at,
            event_id=event_id,
            conversation_id=conversation_id,
        )  # fmt: skip
        for event_id, event_type, conversation_id, created_at in events
        for subscription_id, wanted in subscriptions
        if wants(wanted, event_type)
    ]
    if rows:
        session.connection().execute(_INSERT_DELIVERIES, rows)
        _wake(session)
    return len(rows)


def _wake(session: Session) -> None:
    session.info.setdefault("wake", set()).add("webhooks")


# --- claiming and recording -----------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryJob:
    delivery_id: int
    subscription_id: int
    url: str
    secrets: tuple[str, ...]  # the current one first; during a rotation the previous too
    webhook_id: str
    body: bytes
    attempts: int  # counting this one
    created_at: datetime


_EARLIER = aliased(WebhookDelivery)
_CLAIMABLE = (
    select(
        WEBHOOK_DELIVERIES.c.id,
        WEBHOOK_DELIVERIES.c.subscription_id,
        WEBHOOK_DELIVERIES.c.event_id,
        WEBHOOK_DELIVERIES.c.event_type,
        WEBHOOK_DELIVERIES.c.payload,
        WEBHOOK_DELIVERIES.c.attempts,
        WEBHOOK_DELIVERIES.c.created_at,
    )  # fmt: skip
    .join(WEBHOOK_SUBSCRIPTIONS, WEBHOOK_SUBSCRIPTIONS.c.id == WEBHOOK_DELIVERIES.c.subscription_id)
    .where(
        WEBHOOK_DELIVERIES.c.status == "pending",
        WEBHOOK_DELIVERIES.c.next_attempt_at <= bindparam("now"),
        WEBHOOK_DELIVERIES.c.locked_until.is_(None)
        | (WEBHOOK_DELIVERIES.c.locked_until <= bindparam("now")),
        # A test event goes even to an endpoint that is turned off.
        WEBHOOK_SUBSCRIPTIONS.c.active.is_(True) | (WEBHOOK_DELIVERIES.c.event_type == TEST_EVENT),
        # The oldest pending one of its conversation for this endpoint: order is kept.
        WEBHOOK_DELIVERIES.c.conversation_id.is_(None)
        | ~exists().where(
            _EARLIER.subscription_id == WEBHOOK_DELIVERIES.c.subscription_id,
            _EARLIER.conversation_id == WEBHOOK_DELIVERIES.c.conversation_id,
            _EARLIER.status == "pending",
            _EARLIER.id < WEBHOOK_DELIVERIES.c.id,
        ),
    )
    .order_by(WEBHOOK_DELIVERIES.c.id)
    .limit(bindparam("limit"))
)
_CLAIMABLE_SKIP_LOCKED = _CLAIMABLE.with_for_update(of=WEBHOOK_DELIVERIES, skip_locked=True)
_LEASE = (
    update(WEBHOOK_DELIVERIES)
    .where(WEBHOOK_DELIVERIES.c.id.in_(bindparam("ids", expanding=True)))
    .values(locked_until=bindparam("until"), attempts=WEBHOOK_DELIVERIES.c.attempts + 1)
)
_EVENTS = select(EVENTS.c.id, EVENTS.c.type, EVENTS.c.data, EVENTS.c.created_at).where(
    EVENTS.c.id.in_(bindparam("ids", expanding=True))
)
_TARGETS = select(WEBHOOK_SUBSCRIPTIONS).where(
    WEBHOOK_SUBSCRIPTIONS.c.id.in_(bindparam("ids", expanding=True))
)


def body_bytes(payload: dict[str, Any]) -> bytes:
    """A payload as it is signed and sent: compact UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def claim_deliveries(
    session: Session, sealer: Sealer, now: datetime, limit: int
) -> list[DeliveryJob]:
    """Lease the next deliverable row of each conversation of each active endpoint."""
    connection = session.connection()
    query = _CLAIMABLE_SKIP_LOCKED if connection.dialect.name == "postgresql" else _CLAIMABLE
    rows = connection.execute(query, {"now": now, "limit": limit}).all()
    if not rows:
        return []
    event_ids = sorted({row.event_id for row in rows if row.event_id is not None})
    events = {e.id: e for e in connection.execute(_EVENTS, {"ids": event_ids})} if event_ids else {}
    targets = {
        t.id: t
        for t in connection.execute(_TARGETS, {"ids": sorted({r.subscription_id for r in rows})})
    }
    jobs = []
    for row in rows:
        target = targets[row.subscription_id]
        secrets = [sealer.unseal(target.secret_sealed)]
        if target.previous_secret_sealed and (target.previous_secret_until or now) > now:
            secrets.append(sealer.unseal(target.previous_secret_sealed))
        if row.payload is not None:  # a test event (or its resend): its own id
            payload = row.payload
            webhook_id = str(payload["id"])
        else:
            webhook_id = message_id(row.event_id, row.id)
            event = events[row.event_id]
            payload = envelope(event.type, webhook_id, event.created_at, event.data)
        jobs.append(
            DeliveryJob(
                delivery_id=row.id,
                subscription_id=row.subscription_id,
                url=target.url,
                secrets=tuple(secrets),
                webhook_id=webhook_id,
                body=body_bytes(payload),
                attempts=row.attempts + 1,
                created_at=row.created_at,
            )  # fmt: skip
        )
    connection.execute(_LEASE, {"ids": [job.delivery_id for job in jobs], "until": now + LEASE})
    return jobs


@dataclass(frozen=True)
class Answer:
    """What an endpoint did with one request."""

    job: DeliveryJob
    status_code: int | None  # None: no answer (refused, timed out)
    duration_ms: int
    excerpt: str | None  # the first bytes of the answer
    error: str | None  # why there was no answer

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


_DELIVERED = (
    update(WEBHOOK_DELIVERIES)
    .where(
        WEBHOOK_DELIVERIES.c.id == bindparam("delivery_id"),
        WEBHOOK_DELIVERIES.c.status == "pending",
    )
    .values(
        status="delivered",
        delivered_at=bindparam("now"),
        locked_until=None,
        last_status_code=bindparam("code"),
        last_error=None,
    )  # fmt: skip
)
_FAILED = (
    update(WEBHOOK_DELIVERIES)
    .where(
        WEBHOOK_DELIVERIES.c.id == bindparam("delivery_id"),
        WEBHOOK_DELIVERIES.c.status == "pending",
    )
    .values(
        status=bindparam("status"),
        next_attempt_at=bindparam("next_at"),
        locked_until=None,
        last_status_code=bindparam("code"),
        last_error=bindparam("error"),
    )  # fmt: skip
)
_INSERT_ATTEMPTS = WEBHOOK_ATTEMPTS.insert()


def _why(answer: Answer) -> str:
    return answer.error or f"HTTP {answer.status_code}"


def do_record_answers(
    session: Session,
    answers: Sequence[Answer],
    now: datetime,
    jitter: Callable[[], float] = random.random,
) -> None:
    """Record a batch of requests: the log, each delivery done or due again (given up after
    RETRY_FOR), and each endpoint's health — turned off once it has failed for a day."""
    connection = session.connection()
    connection.execute(
        _INSERT_ATTEMPTS,
        [
            {
                "delivery_id": a.job.delivery_id,
                "attempted_at": now,
                "status_code": a.status_code,
                "duration_ms": a.duration_ms,
                "response_excerpt": a.excerpt,
                "error": a.error,
            }  # fmt: skip
            for a in answers
        ],
    )
    succeeded: set[int] = set()
    failed: dict[int, Answer] = {}
    for answer in answers:
        job = answer.job
        if answer.ok:
            connection.execute(
                _DELIVERED, {"delivery_id": job.delivery_id, "now": now, "code": answer.status_code}
            )
            succeeded.add(job.subscription_id)
            continue
        give_up = now - job.created_at >= RETRY_FOR
        next_at = now + timedelta(seconds=retry_delay(job.attempts, jitter()))
        connection.execute(
            _FAILED,
            {
                "delivery_id": job.delivery_id, "status": "failed" if give_up else "pending",
                "next_at": now if give_up else next_at, "code": answer.status_code,
                "error": _why(answer)[:1000],
            },
        )  # fmt: skip
        failed[job.subscription_id] = answer
    if succeeded:
        # An endpoint that was failing answers again: what waits for its retry goes now, so
        # an outage costs its own length, not that plus the longest backoff.
        recovered = (
            connection.execute(
                update(WEBHOOK_SUBSCRIPTIONS)
                .where(
                    WEBHOOK_SUBSCRIPTIONS.c.id.in_(sorted(succeeded)),
                    WEBHOOK_SUBSCRIPTIONS.c.failing_since.is_not(None),
                )
                .values(failing_since=None)
                .returning(WEBHOOK_SUBSCRIPTIONS.c.id)
            )
            .scalars()
            .all()
        )
        if recovered:
            connection.execute(
                update(WEBHOOK_DELIVERIES)
                .where(
                    WEBHOOK_DELIVERIES.c.subscription_id.in_(sorted(recovered)),
                    WEBHOOK_DELIVERIES.c.status == "pending",
                    WEBHOOK_DELIVERIES.c.next_attempt_at > now,
                )
                .values(next_attempt_at=now)
            )
            _wake(session)
    for subscription_id, answer in failed.items():
        if subscription_id in succeeded:
            continue  # one answer of this batch was a success: it is not down
        _note_failure(session, subscription_id, answer, now)


def _note_failure(session: Session, subscription_id: int, answer: Answer, now: datetime) -> None:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        return
    if subscription.failing_since is None:
        subscription.failing_since = now
    elif subscription.active and now - subscription.failing_since >= DISABLE_AFTER:
        subscription.active = False
        subscription.disabled_reason = (
            f"Turned off: every delivery failed for 24 hours (last: {_why(answer)})."
        )
        subscription.updated_at = now
        forget_subscriptions(session)
    session.flush()
