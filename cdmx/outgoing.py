"""Signed POSTs to the business's own systems (webhooks and "send to…" actions): the
Standard Webhooks headers, a time limit, and the first bytes of the answer — never more."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from cdmx.domain.webhooks import EXCERPT_BYTES, TIMEOUT_SECONDS, signature

USER_AGENT = "WhatsApp-CDMX-Webhooks/1"


@dataclass(frozen=True)
class Reply:
    """What a system did with one request: its status (None: no answer), how long it took,
    the first EXCERPT_BYTES of its body, or why there was no answer."""

    status_code: int | None
    duration_ms: int
    body: bytes
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def signed_post(
    client: httpx.AsyncClient,
    url: str,
    *,
    secrets: tuple[str, ...],
    message_id: str,
    timestamp: int,
    body: bytes,
    timeout: float = TIMEOUT_SECONDS,
) -> Reply:
    """POST ``body`` signed with each of ``secrets``; never raises for the network."""
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secrets, message_id, timestamp, body),
    }
    started = time.monotonic()
    try:
        async with asyncio.timeout(timeout):
            request = client.build_request("POST", url, content=body, headers=headers)
            response = await client.send(request, stream=True)
            try:
                kept = await _first_bytes(response)
            finally:
                await response.aclose()
    except TimeoutError:
        return Reply(None, _ms(started), b"", f"no answer within {timeout:g} s")
    except httpx.HTTPError as exc:
        return Reply(None, _ms(started), b"", _describe(exc))
    return Reply(response.status_code, _ms(started), kept, None)


async def _first_bytes(response: httpx.Response) -> bytes:
    kept = b""
    async for chunk in response.aiter_raw():
        kept += chunk
        if len(kept) >= EXCERPT_BYTES:
            break
    return kept[:EXCERPT_BYTES]


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _describe(exc: httpx.HTTPError) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {text}"[:500] if text else name
