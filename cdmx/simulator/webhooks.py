"""Meta-shaped webhook payloads, their signature, and an ordered at-least-once sender."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from cdmx.simulator.config import SimulatorConfig

logger = logging.getLogger(__name__)

Payload = dict[str, Any]
# A job runs when its turn comes in its lane and returns the payloads to deliver, so the
# world changes (a message becoming "delivered") in the same order the app hears about them.
Job = Callable[[], Sequence[Payload]]


@dataclass(frozen=True)
class StatusUpdate:
    """One entry of `value.statuses[]`."""

    wamid: str
    status: str
    timestamp: int
    recipient_id: str
    recipient_user_id: str | None = None
    recipient_name: str | None = None
    pricing: dict[str, Any] | None = None
    conversation: dict[str, Any] | None = None
    errors: list[dict[str, Any]] | None = None
    biz_opaque_callback_data: str | None = None


def envelope(config: SimulatorConfig, value: Payload) -> Payload:
    """Wrap a change value in Meta's object/entry/changes envelope."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": config.waba_id,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": config.display_phone_number,
                                "phone_number_id": config.phone_number_id,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def text_message_payload(
    config: SimulatorConfig,
    *,
    wa_id: str,
    user_id: str,
    name: str,
    wamid: str,
    timestamp: int,
    text: str,
) -> Payload:
    """The webhook Meta sends when a customer writes a text message."""
    return message_payload(
        config, wa_id=wa_id, user_id=user_id, name=name, wamid=wamid, timestamp=timestamp,
        kind="text", fields={"text": {"body": text}},
    )  # fmt: skip


def message_payload(
    config: SimulatorConfig,
    *,
    wa_id: str,
    user_id: str,
    name: str,
    wamid: str,
    timestamp: int,
    kind: str,
    fields: Payload,
    context_id: str | None = None,
    errors: list[Payload] | None = None,
) -> Payload:
    """The webhook Meta sends when a customer sends a message of any type."""
    contact = {"profile": {"name": name}, "wa_id": wa_id, "user_id": user_id}
    message: Payload = {
        "from": wa_id,
        "from_user_id": user_id,
        "id": wamid,
        "timestamp": str(timestamp),
        "type": kind,
    }
    if context_id:
        # A reply names the business number it answers and the quoted message.
        message["context"] = {"from": config.display_phone_number, "id": context_id}
    message.update(fields)
    if errors:
        message["errors"] = errors
    return envelope(config, {"contacts": [contact], "messages": [message]})


def status_payload(config: SimulatorConfig, update: StatusUpdate) -> Payload:
    """The webhook Meta sends when one of the business's messages changes status."""
    status: Payload = {
        "id": update.wamid,
        "status": update.status,
        "timestamp": str(update.timestamp),
        "recipient_id": update.recipient_id,
    }
    if update.recipient_user_id:
        status["recipient_user_id"] = update.recipient_user_id
    if update.biz_opaque_callback_data is not None:
        status["biz_opaque_callback_data"] = update.biz_opaque_callback_data
    if update.conversation is not None:
        status["conversation"] = update.conversation
    if update.pricing is not None:
        status["pricing"] = update.pricing
    if update.errors is not None:
        status["errors"] = update.errors
    value: Payload = {"statuses": [status]}
    # Since the 2026 BSUID rollout, sent/delivered/read statuses carry the recipient as a
    # contact too (never on failed), so an app must not read "has contacts" as "is inbound".
    if update.status != "failed" and update.recipient_name is not None:
        contact: Payload = {
            "profile": {"name": update.recipient_name},
            "wa_id": update.recipient_id,
        }
        if update.recipient_user_id:
            contact["user_id"] = update.recipient_user_id
        value = {"contacts": [contact], **value}
    return envelope(config, value)


