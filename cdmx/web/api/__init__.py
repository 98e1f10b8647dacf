"""The REST API under /api/v1 (JSON, OpenAPI at /api/v1/openapi.json) and its event stream."""

from __future__ import annotations

from fastapi import APIRouter

from cdmx.web.api import (
    activity,
    agents,
    audit,
    canned,
    contacts,
    conversations,
    events,
    integration_tokens,
    labels,
    live,
    lookup,
    mentions,
    merge,
    numbers,
    presence,
    queues,
    reports,
    send_actions,
    templates,
    tokens,
    users,
    views,
    webhooks,
)

router = APIRouter(prefix="/api/v1")
for module in (
    tokens, conversations, presence, templates, lookup, agents, numbers, queues, users, canned,
    merge, reports, live, contacts, views, mentions, activity, labels, webhooks, send_actions,
    audit, integration_tokens, events,
):  # fmt: skip
    router.include_router(module.router)
