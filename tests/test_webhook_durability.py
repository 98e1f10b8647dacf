"""Webhook deliveries under SIGKILL: a server killed while it delivers a burst of events
comes back and delivers every event the subscription wants at least once; none recorded as
delivered is sent again; each conversation's events still arrive in order."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import func, select
from standardwebhooks import Webhook

from cdmx.actions.webhooks import do_create_subscription
from cdmx.db.engine import Database
from cdmx.db.tables import Event, InboxUpdate, Message, User, WebhookDelivery
from cdmx.domain.sealing import Sealer
from cdmx.domain.webhooks import wants
from cdmx.settings import Settings
from tests.conftest import eventually, signed
from tests.factories import text_message
from tests.servers import ServerProcess, free_port, serving
from tests.test_durability import server_env
from tests.webhook_receiver import Receiver

CUSTOMERS = [f"52155123411{i:02d}" for i in range(6)]
EVENTS = ["message.created", "conversation.created", "conversation.assigned"]


async def test_a_killed_server_delivers_every_event_after_it_restarts(
    settings: Settings, db: Database, make_user: Callable[..., User], tmp_path: Path
) -> None:
    make_user()  # an agent, so conversations are assigned
    receiver = Receiver(delay=0.02)  # slow enough that some are in flight at the kill
    app_port, sim_port = free_port(), free_port()
    async with serving(receiver.app) as base:
        admin = make_user(role="admin", availability="away")
        with db.write() as session:
            user = session.get(User, admin.id)
            assert user is not None
            _, secret = do_create_subscription(
                session, user, Sealer(settings.secret_key), url=f"{base}/hook", events=EVENTS
            )
        server = ServerProcess(server_env(settings, sim_port), app_port, tmp_path / "server.log")
        await asyncio.to_thread(server.start)
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:

                async def burst(first: int, count: int) -> None:
                    for n in range(first, first + count):
                        payload = text_message(
                            f"m{n}", wa_id=CUSTOMERS[n % len(CUSTOMERS)], wamid=f"wamid.K{n:04d}"
                        )
                        body, headers = signed(payload)
                        response = await client.post(
                            "/webhooks/whatsapp", content=body, headers=headers
                        )
                        assert response.status_code == 200

                await burst(0, 60)
                await eventually(lambda: len(receiver.received) >= 10, timeout=15)
        finally:
            server.kill()
        with db.read() as session:
            delivered_at_kill = set(
                session.scalars(
                    select(WebhookDelivery.event_id).where(WebhookDelivery.status == "delivered")
                )
            )
            pending_at_kill = session.scalars(
                select(WebhookDelivery.id).where(WebhookDelivery.status == "pending")
            ).all()
        assert delivered_at_kill, "the kill came before any delivery was recorded"
        assert pending_at_kill, "the kill came after every delivery: nothing was left to recover"
        await asyncio.to_thread(server.start)
        try:

            def all_delivered() -> bool:
                # Every acknowledged message processed (the restarted server finishes the
                # inbox the killed one left), and every delivery of their events done.
                with db.read() as session:
                    unprocessed = session.scalar(
                        select(func.count(InboxUpdate.id)).where(InboxUpdate.processed_at.is_(None))
                    )
                    stored = session.scalar(select(func.count(Message.id)))
                    states = set(session.scalars(select(WebhookDelivery.status)))
                return unprocessed == 0 and (stored or 0) >= 60 and states == {"delivered"}

            await eventually(all_delivered, timeout=40)  # the dead one's leases lapse first
        finally:
            server.stop()

    with db.read() as session:
        wanted = [
            e for e in session.scalars(select(Event).order_by(Event.id)) if wants(EVENTS, e.type)
        ]
    received = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert set(received) == {f"evt_{e.id}" for e in wanted}  # every event, at least once
    for event_id in delivered_at_kill:
        assert received[f"evt_{event_id}"] == 1  # recorded as delivered: never again
    verifier = Webhook(secret)
    first_seen: dict[int, list[int]] = {}
    for got in receiver.received:
        payload = verifier.verify(got.body, got.headers)
        event_id = int(payload["id"].removeprefix("evt_"))
        conversation_id = payload["data"]["conversation"]["id"]
        seen = first_seen.setdefault(conversation_id, [])
        if event_id not in seen:
            seen.append(event_id)
    for order in first_seen.values():
        assert order == sorted(order)  # each conversation's events in the order they happened
