"""The simulated world: customers, their chats, the messages in them and their statuses."""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from cdmx.simulator.config import SimulatorConfig
from cdmx.simulator.faults import FaultInjector
from cdmx.simulator.inbound import Inbound
from cdmx.simulator.vault import MediaVault
from cdmx.simulator.webhooks import (
    Payload,
    StatusUpdate,
    WebhookSender,
    message_payload,
    status_payload,
)

WINDOW_SECONDS = 24 * 60 * 60
# Statuses wait this long after the send is accepted, so the app has the send's HTTP
# response (and the wamid) in hand before the first status webhook about it arrives.
STATUS_DELAY_SECONDS = 0.05
RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3}
REENGAGEMENT_ERROR = {
    "code": 131047,
    "title": "Re-engagement message",
    "message": "Re-engagement message",
    "error_data": {
        "details": "Message failed to send because more than 24 hours have passed since the "
        "customer last replied to this number."
    },
    "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
}


def canonical_wa_id(number: str) -> str:
    """The wa_id Meta reports for a number: digits only, Mexican mobiles as 521 + 10 digits."""
    digits = re.sub(r"\D", "", number)
    if len(digits) == 12 and digits.startswith("52"):
        return "521" + digits[2:]
    return digits


def bsuid_for(waba_id: str, wa_id: str) -> str:
    """A stable business-scoped user id, shaped like Meta's `<country>.<digits>`."""
    country = "MX" if wa_id.startswith("52") else "US" if wa_id.startswith("1") else "ZZ"
    digest = hashlib.sha256(f"{waba_id}:{wa_id}".encode()).hexdigest()
    return f"{country}.{int(digest[:16], 16)}"


