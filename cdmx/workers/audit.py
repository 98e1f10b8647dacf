"""The audit trail's retention: rows older than ``CDMX_AUDIT_RETENTION_DAYS`` are deleted
once an hour (and at start), in batches so a first purge of a large trail never holds the
table for long. The only delete of the trail (``do_purge_audit``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from cdmx.actions.audit import do_purge_audit
from cdmx.db.engine import Database

log = logging.getLogger(__name__)
BATCH = 10_000


def purge_audit_once(db: Database, retention_days: int, now: datetime | None = None) -> int:
    """Delete every entry older than the retention, BATCH per transaction; how many."""
    if retention_days <= 0:
        return 0
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    total = 0
    while True:
        with db.write() as session:
            deleted = do_purge_audit(session, cutoff, limit=BATCH)
        total += deleted
        if deleted < BATCH:
            return total


async def run_audit_retention(
    db: Database, retention_days: int, stop: asyncio.Event, every_seconds: float = 3600
) -> None:
    """Purge at start and then every ``every_seconds`` until ``stop``; failures are logged."""
    while not stop.is_set():
        try:
            deleted = await asyncio.to_thread(purge_audit_once, db, retention_days)
            if deleted:
                log.info("audit trail: %d entries past the retention deleted", deleted)
        except Exception:
            log.exception("audit retention sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)
