"""create_app: wires settings, database, event bus, Graph client, workers and routes.

Nothing here is global: every piece is built from the Settings passed in and hung on
``app.state``, so a test can build as many independent apps as it likes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from cdmx import __version__
from cdmx.actions.channels import do_ensure_channel
from cdmx.db.engine import Database
from cdmx.domain.sealing import Sealer
from cdmx.realtime.bus import EventBus
from cdmx.realtime.doorbell import Doorbell
from cdmx.realtime.feed import EventFeed
from cdmx.realtime.notify import Listener
from cdmx.settings import Settings
from cdmx.storage import build_store
from cdmx.web import health, webhooks
from cdmx.web import media as media_routes
from cdmx.web import sns as sns_webhook
from cdmx.web.api import router as api_router
from cdmx.web.auth import TokenSigner
from cdmx.web.console import views
from cdmx.web.errors import install_error_handlers
from cdmx.web.ingest import InboxWriter
from cdmx.whatsapp.graph import GraphClient
from cdmx.workers.media import MediaFetcher
from cdmx.workers.outbox import OutboxSender
from cdmx.workers.runner import Workers
from cdmx.workers.templates import run_template_sync, sync_all_templates

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "web" / "console" / "static"


def create_app(
    settings: Settings,
    *,
    graph_transport: httpx.AsyncBaseTransport | None = None,
    run_workers: bool = True,
) -> FastAPI:
    """The whole application for these settings."""
    bus = EventBus()
    sealer = Sealer(settings.secret_key or "demo")
    store = build_store(settings)
    # Every session can sign media links, so event snapshots carry working URLs.
    db = Database(settings.database_url, session_info={"media_urls": store.url})
    # The workers get their own connection pool: under a burst of webhooks the request
    # threads would otherwise hold every connection and starve the inbox processor.
    worker_db = Database(settings.database_url, session_info={"media_urls": store.url})
    graph = GraphClient(
        settings.graph_api_base_url, settings.graph_api_version, transport=graph_transport
    )

    def default_token(_phone_number_id: str) -> str:
        return settings.access_token

    sender = OutboxSender(
        worker_db, graph, token_for=default_token,
        rate_per_second=settings.outbound_rate_per_second, eum=eum_sender(settings),
        sealer=sealer, store=store,
    )  # fmt: skip
    fetcher = MediaFetcher(
        worker_db,
        graph,
        store,
        token_for=default_token,
        retention_days=settings.media_retention_days,
        sealer=sealer,
    )

    async def sync_templates(stop: asyncio.Event) -> None:
        await run_template_sync(worker_db, graph, settings, stop)

    inbox_writer = InboxWriter(db)  # webhook bodies, one transaction per batch
    workers = Workers(
        worker_db, sender, woken={"media": fetcher.run},
        periodic=[sync_templates] if settings.business_account_id else [],
        inbox_threads=settings.inbox_threads, webhooks_waiting=inbox_writer.waiting,
    )  # fmt: skip

    feed = EventFeed(worker_db, bus)

    def wake(names: set[str]) -> None:
        if "events" in names:
            feed.wake()
        for name in names - {"events"}:
            workers.wake(name)

    # Other processes on the same database: LISTEN/NOTIFY on PostgreSQL (the transactions
    # notify), a doorbell of datagram sockets beside a SQLite file (rung after commit).
    listener: Listener | Doorbell | None = None
    doorbell: Doorbell | None = None
    if not db.is_sqlite:
        listener = Listener(
            settings.database_url, wake,
            own_senders=lambda: {pid for pid in (db.notifier_pid, worker_db.notifier_pid) if pid},
        )  # fmt: skip
    elif db.url.database not in (None, "", ":memory:"):
        listener = doorbell = Doorbell(str(db.url.database), wake)

    def after_commit(events: list[Any], wakes: set[str]) -> None:
        names = wakes | {"events"} if events else wakes
        wake(names)
        if doorbell is not None:
            doorbell.ring(names)

    db.on_commit = worker_db.on_commit = after_commit

    def ensure_channel() -> None:
        with db.write() as session:
            do_ensure_channel(
                session, phone_number_id=settings.phone_number_id,
                display_phone_number=settings.display_phone_number,
                business_account_id=settings.business_account_id, provider=settings.provider,
            )  # fmt: skip

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.stopping = asyncio.Event()
        if settings.phone_number_id:
            try:
                await asyncio.to_thread(ensure_channel)
            except Exception as exc:
                # Start anyway: webhooks answer 503 (Meta retries) and /readyz says why.
                log.error("cannot register the WhatsApp number at start-up: %s", exc)
        await inbox_writer.start()
        feed_stop = asyncio.Event()
        feed_task = asyncio.create_task(feed.run(feed_stop))
        if listener is not None:
            listener.start()
        if run_workers:
            await workers.start()
        try:
            yield
        finally:
            app.state.stopping.set()
            await inbox_writer.stop()  # stores what is queued first
            await workers.stop()
            feed_stop.set()
            feed.wake()
            await feed_task
            if listener is not None:
                await asyncio.to_thread(listener.stop)
            await graph.aclose()
            db.dispose()
            worker_db.dispose()

    app = FastAPI(
        title="WhatsApp CDMX",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.inbox_writer = inbox_writer
    app.state.bus = bus
    app.state.graph = graph
    app.state.sync_templates = functools.partial(sync_all_templates, db, graph, settings)
    app.state.workers = workers
    app.state.feed = feed
    app.state.sealer = sealer
    app.state.media_store = store
    app.state.background = set()  # courtesy calls in flight (read receipts, typing)
    app.state.typing_sent = {}  # conversation id → when "typing…" was last sent
    app.state.tokens = TokenSigner(settings.secret_key)
    app.state.stopping = asyncio.Event()
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="cdmx_session",
        max_age=12 * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    # Added last, so it runs first: a webhook skips the session and the router.
    app.add_middleware(webhooks.WebhookReceiver)
    install_error_handlers(app)
    app.include_router(webhooks.router)
    app.include_router(sns_webhook.router)
    app.include_router(media_routes.router)
    app.include_router(api_router)
    app.include_router(health.router)
    app.include_router(views.router)
    app.mount("/static/console", StaticFiles(directory=STATIC), name="console-static")
    return app


def eum_sender(settings: Settings) -> Any:
    """The End User Messaging Social sender, when this installation is on AWS."""
    if not settings.aws_region:
        return None
    import boto3  # the `aws` extra; only needed on AWS

    from cdmx.aws.eum import EumClient, EumSender

    client = boto3.client("socialmessaging", region_name=settings.aws_region)
    return EumSender(EumClient(client, meta_api_version=settings.eum_meta_api_version))
