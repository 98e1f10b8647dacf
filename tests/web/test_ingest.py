"""Group commit on the webhook: many requests share a transaction, each is answered after
its commit, and nothing is acknowledged that was not stored."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from cdmx.app import create_app
from cdmx.db.engine import Database
from cdmx.db.tables import InboxUpdate, Message
from cdmx.settings import Settings
from cdmx.web.ingest import InboxWriter
from tests.conftest import BACKEND_URL, eventually, signed
from tests.factories import text_message

CUSTOMERS = [f"52155123450{i:02d}" for i in range(5)]


def webhook(n: int) -> tuple[bytes, dict[str, str]]:
    return signed(text_message(f"m{n}", wa_id=CUSTOMERS[n % len(CUSTOMERS)], wamid=f"wamid.G{n}"))


def stored_bodies(db: Database) -> list[bytes]:
    with db.read() as session:
        return list(session.scalars(select(InboxUpdate.body)))


def all_processed(db: Database, messages: int) -> Callable[[], bool]:
    def check() -> bool:
        with db.read() as session:
            pending = session.scalar(
                select(func.count(InboxUpdate.id)).where(InboxUpdate.processed_at.is_(None))
            )
            stored = session.scalar(select(func.count(Message.id)))
        return pending == 0 and stored == messages

    return check


@pytest.fixture
def failing_database(app: Any) -> Iterator[dict[str, str | None]]:
    """Make the app's database fail at ``fault["at"]`` ("insert" or "commit"), once."""
    fault: dict[str, str | None] = {"at": None}
    engine = app.state.services.db.engine

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if fault["at"] == "insert" and statement.startswith("INSERT INTO inbox"):
            fault["at"] = None
            raise OperationalError(statement, None, Exception("disk I/O error"))

    def on_commit(_conn: Any) -> None:
        if fault["at"] == "commit":
            fault["at"] = None
            raise OperationalError("COMMIT", None, Exception("disk I/O error"))

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    yield fault
    event.remove(engine, "before_cursor_execute", on_execute)
    event.remove(engine, "commit", on_commit)


async def test_concurrent_webhooks_are_stored_once_each_in_fewer_transactions(
    app: Any, client: httpx.AsyncClient, db: Database
) -> None:
    writer: InboxWriter = app.state.services.inbox_writer
    before = writer.transactions
    posts = [webhook(n) for n in range(100)]
    responses = await asyncio.gather(
        *(
            client.post("/webhooks/whatsapp", content=body, headers=headers)
            for body, headers in posts
        )
    )
    assert [r.status_code for r in responses] == [200] * len(posts)
    assert 0 < writer.transactions - before < len(posts)
    assert sorted(stored_bodies(db)) == sorted(body for body, _ in posts)
    await eventually(all_processed(db, len(posts)), timeout=30)


async def test_bodies_queued_together_are_committed_in_batches_of_at_most_max_batch(
    db: Database,
) -> None:
    writer = InboxWriter(db, max_batch=50)
    await writer.start()
    bodies = [webhook(n)[0] for n in range(120)]
    await asyncio.gather(*(writer.store(body, "meta") for body in bodies))
    await writer.stop()
    assert writer.transactions == 3  # 50 + 50 + 20: all were queued before the first began
    assert sorted(stored_bodies(db)) == sorted(bodies)


# On PostgreSQL a batch is one INSERT that commits by itself: no COMMIT of its own to fail.
FAULTS = ["insert", "commit"] if BACKEND_URL == "sqlite" else ["insert"]


