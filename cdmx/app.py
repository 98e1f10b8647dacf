"""create_app: builds the services, wires their wake-ups, mounts the routes.

Nothing here is global: every piece is built from the Settings passed in and hung on
``app.state.services`` (``cdmx.web.services``), so a test can build as many independent
apps as it likes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from cdmx import __version__
from cdmx.actions.channels import do_ensure_channel
from cdmx.aws.sns import SnsVerifier
from cdmx.db.engine import Database
from cdmx.domain.routing import CAPACITY_KEY
from cdmx.domain.sealing import Sealer
from cdmx.queries.queues import ZONE_KEY
from cdmx.realtime.bus import EventBus
from cdmx.realtime.doorbell import Doorbell
from cdmx.realtime.feed import EventFeed
from cdmx.realtime.notify import Listener
from cdmx.realtime.presence import Presence
from cdmx.settings import Settings
from cdmx.storage import build_store
from cdmx.web import apidocs, health, webhooks
from cdmx.web import media as media_routes
from cdmx.web import sns as sns_webhook
from cdmx.web.api import router as api_router
from cdmx.web.bearer import TokenSigner
from cdmx.web.console import views
from cdmx.web.errors import install_error_handlers
from cdmx.web.headers import SecurityHeaders
from cdmx.web.ingest import InboxWriter
from cdmx.web.limits import BodyLimit
from cdmx.web.openapi import describe_errors
from cdmx.web.origin import RequestOrigin
from cdmx.web.requestid import RequestId
from cdmx.web.services import Services
from cdmx.web.sns import certificate_fetcher
from cdmx.whatsapp.graph import GraphClient
from cdmx.workers.audit import run_audit_retention
from cdmx.workers.media import MediaFetcher
from cdmx.workers.outbox import OutboxSender
from cdmx.workers.presence import run_presence
from cdmx.workers.routing import run_routing
from cdmx.workers.runner import Workers
from cdmx.workers.templates import run_template_sync, sync_all_templates
from cdmx.workers.timers import run_timers
from cdmx.workers.webhooks import WebhookDeliverer

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "web" / "console" / "static"


def create_app(
    settings: Settings,
    *,
    graph_transport: httpx.AsyncBaseTransport | None = None,
    sns_transport: httpx.AsyncBaseTransport | None = None,
    run_workers: bool = True,
) -> FastAPI:
    """The whole application for these settings: the services, their wake-ups, the routes.

    ``graph_transport`` and ``sns_transport`` carry the app's outbound HTTP to Meta (or the
    simulator) and to SNS; tests pass mock transports, production passes nothing."""
    runtime = build_runtime(settings, graph_transport=graph_transport, sns_transport=sns_transport)
    listener = wire_wakeups(runtime)
    app = FastAPI(
        title="WhatsApp CDMX",
        version=__version__,
        lifespan=functools.partial(_lifespan, runtime, listener, run_workers),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # cdmx.web.apidocs serves it without a CDN
        redoc_url=None,
    )
    app.state.services = runtime.services
    mount_routes(app, settings)
    return app


@dataclass(frozen=True, slots=True)
class Runtime:
    """The services the routes use, and what runs beside them in this process."""

    services: Services
    worker_db: Database  # the workers' own pool (a burst of webhooks cannot starve them)
    workers: Workers


def build_runtime(
    settings: Settings,
    *,
    graph_transport: httpx.AsyncBaseTransport | None = None,
    sns_transport: httpx.AsyncBaseTransport | None = None,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> Runtime:
    """Every long-lived object, built from the settings; nothing starts yet."""
    sealer = Sealer(settings.secret_key)  # never empty: load_settings requires it
    store = build_store(settings)
    # Every session can sign media links for snapshots and knows the default capacity.
    session_info = {
        "media_urls": store.url, CAPACITY_KEY: settings.agent_capacity,
        ZONE_KEY: ZoneInfo(settings.timezone),
    }  # fmt: skip
    db = Database(settings.database_url, session_info=session_info)
    # The workers get their own connection pool: under a burst of webhooks the request
    # threads would otherwise hold every connection and starve the inbox processor.
    worker_db = Database(settings.database_url, session_info=session_info)
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

    async def audit_retention(stop: asyncio.Event) -> None:
        await run_audit_retention(worker_db, settings.audit_retention_days, stop)

    inbox_writer = InboxWriter(db)
    workers = Workers(
        worker_db, sender,
        woken={
            "media": fetcher.run,
            "routing": functools.partial(run_routing, worker_db),
            "presence": functools.partial(
                run_presence, worker_db, settings.presence_timeout_seconds
            ),
            "timers": functools.partial(run_timers, worker_db),
            "webhooks": WebhookDeliverer(worker_db, sealer, transport=webhook_transport).run,
        },
        periodic=[audit_retention, *([sync_templates] if settings.business_account_id else [])],
        inbox_threads=settings.inbox_threads, webhooks_waiting=inbox_writer.waiting,
    )  # fmt: skip
    services = Services(
        settings=settings,
        db=db,
        bus=(bus := EventBus()),
        feed=EventFeed(worker_db, bus),
        graph=graph,
        sealer=sealer,
        media_store=store,
        tokens=TokenSigner(settings.secret_key),
        inbox_writer=inbox_writer,
        sync_templates=functools.partial(sync_all_templates, db, graph, settings),
        sns_verifier=SnsVerifier(certificate_fetcher(sns_transport)),
        presence=Presence(worker_db),
        sns_transport=sns_transport,
        outgoing_transport=webhook_transport,
    )
    return Runtime(services, worker_db, workers)


def wire_wakeups(runtime: Runtime) -> Listener | Doorbell | None:
    """After each commit, wake what it concerns: the event feed and the workers here, and
    other processes on the same database — by LISTEN/NOTIFY on PostgreSQL (the transactions
    notify), by a doorbell of datagram sockets beside a SQLite file (rung after commit).
    Returns the listener for other processes' wake-ups, which the lifespan starts."""
    db, worker_db = runtime.services.db, runtime.worker_db
    feed, workers = runtime.services.feed, runtime.workers

    def wake(names: set[str]) -> None:
        if "events" in names:
            feed.wake()
        for name in names - {"events"}:
            workers.wake(name)

    listener: Listener | Doorbell | None = None
    doorbell: Doorbell | None = None
    if not db.is_sqlite:
        listener = Listener(
            runtime.services.settings.database_url, wake,
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
    return listener


def mount_routes(app: FastAPI, settings: Settings) -> None:
    """Middleware, error handlers, routers and the console's static files."""
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="cdmx_session",
        max_age=12 * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    # The client's address for the audit trail (a webhook never reaches it: see below).
    app.add_middleware(RequestOrigin)
    app.add_middleware(BodyLimit, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, settings=settings)
    # Added last, so it runs first: a webhook skips the session and the router.
    app.add_middleware(webhooks.WebhookReceiver)
    # Outermost: every response, a webhook's too, carries X-Request-ID (cdmx/web/requestid.py).
    app.add_middleware(RequestId)
    install_error_handlers(app)
    describe_errors(app)
    app.include_router(webhooks.router)
    app.include_router(sns_webhook.router)
    app.include_router(media_routes.router)
    app.include_router(api_router)
    app.include_router(health.router)
    app.include_router(apidocs.router)
    apidocs.mount(app)
    app.include_router(views.router)
    app.mount("/static/console", StaticFiles(directory=STATIC), name="console-static")


@asynccontextmanager
async def _lifespan(
    runtime: Runtime, listener: Listener | Doorbell | None, run_workers: bool, app: FastAPI
) -> AsyncIterator[None]:
    services = runtime.services
    services.stopping.clear()
    if services.settings.phone_number_id:
        try:
            await asyncio.to_thread(_ensure_channel, services)
        except Exception as exc:
            # Start anyway: webhooks answer 503 (Meta retries) and /readyz says why.
            log.error("cannot register the WhatsApp number at start-up: %s", exc)
    await services.inbox_writer.start()
    feed_stop = asyncio.Event()
    feed_task = asyncio.create_task(services.feed.run(feed_stop))
    presence_task = asyncio.create_task(services.presence.run(feed_stop))
    if listener is not None:
        listener.start()
    if run_workers:
        await runtime.workers.start()
    try:
        yield
    finally:
        services.stopping.set()
        await services.inbox_writer.stop()  # stores what is queued first
        await runtime.workers.stop()
        feed_stop.set()
        services.feed.wake()
        await feed_task
        services.presence.wake()
        await presence_task
        if listener is not None:
            await asyncio.to_thread(listener.stop)
        await services.graph.aclose()
        services.db.dispose()
        runtime.worker_db.dispose()


def _ensure_channel(services: Services) -> None:
    settings = services.settings
    with services.db.write() as session:
        do_ensure_channel(
            session, phone_number_id=settings.phone_number_id,
            display_phone_number=settings.display_phone_number,
            business_account_id=settings.business_account_id, provider=settings.provider,
        )  # fmt: skip


def eum_sender(settings: Settings) -> Any:
    """The End User Messaging Social sender, when this installation is on AWS."""
    if not settings.aws_region:
        return None
    import boto3  # the `aws` extra; only needed on AWS

    from cdmx.aws.eum import EumClient, EumSender

    client = boto3.client("socialmessaging", region_name=settings.aws_region)
    return EumSender(EumClient(client, meta_api_version=settings.eum_meta_api_version))
