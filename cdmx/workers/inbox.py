"""The inbox processor: turns stored webhook bodies into messages, one transaction each."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from cdmx.actions.inbox import claim_next_update, do_process_update, do_record_processing_failure
from cdmx.db.engine import Database

log = logging.getLogger(__name__)


def process_pending(db: Database, limit: int = 500) -> int:
    """Process up to ``limit`` stored updates; returns how many were handled."""
    handled = 0
    while handled < limit:
        failed: tuple[int, str] | None = None
        with db.write() as session:
            row = claim_next_update(session, datetime.now(UTC))
            if row is None:
                return handled
            row_id = row.id
            try:
                with session.begin_nested():
                    do_process_update(session, row)
            except Exception as exc:  # a bug, not bad input: keep the row, retry later
                log.exception("inbox %s could not be processed", row_id)
                failed = (row_id, f"{type(exc).__name__}: {exc}")
        if failed is not None:
            with db.write() as session:
                do_record_processing_failure(session, *failed)
        handled += 1
    return handled


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
