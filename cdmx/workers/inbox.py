"""The inbox processor: turns stored webhook bodies into messages.

Updates are claimed in batches and processed in one transaction per batch. When one of
them fails (a bug: bad input is recorded, not raised) the batch rolls back and its updates
are processed again one per transaction, the failing one recorded with a back-off; so a
broken body holds back only itself. A batch ends after ``BATCH_SECONDS`` of work, because
on SQLite it holds the one write lock the webhook also needs, and its messages reach the
console only when it commits.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from cdmx.actions.inbox import claim_updates, do_process_update, do_record_processing_failure
from cdmx.db.engine import Database

log = logging.getLogger(__name__)

BATCH = 50
BATCH_SECONDS = 0.02


def process_pending(db: Database, limit: int = 500) -> int:
    """Process up to ``limit`` stored updates; returns how many were handled."""
    handled = 0
    while handled < limit:
        done = _process_batch(db, min(BATCH, limit - handled))
        if not done:
            return handled
        handled += done
    return handled


def _process_batch(db: Database, size: int) -> int:
    try:
        return _process_together(db, size)
    except Exception:
        # Rolled back whole; now each update alone, so only the broken one is held back.
        log.warning("an update failed inside a batch; processing the batch one by one")
        return sum(_process_alone(db) for _ in range(size))


def _process_together(db: Database, size: int) -> int:
    done = 0
    with db.write() as session:
        deadline = time.monotonic() + BATCH_SECONDS
        for row in claim_updates(session, datetime.now(UTC), size):
            do_process_update(session, row)
            done += 1
            if time.monotonic() >= deadline:
                break  # the rest stay pending (and unlocked) for the next batch
    return done


def _process_alone(db: Database) -> int:
    with db.write() as session:
        claimed = claim_updates(session, datetime.now(UTC), 1)
        if not claimed:
            return 0
        row = claimed[0]
        try:
            with session.begin_nested():
                do_process_update(session, row)
        except Exception as exc:  # a bug, not bad input: keep the row, retry later
            log.exception("inbox %s could not be processed", row.id)
            session.info.pop("events", None)  # rolled back with the savepoint
            do_record_processing_failure(session, row, f"{type(exc).__name__}: {exc}")
    return 1


async def run_inbox(db: Database, wakeup: asyncio.Event, stop: asyncio.Event) -> None:
    """Process whenever woken (a webhook was stored) and every few seconds as a safety net."""
    while not stop.is_set():
        wakeup.clear()
        try:
            handled = await asyncio.to_thread(process_pending, db)
        except Exception:
            log.exception("inbox processor failed; retrying shortly")
            handled = 0
        if handled:
            continue
        try:
            await asyncio.wait_for(wakeup.wait(), timeout=2.0)
        except TimeoutError:
            pass
