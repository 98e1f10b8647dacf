"""Template sync: fetch every page of each business account's templates, store them.

Runs on demand (``POST /api/v1/templates/sync``) and on a schedule (``run_template_sync``),
so a template approved or paused in WhatsApp Manager reaches the picker within the hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from cdmx.actions.templates import SyncResult, do_sync_templates
from cdmx.db.engine import Database
from cdmx.queries.templates import business_accounts
from cdmx.settings import Settings
from cdmx.whatsapp.errors import GraphError
from cdmx.whatsapp.graph import GraphClient

log = logging.getLogger(__name__)


async def sync_templates(db: Database, graph: GraphClient, waba_id: str, token: str) -> SyncResult:
    """Fetch all of one account's templates, then store them in one transaction."""
    templates = await graph.all_templates(waba_id, token)

    def store() -> SyncResult:
        with db.write() as session:
            return do_sync_templates(session, waba_id, templates)

    return await asyncio.to_thread(store)


async def sync_all_templates(db: Database, graph: GraphClient, settings: Settings) -> SyncResult:
    """Sync every business account the connected numbers belong to."""

    def accounts() -> list[str]:
        with db.read() as session:
            return business_accounts(session)

    wabas = await asyncio.to_thread(accounts)
    if settings.business_account_id and settings.business_account_id not in wabas:
        wabas.append(settings.business_account_id)
    synced = removed = 0
    for waba_id in wabas:
        result = await sync_templates(db, graph, waba_id, settings.access_token)
        synced += result.synced
        removed += result.removed
    return SyncResult(synced=synced, removed=removed)


async def run_template_sync(
    db: Database,
    graph: GraphClient,
    settings: Settings,
    stop: asyncio.Event,
    every_seconds: float = 3600,
) -> None:
    """Sync at start and then every ``every_seconds`` until ``stop``; failures are logged."""
    while not stop.is_set():
        try:
            result = await sync_all_templates(db, graph, settings)
            log.info("templates synced: %d listed, %d removed", result.synced, result.removed)
        except GraphError as exc:
            log.warning("template sync failed: %s", exc)
        except Exception:
            log.exception("template sync failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)
