"""The inbox processor's batches: one transaction per batch, or customers side by side."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, update

import cdmx.actions.inbox as inbox_actions
import cdmx.workers.inbox as inbox_worker
from cdmx.actions.inbox import MAX_ATTEMPTS, do_store_update, lease_updates
from cdmx.db.engine import Database
from cdmx.db.tables import Event, InboxUpdate, Message
from cdmx.workers.inbox import InboxThreads, process_pending, run_inbox
from tests.conftest import record_calls
from tests.factories import text_message

BROKEN = "5215500000002"


def store(db: Database, *wa_ids: str) -> list[int]:
    with db.write() as session:
        for wa_id in wa_ids:
            do_store_update(
                session, json.dumps(text_message(f"hola de {wa_id}", wa_id=wa_id)).encode()
            )
    with db.read() as session:
        return list(session.scalars(select(InboxUpdate.id).order_by(InboxUpdate.id)))


@pytest.fixture
def bug_for_one_customer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Record the message for real, then fail for one sender: a bug after writes."""
    record = inbox_actions.do_record_inbound_message

    def record_then_fail(session: Any, channel: Any, inbound: Any) -> Any:
        message = record(session, channel, inbound)
        if inbound.sender.wa_id == BROKEN:
            raise RuntimeError("a bug while processing")
        return message

    monkeypatch.setattr(inbox_actions, "do_record_inbound_message", record_then_fail)


def test_a_bug_in_one_update_rolls_back_that_update_only(
    db: Database, bug_for_one_customer: None
) -> None:
    ids = store(db, "5215500000001", BROKEN, "5215500000003")

    assert process_pending(db) == 3

    with db.read() as session:
        texts = set(session.scalars(select(Message.text)))
        rows = {row.id: row for row in session.scalars(select(InboxUpdate))}
        events = list(session.scalars(select(Event)))
    assert texts == {"hola de 5215500000001", "hola de 5215500000003"}
    assert rows[ids[0]].processed_at is not None and rows[ids[2]].processed_at is not None
    broken = rows[ids[1]]
    assert broken.processed_at is None, "kept for a retry"
    assert broken.attempts == 1
    assert broken.error is not None and "a bug while processing" in broken.error
    assert broken.locked_until is not None and broken.locked_until > datetime.now(UTC)
    # Nothing of the rolled-back update was published: no event names that customer.
    assert all(BROKEN not in json.dumps(event.data) for event in events)
    assert {e.data["message"]["text"] for e in events if e.type == "message.created"} == texts


def test_an_update_that_keeps_failing_is_kept_as_failed(
    db: Database, bug_for_one_customer: None
) -> None:
    [update_id] = store(db, BROKEN)
    for _ in range(MAX_ATTEMPTS):
        with db.write() as session:  # its back-off has passed
            session.get(InboxUpdate, update_id).locked_until = None  # type: ignore[union-attr]
        process_pending(db)

    with db.read() as session:
        row = session.get(InboxUpdate, update_id)
        assert row is not None
        assert row.attempts == MAX_ATTEMPTS
        assert row.processed_at is not None, "no longer retried"
        assert session.scalar(select(func.count(Message.id))) == 0