@pytest.mark.parametrize("at", FAULTS)
async def test_a_failed_batch_answers_503_to_its_requests_and_stores_none_of_them(
    app: Any,
    client: httpx.AsyncClient,
    db: Database,
    failing_database: dict[str, str | None],
    at: str,
) -> None:
    failing_database["at"] = at
    posts = [webhook(n) for n in range(40)]

    async def post(body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await client.post("/webhooks/whatsapp", content=body, headers=headers)

    responses = await asyncio.gather(*(post(*p) for p in posts))
    refused = [p for p, r in zip(posts, responses, strict=True) if r.status_code == 503]
    acknowledged = [p[0] for p, r in zip(posts, responses, strict=True) if r.status_code == 200]
    assert refused and len(refused) + len(acknowledged) == len(posts)
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 503} == {"unavailable"}
    # Exactly what was answered 200 is stored; the failed batch left nothing behind.
    assert sorted(stored_bodies(db)) == sorted(acknowledged)
    # Meta retries the refused ones; the next batch works.
    retried = await asyncio.gather(*(post(*p) for p in refused))
    assert [r.status_code for r in retried] == [200] * len(refused)
    assert sorted(stored_bodies(db)) == sorted(body for body, _ in posts)
    await eventually(all_processed(db, len(posts)), timeout=30)


@pytest.mark.parametrize("at", FAULTS)
async def test_every_request_waiting_on_a_failed_transaction_gets_its_error(
    app: Any, db: Database, failing_database: dict[str, str | None], at: str
) -> None:
    writer = InboxWriter(app.state.services.db)
    await writer.start()
    failing_database["at"] = at
    first = [webhook(n)[0] for n in range(30)]
    outcomes = await asyncio.gather(
        *(writer.store(body, "meta") for body in first), return_exceptions=True
    )
    assert writer.transactions == 1
    assert all(isinstance(outcome, OperationalError) for outcome in outcomes)
    assert stored_bodies(db) == []
    second = [webhook(n)[0] for n in range(30, 60)]
    await asyncio.gather(*(writer.store(body, "meta") for body in second))
    await writer.stop()
    assert writer.transactions == 2
    assert sorted(stored_bodies(db)) == sorted(second)


async def test_duplicate_bodies_in_one_batch_are_stored_once(db: Database) -> None:
    writer = InboxWriter(db)
    await writer.start()
    earlier, body, other = (webhook(n)[0] for n in range(3))
    await writer.store(earlier, "meta")
    before = writer.transactions
    # Meta redelivers while the first delivery is still queued, and an older one again.
    await asyncio.gather(
        *(writer.store(b, "meta") for b in [body, body, other, body, earlier, other])
    )
    await writer.stop()
    assert writer.transactions - before == 1
    assert sorted(stored_bodies(db)) == sorted([earlier, body, other])


async def test_concurrent_redeliveries_through_the_webhook_store_one_message(
    client: httpx.AsyncClient, db: Database
) -> None:
    body, headers = webhook(0)
    responses = await asyncio.gather(
        *(client.post("/webhooks/whatsapp", content=body, headers=headers) for _ in range(10))
    )
    assert [r.status_code for r in responses] == [200] * 10
    assert stored_bodies(db) == [body]
    await eventually(all_processed(db, 1))


async def test_stopping_stores_what_is_queued_first(db: Database) -> None:
    writer = InboxWriter(db, max_batch=5)
    await writer.start()
    bodies = [webhook(n)[0] for n in range(20)]
    tasks = [asyncio.create_task(writer.store(body, "meta")) for body in bodies]
    await asyncio.sleep(0)  # every store() has queued; no writer has started a batch
    await writer.stop()
    await asyncio.gather(*tasks)
    assert writer.transactions == 4
    assert sorted(stored_bodies(db)) == sorted(bodies)
    # Once stopped, a late request still gets a transaction of its own.
    late = webhook(20)[0]
    await writer.store(late, "meta")
    assert late in stored_bodies(db)


async def test_a_webhook_before_the_writer_starts_is_stored_directly(
    settings: Settings, db: Database
) -> None:
    app = create_app(settings, run_workers=False)  # its lifespan (and writer) not started
    assert not app.state.services.inbox_writer.running
    body, headers = webhook(0)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.post("/webhooks/whatsapp", content=body, headers=headers)
    finally:  # no lifespan ran, so nothing else closes the app's connections
        app.state.services.db.dispose()
    assert response.status_code == 200
    [row] = stored_bodies(db)
    assert json.loads(row)["entry"][0]["changes"][0]["value"]["messages"][0]["id"] == "wamid.G0"
