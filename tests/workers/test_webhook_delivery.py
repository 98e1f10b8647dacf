"""The webhook deliverer against a real endpoint, on a clock the test moves: a failing
endpoint is tried again soon, then later and later; one conversation's events stay in
order while one is stuck (the others' go on); an endpoint failing for a day is turned off
and the admins told; a delivery is given up after three days; a dead deliverer's leases
come back; a slow endpoint times out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from cdmx.actions.webhooks import claim_deliveries, do_create_subscription
from cdmx.db.engine import Database
from cdmx.db.tables import User, WebhookAttempt, WebhookDelivery, WebhookSubscription
from cdmx.domain.sealing import Sealer
from cdmx.workers import webhooks as deliverer_module
from cdmx.workers.webhooks import WebhookDeliverer
from tests.actions.test_outbox import open_conversation
from tests.servers import serving
from tests.webhook_receiver import Receiver

SEALER = Sealer("test-key")


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver()
    async with serving(receiver.app) as base:
        yield receiver, f"{base}/hook"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def subscribe(
    db: Database, make_user: Callable[..., User], url: str, events: list[str]
) -> tuple[int, str]:
    admin = make_user(role="admin", availability="away")
    with db.write() as session:
        user = session.get(User, admin.id)
        assert user is not None
        subscription, secret = do_create_subscription(session, user, SEALER, url=url, events=events)
        return subscription.id, secret


def deliveries(db: Database) -> list[WebhookDelivery]:
    with db.read() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def subscription(db: Database, subscription_id: int) -> WebhookSubscription:
    with db.read() as session:
        found = session.get(WebhookSubscription, subscription_id)
        assert found is not None
        return found


async def test_a_failing_endpoint_is_tried_again_soon_then_later(
    db: Database, make_user: Callable[..., User], endpoint: tuple[Receiver, str], http: Any
) -> None:
    receiver, url = endpoint
    subscription_id, secret = subscribe(db, make_user, url, ["message.created"])
    receiver.answer = lambda _: 503 if len(receiver.received) <= 2 else 200
    open_conversation(db, wa_id="5215500000021")
    clock = Clock()
    deliverer = WebhookDeliverer(db, SEALER, clock=clock)

    assert await deliverer.deliver_due(http) == 1  # first try: 503
    (row,) = deliveries(db)
    first_wait = (row.next_attempt_at - clock.now).total_seconds()
    assert 1.5 <= first_wait <= 2.5  # a blip costs seconds, not minutes
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 503)
    assert subscription(db, subscription_id).failing_since == clock.now
    assert await deliverer.deliver_due(http) == 0  # not due yet

    clock.advance(seconds=2.5)
    assert await deliverer.deliver_due(http) == 1  # second try: 503 again
    (row,) = deliveries(db)
    second_wait = (row.next_attempt_at - clock.now).total_seconds()
    assert 6 <= second_wait <= 10
    clock.advance(seconds=10)
    assert await deliverer.deliver_due(http) == 1  # third: 200
    (row,) = deliveries(db)
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 3, 200)
    assert subscription(db, subscription_id).failing_since is None
    # The same webhook-id each time, and each try signed afresh.
    assert len(set(receiver.ids())) == 1 and len(receiver.received) == 3
    for got in receiver.received:
        Webhook(secret).verify(got.body, got.headers)
    with db.read() as session:
        codes = session.scalars(
            select(WebhookAttempt.status_code).order_by(WebhookAttempt.id)
        ).all()
    assert codes == [503, 503, 200]


async def test_a_stuck_event_holds_its_conversation_only(
    db: Database, make_user: Callable[..., User], endpoint: tuple[Receiver, str], http: Any
) -> None:
    receiver, url = endpoint
    subscribe(db, make_user, url, ["message.created"])
    stuck = {"on": True}

    def answer(got: Any) -> int:
        text = got.json["data"]["message"]["text"]
        return 500 if stuck["on"] and text == "A1" else 200

    receiver.answer = answer
    first = open_conversation(db, wa_id="5215500000031", text="A1")
    open_conversation(db, wa_id="5215500000032", text="B1")
    open_conversation(db, wa_id="5215500000031", text="A2")  # the same customer: A's
    texts = lambda: [r.json["data"]["message"]["text"] for r in receiver.received]  # noqa: E731
    clock = Clock()
    deliverer = WebhookDeliverer(db, SEALER, clock=clock)

    await deliverer.deliver_due(http)
    assert sorted(texts()) == ["A1", "B1"]  # A2 waits behind A1
    for _ in range(3):
        clock.advance(minutes=5)
        await deliverer.deliver_due(http)
    assert "A2" not in texts()
    assert texts().count("A1") == 4 and texts().count("B1") == 1
    stuck["on"] = False
    clock.advance(minutes=30)
    await deliverer.deliver_due(http)  # A1 goes through
    await deliverer.deliver_due(http)  # then A2
    assert texts()[-2:] == ["A1", "A2"]
    assert {r.status for r in deliveries(db)} == {"delivered"}
    assert {r.conversation_id for r in deliveries(db) if r.status == "delivered"} >= {first}


async def test_an_endpoint_failing_for_a_day_is_turned_off_and_a_delivery_given_up_after_three(
    db: Database, make_user: Callable[..., User], endpoint: tuple[Receiver, str], http: Any
) -> None:
    receiver, url = endpoint
    subscription_id, _ = subscribe(db, make_user, url, ["*"])
    receiver.answer = lambda _: 500
    open_conversation(db, wa_id="5215500000041")
    clock = Clock()
    deliverer = WebhookDeliverer(db, SEALER, clock=clock)
    assert await deliverer.deliver_due(http) == 1  # one conversation: its first event first
    assert len(deliveries(db)) >= 2  # conversation.created and message.created at least
    clock.advance(hours=23)
    await deliverer.deliver_due(http)
    assert subscription(db, subscription_id).active is True  # not a day yet
    clock.advance(hours=1, seconds=1)
    await deliverer.deliver_due(http)
    off = subscription(db, subscription_id)
    assert off.active is False
    assert (
        off.disabled_reason
        and "24 hours" in off.disabled_reason
        and "HTTP 500" in off.disabled_reason
    )
    count = len(receiver.received)
    clock.advance(hours=5)
    assert await deliverer.deliver_due(http) == 0  # turned off: nothing goes
    assert len(receiver.received) == count
    # Nothing is lost meanwhile: turned on again after three days, each is tried once more
    # and, failing, given up (still in the log, and resendable).
    with db.write() as session:
        row = session.get(WebhookSubscription, subscription_id)
        assert row is not None
        row.active, row.disabled_reason, row.failing_since = True, None, None
    clock.advance(days=3)
    rounds = 0
    while await deliverer.deliver_due(http):  # each given up lets the next one go
        rounds += 1
    assert rounds == len(deliveries(db))
    assert {r.status for r in deliveries(db)} == {"failed"}


async def test_a_dead_deliverers_leases_come_back(
    db: Database, make_user: Callable[..., User], endpoint: tuple[Receiver, str], http: Any
) -> None:
    receiver, url = endpoint
    subscribe(db, make_user, url, ["message.created"])
    open_conversation(db, wa_id="5215500000051")
    clock = Clock()
    with db.write() as session:  # a deliverer claims, then dies before sending
        assert len(claim_deliveries(session, SEALER, clock.now, 10)) == 1
    deliverer = WebhookDeliverer(db, SEALER, clock=clock)
    assert await deliverer.deliver_due(http) == 0  # leased to the dead one
    clock.advance(seconds=16)
    assert await deliverer.deliver_due(http) == 1
    (row,) = deliveries(db)
    assert (row.status, row.attempts) == ("delivered", 2)
    assert len(receiver.received) == 1


async def test_a_slow_endpoint_times_out_and_is_tried_again(
    db: Database,
    make_user: Callable[..., User],
    endpoint: tuple[Receiver, str],
    http: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver, url = endpoint
    subscribe(db, make_user, url, ["message.created"])
    monkeypatch.setattr(deliverer_module, "TIMEOUT_SECONDS", 0.3)
    receiver.delay = 1.0
    open_conversation(db, wa_id="5215500000061")
    deliverer = WebhookDeliverer(db, SEALER, clock=Clock())
    await deliverer.deliver_due(http)
    (row,) = deliveries(db)
    assert row.status == "pending" and row.last_error == "no answer within 0.3 s"
    assert row.last_status_code is None


async def test_an_endpoint_back_after_an_outage_gets_its_backlog_at_once(
    db: Database, make_user: Callable[..., User], endpoint: tuple[Receiver, str], http: Any
) -> None:
    receiver, url = endpoint
    subscription_id, _ = subscribe(db, make_user, url, ["message.created"])
    down = {"on": True}
    receiver.answer = lambda _: 503 if down["on"] else 200
    for n in range(3):  # three customers: three conversations, each its own head
        open_conversation(db, wa_id=f"52155000007{n:02d}")
    clock = Clock()
    deliverer = WebhookDeliverer(db, SEALER, clock=clock)
    for _ in range(4):  # two minutes of failures: the next tries are minutes away
        await deliverer.deliver_due(http)
        clock.advance(seconds=40)
    assert all(r.next_attempt_at > clock.now + timedelta(seconds=30) for r in deliveries(db))
    down["on"] = False
    open_conversation(db, wa_id="5215500000799")  # a new event: it goes at once, and succeeds
    assert await deliverer.deliver_due(http) == 1
    assert subscription(db, subscription_id).failing_since is None
    assert await deliverer.deliver_due(http) == 3  # the backlog, without waiting its backoff
    assert {r.status for r in deliveries(db)} == {"delivered"}