@dataclass
class Message:
    """One message in a customer's chat, in either direction."""

    wamid: str
    direction: str  # "in": customer to business; "out": business to customer
    type: str
    text: str
    timestamp: float
    status: str  # in: received|read; out: accepted|sent|delivered|read|failed
    errors: list[dict[str, Any]] | None = None
    context_id: str | None = None
    biz_opaque_callback_data: str | None = None
    version: str = "v25.0"
    category: str = "service"
    pricing_type: str = "free_customer_service"
    outside_window: bool = False
    priced_final: bool = False
    # The type's fields as in the webhook (`{"location": {...}}`), for the phone to draw.
    content: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by tests and the phone page."""
        return {
            "wamid": self.wamid,
            "direction": self.direction,
            "type": self.type,
            "text": self.text,
            "timestamp": int(self.timestamp),
            "status": self.status,
            "errors": self.errors,
            "context_id": self.context_id,
            "content": self.content,
        }


@dataclass
class Customer:
    """A WhatsApp user and their chat with the business number."""

    wa_id: str
    user_id: str
    name: str | None = None
    last_inbound_at: float | None = None
    messages: list[Message] = field(default_factory=list)


@dataclass
class GraphRequest:
    """A request received on /messages, as the app sent it."""

    body: Any
    received_at: float
    version: str
    phone_number_id: str
    status_code: int | None = None


class Simulator:
    """The state of the stand-in for Meta, and what customers do in it."""

    def __init__(
        self,
        config: SimulatorConfig,
        *,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.clock = clock
        self.faults = FaultInjector(
            error_rate=config.error_rate,
            latency_ms=config.latency_ms,
            throttle_per_second=config.throttle_per_second,
            seed=config.seed,
        )
        self.webhooks = WebhookSender(
            config.webhook_url, config.app_secret, transport=webhook_transport
        )
        self.customers: dict[str, Customer] = {}
        self.sent_requests: list[GraphRequest] = []
        self.media = MediaVault(clock)
        self.versions_seen: set[str] = set()
        # Ids come from their own generator so that faults stay reproducible under a seed.
        self._ids = random.Random(None if config.seed is None else f"ids-{config.seed}")
        self._by_wamid: dict[str, tuple[Customer, Message]] = {}
        self._subscribers: dict[str, set[asyncio.Queue[tuple[str, Any]]]] = {}

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Start delivering webhooks."""
        await self.webhooks.start()

    async def stop(self) -> None:
        """Stop delivering webhooks and end the phone pages' event streams."""
        await self.webhooks.stop()
        for queues in self._subscribers.values():
            for queue in queues:
                queue.put_nowait(("close", None))

    async def wait_idle(self) -> None:
        """Wait until every queued webhook has been delivered (or given up)."""
        await self.webhooks.wait_idle()

    # -- what customers do ---------------------------------------------------------------

    async def customer_sends_text(
        self, wa_id: str, name: str, text: str, *, wait: bool = True
    ) -> str:
        """The customer writes to the business; returns the new wamid once the webhook went out."""
        inbound = Inbound("text", {"text": {"body": text}}, text)
        return await self.customer_sends(wa_id, name, inbound, wait=wait)

    async def customer_sends(
        self,
        wa_id: str,
        name: str,
        inbound: Inbound,
        *,
        context_id: str | None = None,
        wait: bool = True,
    ) -> str:
        """The customer sends any message type (a reply when `context_id` is set)."""
        customer = self.customer(wa_id, name)
        now = self.clock()
        message = Message(
            wamid=self.new_wamid(customer.wa_id),
            direction="in",
            type=inbound.kind,
            text=inbound.text,
            timestamp=now,
            status="received",
            context_id=context_id,
            content=inbound.fields,
        )
        self._add(customer, message)
        customer.last_inbound_at = now
        payload = message_payload(
            self.config,
            wa_id=customer.wa_id,
            user_id=customer.user_id,
            name=name,
            wamid=message.wamid,
            timestamp=int(now),
            kind=inbound.kind,
            fields=inbound.fields,
            context_id=context_id,
            errors=inbound.errors,
        )
        done = self.webhooks.enqueue(customer.wa_id, lambda: [payload])
        if wait:
            await done
        return message.wamid

    def in_chat(self, wa_id: str, wamid: str) -> bool:
        """Whether this message is in this customer's chat (to reply or react to it)."""
        found = self._by_wamid.get(wamid)
        return found is not None and found[0].wa_id == canonical_wa_id(wa_id)

    async def customer_reads(
        self, wa_id: str, *, wait: bool = True, only_delivered: bool = False
    ) -> None:
        """The customer opens the chat: every business message to them becomes read."""
        # The phone page passes only_delivered: it cannot read what never reached it.
        customer = self.customer(wa_id)

        def read_all() -> list[Payload]:
            payloads: list[Payload] = []
            for message in customer.messages:
                if message.direction != "out" or message.status in ("read", "failed"):
                    continue
                if message.outside_window:
                    continue  # its "failed" status is still on its way
                if message.status in ("accepted", "sent") and only_delivered:
                    continue
                if message.status == "accepted":
                    payloads += self._advance(customer, message, "sent")
                payloads += self._advance(customer, message, "read")
            return payloads

        done = self.webhooks.enqueue(customer.wa_id, read_all)
        if wait:
            await done

    async def deliver_pending(self, wa_id: str, *, wait: bool = True) -> None:
        """The customer's phone comes online: accepted messages become sent, then delivered."""
        customer = self.customer(wa_id)

        def deliver_all() -> list[Payload]:
            payloads: list[Payload] = []
            for message in customer.messages:
                if message.direction == "out" and message.status == "accepted":
                    if not message.outside_window:
                        payloads += self._advance(customer, message, "sent")
                        payloads += self._advance(customer, message, "delivered")
            return payloads

        done = self.webhooks.enqueue(customer.wa_id, deliver_all)
        if wait:
            await done

    def set_last_inbound(self, wa_id: str, ts: float | None) -> None:
        """Pretend the customer last wrote at `ts` (Unix seconds), or never."""
        self.customer(wa_id).last_inbound_at = ts

    def messages_for(self, wa_id: str) -> list[dict[str, Any]]:
        """The customer's whole chat, oldest first, including undelivered and failed sends."""
        customer = self.customers.get(canonical_wa_id(wa_id))
        return [m.to_dict() for m in customer.messages] if customer else []

    def phone_messages(self, wa_id: str) -> list[dict[str, Any]]:
        """What the customer's phone shows: their messages and the replies that reached it."""
        return [m for m in self.messages_for(wa_id) if on_phone(m)]

    # -- what the business does (called by the Graph routes) -----------------------------

    def window_open(self, wa_id: str) -> bool:
        """Whether the 24-hour customer service window is open for this customer."""
        last = self.customer(wa_id).last_inbound_at
        return last is not None and self.clock() - last <= WINDOW_SECONDS

    def accept_outbound(
        self,
        to: str,
        *,
        type: str,
        text: str,
        version: str,
        category: str = "service",
        context_id: str | None = None,
        biz_opaque_callback_data: str | None = None,
    ) -> Message:
        """Record a send Meta accepted; its statuses follow via `schedule_statuses`."""
        customer = self.customer(to)
        is_template = type == "template"
        open_window = self.window_open(customer.wa_id)
        message = Message(
            wamid=self.new_wamid(customer.wa_id),
            direction="out",
            type=type,
            text=text,
            timestamp=self.clock(),
            status="accepted",
            context_id=context_id,
            biz_opaque_callback_data=biz_opaque_callback_data,
            version=version,
            category=category,
            # Inside an open window, service replies and utility templates are free.
            pricing_type="free_customer_service"
            if open_window and category in ("service", "utility")
            else "regular",
            outside_window=not is_template and not open_window,
        )
        self._add(customer, message)
        return message

    async def schedule_statuses(self, message: Message) -> None:
        """Queue the status webhooks that follow an accepted send (async: runs on the loop)."""
        customer, _ = self._by_wamid[message.wamid]
        key = customer.wa_id
        if message.outside_window:
            self.webhooks.enqueue(
                key, lambda: self._fail(customer, message), delay=STATUS_DELAY_SECONDS
            )
        elif self.config.auto_deliver:
            self.webhooks.enqueue(
                key, lambda: self._advance(customer, message, "sent"), delay=STATUS_DELAY_SECONDS
            )
            self.webhooks.enqueue(key, lambda: self._advance(customer, message, "delivered"))

    def business_reads(self, message_id: str, *, typing: bool = False) -> bool:
        """The business marks a customer's message (and the ones before it) read."""
        found = self._by_wamid.get(message_id)
        if found is None or found[1].direction != "in":
            return False
        customer, target = found
        for message in customer.messages:
            if message.direction == "in" and message.status != "read":
                message.status = "read"
                self._publish(customer.wa_id, "message", message.to_dict())
            if message is target:
                break
        if typing:
            self._publish(customer.wa_id, "typing", {"seconds": 25})
        return True

    # -- plumbing ------------------------------------------------------------------------

    def customer(self, wa_id: str, name: str | None = None) -> Customer:
        """The customer with this number, created on first sight."""
        key = canonical_wa_id(wa_id)
        customer = self.customers.get(key)
        if customer is None:
            customer = Customer(wa_id=key, user_id=bsuid_for(self.config.waba_id, key))
            self.customers[key] = customer
        if name:
            customer.name = name
        return customer

    def new_wamid(self, wa_id: str) -> str:
        """A fresh message id shaped like Meta's base64 wamids."""
        tail = f"{self._ids.getrandbits(72):018X}"
        raw = b"\x18\x0d" + wa_id.encode() + b"\x15\x02\x00\x12\x18\x12" + tail.encode()
        return "wamid." + base64.b64encode(raw).decode()

    def subscribe(self, wa_id: str) -> asyncio.Queue[tuple[str, Any]]:
        """A queue of (event, data) for a phone page showing this customer's chat."""
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._subscribers.setdefault(canonical_wa_id(wa_id), set()).add(queue)
        return queue

    def unsubscribe(self, wa_id: str, queue: asyncio.Queue[tuple[str, Any]]) -> None:
        """Forget a phone page's queue."""
        self._subscribers.get(canonical_wa_id(wa_id), set()).discard(queue)

    def watchers(self, wa_id: str) -> int:
        """How many phone pages are showing this customer's chat."""
        return len(self._subscribers.get(canonical_wa_id(wa_id), ()))

    def _publish(self, wa_id: str, event: str, data: Any) -> None:
        for queue in self._subscribers.get(wa_id, ()):
            queue.put_nowait((event, data))

    def _add(self, customer: Customer, message: Message) -> None:
        customer.messages.append(message)
        self._by_wamid[message.wamid] = (customer, message)
        self._publish(customer.wa_id, "message", message.to_dict())

    def _advance(self, customer: Customer, message: Message, status: str) -> list[Payload]:
        # Never backwards: a late "delivered" after "read" is dropped, as the app should do.
        if message.status == "failed" or RANK[status] <= RANK[message.status]:
            return []
        message.status = status
        self._publish(customer.wa_id, "message", message.to_dict())
        pricing = None
        # Meta prices "sent" and exactly one of delivered/read.
        if status == "sent" or not message.priced_final:
            pricing = self._pricing(message)
            message.priced_final = status != "sent"
        return [self._status(customer, message, status, pricing=pricing)]

    def _fail(self, customer: Customer, message: Message) -> list[Payload]:
        message.status = "failed"
        message.errors = [copy.deepcopy(REENGAGEMENT_ERROR)]
        self._publish(customer.wa_id, "message", message.to_dict())
        return [self._status(customer, message, "failed", errors=message.errors)]

    def _status(
        self,
        customer: Customer,
        message: Message,
        status: str,
        *,
        pricing: dict[str, Any] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> Payload:
        update = StatusUpdate(
            wamid=message.wamid,
            status=status,
            timestamp=int(self.clock()),
            recipient_id=customer.wa_id,
            recipient_user_id=customer.user_id,
            recipient_name=customer.name,
            pricing=pricing,
            conversation=self._conversation(customer, message, status),
            errors=errors,
            biz_opaque_callback_data=message.biz_opaque_callback_data,
        )
        return status_payload(self.config, update)

    def _pricing(self, message: Message) -> dict[str, Any]:
        return {
            "billable": message.pricing_type == "regular",
            "pricing_model": "PMP",
            "type": message.pricing_type,
            "category": message.category,
        }

    def _conversation(
        self, customer: Customer, message: Message, status: str
    ) -> dict[str, Any] | None:
        # v24.0 dropped the conversation object from status webhooks.
        if status == "failed" or _major(message.version) >= 24:
            return None
        conversation: dict[str, Any] = {
            "id": hashlib.sha256(customer.wa_id.encode()).hexdigest()[:32],
            "origin": {"type": message.category},
        }
        if status == "sent":
            conversation["expiration_timestamp"] = str(int(message.timestamp) + WINDOW_SECONDS)
        return conversation


def on_phone(message: dict[str, Any]) -> bool:
    """Whether a message dict is on the customer's screen: theirs, or a reply that arrived."""
    return message["direction"] == "in" or message["status"] in ("delivered", "read")


def _major(version: str) -> int:
    match = re.fullmatch(r"v(\d+)\.0", version)
    return int(match.group(1)) if match else 0