def batches_committed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many updates each batch transaction processed, in order (filled as they run)."""
    commits: list[int] = []
    real_batch = inbox_worker._process_batch

    def counting(database: Database, size: int, waiting: Callable[[], int]) -> int:
        done = real_batch(database, size, waiting)
        commits.append(done)
        return done

    monkeypatch.setattr(inbox_worker, "_process_batch", counting)
    return commits


def test_a_batch_ends_at_its_time_budget_and_the_rest_follow(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_worker, "BATCH_SECONDS", 0.0)  # one update per transaction
    commits = batches_committed(monkeypatch)
    store(db, *(f"52155000001{i:02d}" for i in range(5)))

    assert process_pending(db) == 5
    assert commits == [1, 1, 1, 1, 1, 0]
    with db.read() as session:
        assert session.scalar(select(func.count(Message.id))) == 5
        pending = select(func.count(InboxUpdate.id)).where(InboxUpdate.processed_at.is_(None))
        assert session.scalar(pending) == 0


def test_one_batch_processes_several_updates_in_one_transaction(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_worker, "BATCH_SECONDS", 60.0)
    commits = batches_committed(monkeypatch)
    store(db, *(f"52155000002{i:02d}" for i in range(7)))

    assert process_pending(db) == 7
    assert commits == [7, 0]


def test_webhooks_waiting_end_a_batch_and_a_burst_of_them_makes_the_processor_step_aside(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_worker, "BATCH_SECONDS", 60.0)
    commits = batches_committed(monkeypatch)
    pauses: list[float] = []
    monkeypatch.setattr(inbox_worker.time, "sleep", pauses.append)
    store(db, *(f"52155000003{i:02d}" for i in range(6)))
    # Asked after each update and after each batch: a few webhooks waiting, then a burst,
    # then none.
    queue, burst = inbox_worker.QUEUE, inbox_worker.DEEP_QUEUE
    waiting = iter([queue, queue, burst, burst] + [0] * 100)

    assert process_pending(db, webhooks_waiting=lambda: next(waiting)) == 6
    assert commits == [1, 1, 4, 0]  # each wait ended a batch; the rest went together
    assert pauses == [inbox_worker.STEP_ASIDE_SECONDS]  # only the burst: a step aside
    with db.read() as session:
        assert session.scalar(select(func.count(Message.id))) == 6


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a nice value per thread")
async def test_the_processor_works_below_the_web_s_cpu_priority(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    priorities = record_calls(
        monkeypatch, inbox_worker, "do_process_update",
        note=lambda *_: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()),
    )  # fmt: skip
    web = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    store(db, "5215500000401", "5215500000402")
    wakeup, stop = asyncio.Event(), asyncio.Event()
    processor = asyncio.create_task(run_inbox(db, wakeup, stop, threads=3))
    for _ in range(200):
        if len(priorities) == 2:
            break
        await asyncio.sleep(0.01)
    stop.set()
    wakeup.set()
    await asyncio.wait_for(processor, 10)

    # On PostgreSQL the updates run on the side-by-side threads (threads=3): those too.
    assert priorities == [inbox_worker.NICENESS] * 2
    assert web < inbox_worker.NICENESS  # the web's thread (this one) kept its priority
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == web
    with db.read() as session:
        assert session.scalar(select(func.count(Message.id))) == 2


@pytest.fixture
def pool() -> Iterator[InboxThreads]:
    with InboxThreads(3) as executor:
        yield executor


def test_side_by_side_a_thread_takes_a_transaction_only_for_every_few_customers(
    db: Database, pool: InboxThreads, monkeypatch: pytest.MonkeyPatch
) -> None:
    transactions: list[int] = []
    real_group = inbox_worker._process_group

    def counting(database: Database, rows: list[Any]) -> None:
        transactions.append(len(rows))
        real_group(database, rows)

    monkeypatch.setattr(inbox_worker, "_process_group", counting)
    per_thread = inbox_worker.GROUPS_PER_THREAD
    store(db, *(f"52155000004{i:02d}" for i in range(per_thread)))
    assert process_pending(db, pool=pool) == per_thread
    assert transactions == [per_thread]  # a trickle: one transaction, not one per thread

    transactions.clear()
    store(db, *(f"52155000005{i:02d}" for i in range(3 * per_thread)))
    assert process_pending(db, pool=pool) == 3 * per_thread
    assert transactions == [per_thread] * 3  # a backlog: every thread
    with db.read() as session:
        assert session.scalar(select(func.count(Message.id))) == 4 * per_thread


def test_side_by_side_each_body_is_parsed_once(
    db: Database, pool: InboxThreads, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = record_calls(monkeypatch, inbox_actions, "parse_update")
    store(db, *(f"52155000006{i:02d}" for i in range(6)))
    assert process_pending(db, pool=pool) == 6  # grouped by customer, then processed
    assert len(parsed) == len(set(parsed)) == 6


def test_side_by_side_each_customer_keeps_the_order_of_their_messages(
    db: Database, pool: InboxThreads, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_worker, "GROUPS_PER_THREAD", 1)  # each customer a thread
    record = inbox_actions.do_record_inbound_message

    def slow_on_even(session: Any, channel: Any, inbound: Any) -> Any:
        if inbound.text.endswith(("#0", "#2", "#4")):
            time.sleep(0.03)  # a later message of the same customer would overtake it
        return record(session, channel, inbound)

    monkeypatch.setattr(inbox_actions, "do_record_inbound_message", slow_on_even)
    customers = [f"52155000003{i:02d}" for i in range(2)]  # fewer than the threads
    with db.write() as session:
        for n in range(6):  # interleaved: c0 #0, c1 #0, c0 #1, c1 #1, …
            for wa_id in customers:
                body = text_message(f"{wa_id} #{n}", wa_id=wa_id, wamid=f"wamid.ORD{wa_id}{n}")
                do_store_update(session, json.dumps(body).encode())

    assert process_pending(db, pool=pool) == 12

    with db.read() as session:
        rows = session.execute(select(Message.id, Message.text).order_by(Message.id)).all()
        pending = select(func.count(InboxUpdate.id)).where(InboxUpdate.processed_at.is_(None))
        assert session.scalar(pending) == 0
    for wa_id in customers:
        theirs = [text for _, text in rows if text.startswith(wa_id)]
        assert theirs == [f"{wa_id} #{n}" for n in range(6)]


def test_side_by_side_a_bug_holds_back_only_its_update(
    db: Database, pool: InboxThreads, bug_for_one_customer: None
) -> None:
    ids = store(db, "5215500000001", BROKEN, "5215500000003")

    assert process_pending(db, pool=pool) == 3

    with db.read() as session:
        texts = set(session.scalars(select(Message.text)))
        broken = session.get(InboxUpdate, ids[1])
    assert texts == {"hola de 5215500000001", "hola de 5215500000003"}
    assert broken is not None and broken.processed_at is None and broken.attempts == 1


def test_a_leased_batch_waits_for_its_lease_then_anyone_processes_it(
    db: Database, pool: InboxThreads
) -> None:
    store(db, "5215500000041", "5215500000042")
    with db.write() as session:  # a worker leases them, then dies before processing
        leased = lease_updates(session.connection(), datetime.now(UTC), 10, inbox_worker.LEASE)
    assert len(leased) == 2

    assert process_pending(db, pool=pool) == 0, "still leased"
    with db.write() as session:  # the lease runs out
        session.execute(update(InboxUpdate).values(locked_until=datetime.now(UTC)))

    assert process_pending(db, pool=pool) == 2
    with db.read() as session:
        assert session.scalar(select(func.count(Message.id))) == 2
