"""The inbox processor: turns stored webhook bodies into messages.

Updates are claimed in batches and processed in one transaction per batch, each inside a
savepoint, so a bug in one body rolls back that body only and the others commit together.
A batch ends after ``BATCH_SECONDS`` of work, because on SQLite it holds the one write lock
the webhook also needs: a new batch lets the waiting webhook writers in first.
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
    done = 0
    with db.write() as session:
        claimed = claim_updates(session, datetime.now(UTC), size)
        deadline = time.monotonic() + BATCH_SECONDS
        for row in claimed:
            events = session.info.setdefault("events", [])
            published = len(events)
            try:
                with session.begin_nested():
                    do_process_update(session, row)
            except Exception as exc:  # a bug, not bad input: keep the row, retry later
                log.exception("inbox %s could not be processed", row.id)
                del events[published:]  # rolled back with the savepoint
                do_record_processing_failure(session, row, f"{type(exc).__name__}: {exc}")
            done += 1
            if time.monotonic() >= deadline:
                break  # the rest stay pending (and unlocked) for the next batch
    return done


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
