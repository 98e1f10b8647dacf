"""The inbox processor: turns stored webhook bodies into messages.

Updates are claimed in batches and processed in one transaction per batch. When one of
them fails (a bug: bad input is recorded, not raised) the batch rolls back and its updates
are processed again one per transaction, the failing one recorded with a back-off; so a
broken body holds back only itself. A batch ends after ``BATCH_SECONDS`` of work, because
on SQLite it holds the one write lock the webhook also needs, and its messages reach the
console only when it commits.

On PostgreSQL a message costs a dozen round trips, so one thread waits more than it works.
There the processor leases a batch (``lease_updates``), groups it by customer and runs the
groups side by side in ``CDMX_INBOX_THREADS`` threads, each thread's share of the groups in
one transaction: one customer's updates keep their order, different customers' do not wait
for each other.
The next batch is leased when the whole batch is done. A worker that dies mid-batch leaves
its updates leased for ``LEASE``; then any worker processes them (processing is
idempotent: a stored wamid is not stored again).

The processor's threads run at the lowest CPU priority (``NICENESS``, Linux): when the
machine is busy the web's threads run first, so a burst of webhooks is acknowledged at the
web's full rate and its backlog processed in the time the web leaves; when the machine has
room nothing changes. The price is paid only in sustained overload: on PostgreSQL, where
each of a message's round trips wakes the thread again, the most new customers per second
processed without falling behind drops by about a fifth (docs/capacity.md).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from cdmx.actions.inbox import (
    ClaimedUpdate,
    claim_updates,
    customer_key,
    do_process_update,
    do_record_processing_failure,
    do_record_refused_update,
    forget_processed,
    lease_updates,
)
from cdmx.actions.reporting import forget_reports
from cdmx.db.engine import Database
from cdmx.workers.loop import run_woken

log = logging.getLogger(__name__)

BATCH = 50
BATCH_SECONDS = 0.02
QUEUE = 4
DEEP_QUEUE = 16
STEP_ASIDE_SECONDS = 0.002
LEASE = timedelta(seconds=15)
GROUPS_PER_THREAD = 4
NICENESS = 19


class InboxThreads(ThreadPoolExecutor):
    """Threads that process updates: the processor's own, or those that run different
    customers' updates side by side (PostgreSQL); ``below_web``: at the lowest priority."""

    def __init__(self, threads: int, *, below_web: bool = False) -> None:
        initializer = lower_priority if below_web else None
        super().__init__(threads, thread_name_prefix="inbox", initializer=initializer)
        self.threads = threads


def lower_priority() -> None:
    """Give the calling thread the lowest CPU priority (Linux keeps a nice value per thread).

    Measured (docs/capacity.md): single-message ingest rose from 0.24–0.35 to 0.59–0.73 of
    the bare endpoint on SQLite, and from 0.35–0.36 to 0.66–0.72 on PostgreSQL, because the
    webhook no longer shares the CPU half and half with the processor. The processor still
    gets every idle moment; it waits only while the web has work. Raising a nice value
    needs no privilege; where it is refused (a sandbox) the thread keeps its priority.
    """
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, thread, NICENESS)
    except OSError as exc:
        log.info("inbox processor keeps its CPU priority: %s", exc)


def process_pending(
    db: Database,
    limit: int = 500,
    pool: InboxThreads | None = None,
    webhooks_waiting: Callable[[], int] | None = None,
) -> int:
    """Process up to ``limit`` stored updates; returns how many were handled. With a
    ``pool`` (PostgreSQL), different customers' updates are processed side by side.

    ``webhooks_waiting`` (the webhook's writer in this process: how many requests wait to be
    stored) makes acknowledging Meta come first (DESIGN.md: nothing else on the request
    path). A batch ends after ``BATCH_SECONDS``, or as soon as ``QUEUE`` wait, so on SQLite
    they wait for the writer's turn a few milliseconds at most; when ``DEEP_QUEUE`` or more
    wait (a burst beyond what this process can store and
    process at once), the processor also steps aside between batches, and the backlog is
    processed once the burst is over.
    """
    handled = 0
    waiting = webhooks_waiting or _none
    while handled < limit:
        size = min(BATCH, limit - handled)
        if pool:
            done = _process_in_parallel(db, size, pool)
        else:
            done = _process_batch(db, size, waiting)
        if not done:
            return handled
        handled += done
        if waiting() >= DEEP_QUEUE:
            time.sleep(STEP_ASIDE_SECONDS)  # the GIL and SQLite's writer turn go to them
    return handled


