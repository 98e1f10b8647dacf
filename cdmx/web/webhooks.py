"""The WhatsApp webhook: Meta's GET verification and signed POST updates.

A POST is verified over the raw bytes, stored in the durable inbox, and only then answered
200. Nothing else happens on the request path, so Meta always gets a fast answer; if the
body cannot be stored, the answer is 503 and Meta retries. Bodies arriving together share
one transaction (``cdmx.web.ingest``).
"""

from __future__ import annotations

import logging
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from cdmx.web.errors import error_response
from cdmx.web.ingest import store_update
from cdmx.whatsapp.signature import verify

log = logging.getLogger(__name__)
router = APIRouter()

# Meta documents webhook bodies of up to about 3 MB; anything far beyond is not Meta.
MAX_BODY_BYTES = 8 * 1024 * 1024


@router.get("/webhooks/whatsapp", include_in_schema=False)
async def verify_subscription(request: Request) -> Response:
    """Answer Meta's verification request with the challenge when the token matches."""
    params = request.query_params
    expected = request.app.state.settings.verify_token
    token = params.get("hub.verify_token", "")
    if (
        params.get("hub.mode") == "subscribe"
        and expected
        and secrets.compare_digest(token.encode(), expected.encode())
    ):
        return PlainTextResponse(params.get("hub.challenge", ""))
    return error_response(403, "verification_failed", "hub.mode or hub.verify_token is wrong.")


@router.post("/webhooks/whatsapp", include_in_schema=False)
async def receive_update(request: Request) -> Response:
    """Verify, store, answer 200."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
        return error_response(413, "too_large", "Webhook body too large.")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return error_response(413, "too_large", "Webhook body too large.")
    secret = request.app.state.settings.app_secret
    if not verify(body, request.headers.get("x-hub-signature-256"), secret):
        return error_response(
            401, "bad_signature", "X-Hub-Signature-256 is missing or does not match the body."
        )
    try:
        await store_update(request.app.state, body, "meta")
    except Exception:
        log.exception("could not store a webhook body; answering 503 so Meta retries")
        return error_response(503, "unavailable", "Could not store the update; retry later.")
    return PlainTextResponse("ok")