def encode(payload: Payload) -> bytes:
    """Serialise as Meta does: compact, with non-ASCII escaped as \\uXXXX."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def sign(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 header value for these exact bytes."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@dataclass
class Delivery:
    """The record of one webhook delivery, kept for tests and debugging."""

    payload: Payload
    body: bytes
    attempts: int = 0
    status_code: int | None = None
    ok: bool = False


@dataclass
class _Item:
    job: Job
    not_before: float
    done: asyncio.Future[None] = field(repr=False)


class WebhookSender:
    """Delivers signed webhooks in order per key (customer), retrying like Meta."""

    def __init__(
        self,
        url: str,
        app_secret: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        lanes: int = 4,
        retry_delays: Sequence[float] = (0.1, 0.5, 2.0, 5.0),
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.app_secret = app_secret
        # Meta retries for days; a bounded schedule keeps a demo without an app responsive.
        self.retry_delays = tuple(retry_delays)
        self.deliveries: list[Delivery] = []
        self._transport = transport
        self._timeout = timeout
        # Several lanes keyed by customer: order holds per customer, throughput does not
        # collapse to one request at a time when a benchmark drives many customers.
        self._queues: list[asyncio.Queue[_Item]] = [asyncio.Queue() for _ in range(lanes)]
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None

    @property
    def running(self) -> bool:
        """Whether the lane tasks are running."""
        return bool(self._tasks)

    async def start(self) -> None:
        """Open the HTTP client and start one task per lane."""
        self._ensure_started()

    async def stop(self) -> None:
        """Stop the lanes and close the HTTP client; undelivered jobs are dropped."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for queue in self._queues:
            while not queue.empty():
                item = queue.get_nowait()
                item.done.cancel()
                queue.task_done()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def enqueue(self, key: str, job: Job, *, delay: float = 0.0) -> asyncio.Future[None]:
        """Queue a job in the lane of `key`; the future resolves once its payloads went out."""
        self._ensure_started()
        loop = asyncio.get_running_loop()
        item = _Item(job=job, not_before=time.monotonic() + delay, done=loop.create_future())
        self._queues[zlib.crc32(key.encode()) % len(self._queues)].put_nowait(item)
        return item.done

    async def wait_idle(self) -> None:
        """Wait until every queued job has run and its webhooks were delivered or given up."""
        await asyncio.gather(*(queue.join() for queue in self._queues))

    def _ensure_started(self) -> None:
        # Started lazily too, so a test that skips the lifespan still gets its webhooks.
        if self._tasks:
            return
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport, timeout=self._timeout)
        self._tasks = [
            asyncio.create_task(self._run(queue), name=f"simulator-webhooks-{index}")
            for index, queue in enumerate(self._queues)
        ]

    async def _run(self, queue: asyncio.Queue[_Item]) -> None:
        while True:
            item = await queue.get()
            try:
                wait = item.not_before - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                for payload in item.job():
                    await self._deliver(payload)
            except asyncio.CancelledError:
                item.done.cancel()
                queue.task_done()
                raise
            except Exception:
                logger.exception("simulator webhook job failed")
            if not item.done.done():
                item.done.set_result(None)
            queue.task_done()

    async def _deliver(self, payload: Payload) -> None:
        assert self._client is not None
        body = encode(payload)
        record = Delivery(payload=payload, body=body)
        self.deliveries.append(record)
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(self.app_secret, body),
            "User-Agent": "facebookexternalua",
        }
        for pause in (0.0, *self.retry_delays):
            if pause:
                await asyncio.sleep(pause)
            record.attempts += 1
            try:
                response = await self._client.post(self.url, content=body, headers=headers)
            except Exception as exc:  # the app may be down or its ASGI handler may raise
                logger.warning("webhook to %s failed: %r", self.url, exc)
                continue
            record.status_code = response.status_code
            # Meta counts anything but 200 as a failure, 2xx included.
            if response.status_code == 200:
                record.ok = True
                return
            logger.warning("webhook to %s answered %s", self.url, response.status_code)
        logger.error("webhook to %s given up after %s attempts", self.url, record.attempts)
