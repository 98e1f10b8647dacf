"""The WhatsApp webhook: Meta's GET verification and signed POST updates.

A POST is verified over the raw bytes, stored in the durable inbox, and only then answered
200 (``WebhookReceiver``, installed around the app). Nothing else happens on the request
path, so Meta always gets a fast answer; if the body cannot be stored, the answer is 503
and Meta retries. Bodies arriving together share one transaction (``cdmx.web.ingest``).
"""

from __future__ import annotations

import json
import logging
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from cdmx.web.errors import error_response
from cdmx.web.services import Services, services
from cdmx.whatsapp.signature import verify

log = logging.getLogger(__name__)
router = APIRouter()

PATH = "/webhooks/whatsapp"
# Meta documents webhook bodies of up to about 3 MB; anything far beyond is not Meta.
MAX_BODY_BYTES = 8 * 1024 * 1024


@router.get(PATH, include_in_schema=False)
async def verify_subscription(request: Request) -> Response:
    """Answer Meta's verification request with the challenge when the token matches."""
    params = request.query_params
    expected = services(request).settings.verify_token
    token = params.get("hub.verify_token", "")
    if (
        params.get("hub.mode") == "subscribe"
        and expected
        and secrets.compare_digest(token.encode(), expected.encode())
    ):
        return PlainTextResponse(params.get("hub.challenge", ""))
    return error_response(403, "verification_failed", "hub.mode or hub.verify_token is wrong.")


class WebhookReceiver:
    """``POST /webhooks/whatsapp`` as a plain ASGI layer, ahead of the session middleware,
    the router and FastAPI's request handling, none of which a webhook needs: verify,
    store, answer. Everything else passes through to ``app``. Measured, this path is where
    a webhook's time went (docs/capacity.md, "Single-message ingest").
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        status, code, message = await _receive_update(scope, receive)
        if status == 200:
            await _respond(send, 200, b"text/plain; charset=utf-8", b"ok")
            return
        error = json.dumps({"error": {"code": code, "message": message}}).encode()
        await _respond(send, status, b"application/json", error)


async def _receive_update(scope: Scope, receive: Receive) -> tuple[int, str, str]:
    """Verify, store: (status, error code, message)."""
    headers = dict(scope["headers"])
    length = headers.get(b"content-length", b"")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        return 413, "too_large", "Webhook body too large."
    chunks, size = [], 0
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            return 400, "bad_request", "The request ended before its body."
        chunk = event.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return 413, "too_large", "Webhook body too large."
        chunks.append(chunk)
        if not event.get("more_body", False):
            break
    body = b"".join(chunks)
    app: Services = scope["app"].state.services
    signature = headers.get(b"x-hub-signature-256", b"").decode("latin-1") or None
    if not verify(body, signature, app.settings.app_secret):
        return 401, "bad_signature", "X-Hub-Signature-256 is missing or does not match the body."
    try:
        await app.inbox_writer.store(body, "meta")
    except Exception:
        log.exception("could not store a webhook body; answering 503 so Meta retries")
        return 503, "unavailable", "Could not store the update; retry later."
    return 200, "", ""


async def _respond(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
