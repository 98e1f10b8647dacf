"""What the routes use, built once by ``create_app``: one typed, frozen object.

``create_app`` hangs it on ``app.state.services``; a route asks for it with
``services(request)`` (or the ``App`` dependency) instead of reading loose attributes, so a
missing or misspelt piece is a type error, not an ``AttributeError`` on the first request.
The references are frozen; the objects they point to (the bus, the event, the sets) are not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request

from cdmx.actions.templates import SyncResult
from cdmx.aws.sns import SnsVerifier
from cdmx.db.engine import Database
from cdmx.domain.sealing import Sealer
from cdmx.realtime.bus import EventBus
from cdmx.realtime.feed import EventFeed
from cdmx.realtime.presence import Presence
from cdmx.settings import Settings
from cdmx.storage.base import MediaStore
from cdmx.web.bearer import TokenSigner
from cdmx.web.ingest import InboxWriter
from cdmx.web.throttle import HashGate, SignInGuard, SignInThrottle
from cdmx.whatsapp.graph import GraphClient

TemplateSync = Callable[[], Awaitable[SyncResult]]


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    db: Database
    bus: EventBus
    feed: EventFeed
    graph: GraphClient
    sealer: Sealer
    media_store: MediaStore
    tokens: TokenSigner  # one-time sign-in links
    inbox_writer: InboxWriter  # webhook bodies, one transaction per batch
    sync_templates: TemplateSync  # the template worker's sync, injected (web never imports it)
    sns_verifier: SnsVerifier  # caches SNS certificates for the app's lifetime
    presence: Presence  # this instance's open event streams, per user
    sns_transport: httpx.AsyncBaseTransport | None = None  # SNS's HTTP; a test's mock
    # "send to…" pushes' HTTP (None: the network), as the webhook deliverer's
    outgoing_transport: httpx.AsyncBaseTransport | None = None
    # Sign-in throttling and the password-hash cap of this process (cdmx/web/throttle.py).
    sign_ins: SignInGuard = field(default_factory=lambda: SignInGuard(SignInThrottle(), HashGate()))
    stopping: asyncio.Event = field(default_factory=asyncio.Event)  # set as shutdown starts
    background: set[asyncio.Task[Any]] = field(default_factory=set)  # courtesy calls in flight
    typing_sent: dict[int, float] = field(default_factory=dict)  # conversation → last "typing…"
    # (reader, conversation) → when its conversation.viewed audit row was written here
    viewed: dict[tuple[int, int], float] = field(default_factory=dict)


def services(request: Request) -> Services:
    """The app's services (also a FastAPI dependency: see ``App``)."""
    found: Services = request.app.state.services
    return found


App = Annotated[Services, Depends(services)]