def _none() -> int:
    return 0


def _process_in_parallel(db: Database, size: int, pool: InboxThreads) -> int:
    if db.is_sqlite:
        with db.write() as session:
            leased = lease_updates(session.connection(), datetime.now(UTC), size, LEASE)
    else:
        with db.autocommit() as connection:  # one statement: one round trip
            leased = lease_updates(connection, datetime.now(UTC), size, LEASE)
    groups: dict[str, list[ClaimedUpdate]] = defaultdict(list)
    for row in leased:
        groups[customer_key(row)].append(row)
    # One transaction per thread, not per customer: a transaction's own round trips (BEGIN,
    # the channel, the events, the processed marks, COMMIT) cost as much as a message's. And
    # a thread only for every GROUPS_PER_THREAD customers: a small batch (a steady trickle)
    # is cheaper in one or two transactions; a large one (a backlog) uses every thread.
    threads = max(1, min(pool.threads, -(-len(groups) // GROUPS_PER_THREAD)))
    chunks: list[list[ClaimedUpdate]] = [[] for _ in range(threads)]
    for rows in sorted(groups.values(), key=len, reverse=True):
        min(chunks, key=len).extend(rows)
    for _ in pool.map(lambda rows: _process_group(db, rows), [c for c in chunks if c]):
        pass
    return len(leased)


def _process_group(db: Database, rows: list[ClaimedUpdate]) -> None:
    try:
        with db.write() as session:
            for row in rows:
                do_process_update(session, row)
    except Exception:
        log.warning("an update failed inside a batch; processing its group one by one")
        for row in rows:
            with db.write() as session:
                _process_alone_in(session, row)


def _process_batch(db: Database, size: int, webhooks_waiting: Callable[[], int]) -> int:
    try:
        return _process_together(db, size, webhooks_waiting)
    except Exception:
        # Rolled back whole; now each update alone, so only the broken one is held back.
        log.warning("an update failed inside a batch; processing the batch one by one")
        return sum(_process_alone(db) for _ in range(size))


def _process_together(db: Database, size: int, webhooks_waiting: Callable[[], int]) -> int:
    done = 0
    with db.write() as session:
        start = time.monotonic()
        for row in claim_updates(session, datetime.now(UTC), size):
            do_process_update(session, row)
            done += 1
            if time.monotonic() - start >= BATCH_SECONDS or webhooks_waiting() >= QUEUE:
                break  # the rest stay pending (and unlocked) for the next batch
    return done


def _process_alone(db: Database) -> int:
    with db.write() as session:
        claimed = claim_updates(session, datetime.now(UTC), 1)
        if not claimed:
            return 0
        _process_alone_in(session, claimed[0])
    return 1


def _process_alone_in(session: Session, row: ClaimedUpdate) -> None:
    try:
        with session.begin_nested():
            do_process_update(session, row)
    except (DataError, OverflowError) as exc:  # bad input the parser let through
        session.info.pop("events", None)
        forget_processed(session)
        do_record_refused_update(session, row, str(getattr(exc, "orig", None) or exc))
    except Exception as exc:  # a bug, not bad input: keep the row, retry later
        log.exception("inbox %s could not be processed", row.id)
        session.info.pop("events", None)  # rolled back with the savepoint
        forget_reports(session)
        forget_processed(session)
        do_record_processing_failure(session, row, f"{type(exc).__name__}: {exc}")


async def run_inbox(
    db: Database,
    wakeup: asyncio.Event,
    stop: asyncio.Event,
    threads: int = 1,
    *,
    webhooks_waiting: Callable[[], int] | None = None,
) -> None:
    """Process whenever woken (a webhook was stored) and every few seconds as a safety net;
    on PostgreSQL with ``threads`` > 1, different customers side by side."""
    side_by_side = not db.is_sqlite and threads > 1
    own = InboxThreads(1, below_web=True)  # the processor's thread
    pool = InboxThreads(threads, below_web=True) if side_by_side else None
    work = functools.partial(process_pending, db, pool=pool, webhooks_waiting=webhooks_waiting)
    loop = asyncio.get_running_loop()
    try:
        await run_woken(
            lambda: loop.run_in_executor(own, work), wakeup, stop, poll_seconds=2.0,
            name="inbox processor",
        )  # fmt: skip
    finally:
        own.shutdown(wait=True)
        if pool is not None:
            pool.shutdown(wait=True)
