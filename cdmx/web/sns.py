"""``POST /webhooks/sns``: End User Messaging Social as a channel of the self-hosted product.

An SNS HTTPS subscription on the EUM event topic posts here. Each message is checked (one of
our topics, a valid SNS signature), a subscription confirmation is confirmed, and a
notification is unwrapped into the body Meta would have sent and stored in the same durable
inbox as Meta's webhooks; only then is it answered 200. From the inbox on, a number behind
AWS is handled exactly like a number on Meta's Cloud API.

Outbound HTTP (the certificate and the SubscribeURL) goes through the services'
``sns_transport`` when a test passes one to ``create_app``. Wiring: ``app.include_router(router)``.
"""

from __future__ import annotations

import logging

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from cdmx.aws.envelope import EnvelopeError, parse_eum_message
from cdmx.aws.sns import (
    NOTIFICATION,
    SUBSCRIPTION_CONFIRMATION,
    CertFetcher,
    SnsError,
    SnsMessage,
    allowed_topic,
    httpx_fetcher,
    parse_body,
)
from cdmx.web.errors import error_response
from cdmx.web.services import services

log = logging.getLogger(__name__)
router = APIRouter()

# SNS caps a message at 256 KB; the JSON envelope adds escaping around it.
MAX_BODY_BYTES = 1024 * 1024
HTTP_TIMEOUT = httpx.Timeout(5.0)


@router.post("/webhooks/sns", include_in_schema=False)
async def receive_sns(request: Request) -> Response:
    """Verify an SNS message, confirm a subscription or store a notification, answer.

    With no topic set, the body is not read at all; otherwise ``cdmx.web.limits`` stops it
    at ``MAX_BODY_BYTES`` while it streams (413)."""
    allowed = services(request).settings.eum_sns_topic_arns
    if not allowed:
        return error_response(
            403, "no_topic", "EUM_SNS_TOPIC_ARN is not set, so no SNS topic is accepted."
        )
    try:
        message = parse_body(await request.body())
    except SnsError as exc:
        return error_response(400, "not_sns", f"Not an SNS message: {exc}.")
    if not allowed_topic(message, allowed):
        return error_response(403, "unknown_topic", "The message comes from a topic not ours.")
    try:
        await services(request).sns_verifier.verify(message)
    except SnsError as exc:
        return error_response(403, "bad_signature", f"SNS signature refused: {exc}.")
    except ImportError:
        log.error("SNS signatures need the cryptography package: pip install 'whatsapp-cdmx[aws]'")
        return error_response(503, "unavailable", "SNS verification is not installed here.")
    if message.type == SUBSCRIPTION_CONFIRMATION:
        return await _confirm(request, message)
    if message.type != NOTIFICATION:
        log.info("SNS %s for %s acknowledged", message.type, message.topic_arn)
        return PlainTextResponse("ok")
    try:
        event = parse_eum_message(message.message)
    except EnvelopeError as exc:
        # Signed by our own topic but not a WhatsApp event: retrying cannot help.
        log.warning("SNS message %s ignored: %s", message.message_id, exc)
        return PlainTextResponse("ignored")
    try:
        await services(request).inbox_writer.store(event.meta_body, "aws")
    except Exception:
        log.exception("could not store an SNS notification; answering 503 so SNS retries")
        return error_response(503, "unavailable", "Could not store the update; retry later.")
    return PlainTextResponse("ok")


def certificate_fetcher(transport: httpx.AsyncBaseTransport | None) -> CertFetcher:
    """How the verifier fetches SNS signing certificates (through ``transport`` if given)."""

    async def fetch(url: str) -> bytes:
        async with httpx.AsyncClient(transport=transport, timeout=HTTP_TIMEOUT) as client:
            return await httpx_fetcher(client)(url)

    return fetch


async def _confirm(request: Request, message: SnsMessage) -> Response:
    # verify() already checked that SubscribeURL is on the SNS host of the topic's region.
    url = message.subscribe_url
    if not url:
        return error_response(400, "not_sns", "SubscriptionConfirmation without SubscribeURL.")
    transport = services(request).sns_transport
    try:
        async with httpx.AsyncClient(transport=transport, timeout=HTTP_TIMEOUT) as client:
            response = await client.get(url, follow_redirects=False)
    except httpx.HTTPError as exc:
        log.warning("confirming the SNS subscription to %s failed: %s", message.topic_arn, exc)
        return error_response(503, "unavailable", "Could not confirm the subscription.")
    if response.status_code != 200:
        log.warning(
            "confirming the SNS subscription to %s answered %s",
            message.topic_arn, response.status_code,
        )  # fmt: skip
        return error_response(503, "unavailable", "Could not confirm the subscription.")
    log.info("SNS subscription to %s confirmed", message.topic_arn)
    return PlainTextResponse("confirmed")
