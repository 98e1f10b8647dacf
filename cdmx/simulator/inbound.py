"""What a customer can send from the phone page, built into Meta's inbound message shapes.

`build_inbound(kind, fields)` checks the phone API's fields and returns the type-specific
part of a `value.messages[]` item (`{"location": {...}}`, `{"contacts": [...]}`, …) plus the
one line the phone shows for it. Shapes follow Meta's "Messages webhook" reference (see
`shared/reference/whatsapp-cloud-api.md` §2); the envelope and signature are `webhooks.py`'s.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

# The Zócalo, so a location sent with no coordinates still lands in Mexico City.
DEFAULT_LOCATION = {
    "latitude": 19.432608,
    "longitude": -99.133209,
    "name": "Zócalo",
    "address": "Plaza de la Constitución S/N, Centro, 06000 Ciudad de México, CDMX",
}
DEFAULT_ORDER_ITEMS = (
    {"product_retailer_id": "TACO-PASTOR", "quantity": 3, "item_price": 25.0, "currency": "MXN"},
    {"product_retailer_id": "AGUA-HORCHATA", "quantity": 1, "item_price": 35.5, "currency": "MXN"},
)
DEFAULT_CATALOG_ID = "300000000000001"
# What Meta sends for a message type the Cloud API cannot deliver (a poll, for instance).
UNSUPPORTED_ERROR: dict[str, Any] = {
    "code": 131051,
    "title": "Message type unknown",
    "message": "Message type unknown",
    "error_data": {"details": "Message type is currently not supported."},
}
KINDS = (
    "text", "location", "contacts", "reaction", "order", "interactive", "button", "unsupported",
)  # fmt: skip
REPLY_TYPES = ("button_reply", "list_reply")
MAX_REPLY_ID = 256
MAX_REPLY_TITLE = 72  # a list row description is at most 72; titles are shorter
MAX_TEXT = 65536  # no documented cap inbound; this only stops a runaway paste
MAX_FIELD = 1024


class InboundError(ValueError):
    """A phone API request that cannot become a message; `code` is the API error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Inbound:
    """The type-specific fields of a message item, and what the phone shows for it."""

    kind: str
    fields: dict[str, Any]
    text: str
    errors: list[dict[str, Any]] | None = None
    targets: tuple[str, ...] = field(default=())  # wamids that must exist in the chat


def build_inbound(kind: Any, body: dict[str, Any]) -> Inbound:
    """Turn the phone API's fields for one message type into Meta's shape."""
    if kind is None:
        kind = "text"
    if kind not in KINDS:
        raise InboundError("invalid_type", f"type must be one of {', '.join(KINDS)}")
    built: Inbound = _BUILDERS[kind](body)
    return built


def _text(body: dict[str, Any]) -> Inbound:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise InboundError("invalid_text", f"text must be 1 to {MAX_TEXT} characters")
    return Inbound("text", {"text": {"body": text}}, text)


def _location(body: dict[str, Any]) -> Inbound:
    if "latitude" not in body and "longitude" not in body:
        body = {**DEFAULT_LOCATION, **body}
    latitude = _coordinate(body.get("latitude"), 90, "latitude")
    longitude = _coordinate(body.get("longitude"), 180, "longitude")
    location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    # A pin-only share has just the coordinates; a named place adds name and address.
    for key in ("name", "address"):
        value = _optional(body, key)
        if value:
            location[key] = value
    place = location.get("name") or location.get("address") or f"{latitude}, {longitude}"
    return Inbound("location", {"location": location}, f"📍 {place}")


def _contacts(body: dict[str, Any]) -> Inbound:
    name = _optional(body, "contact_name")
    phone = _optional(body, "contact_phone")
    email = _optional(body, "contact_email")
    if not name or not phone:
        raise InboundError("invalid_contact", "contact_name and contact_phone are required")
    first, _, last = name.partition(" ")
    card_name = {"formatted_name": name, "first_name": first}
    if last:
        card_name["last_name"] = last
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not 8 <= len(digits) <= 15:
        raise InboundError("invalid_contact", "contact_phone must have 8 to 15 digits")
    card: dict[str, Any] = {
        "name": card_name,
        # Meta adds wa_id only when the number is on WhatsApp; the simulator says it is.
        "phones": [{"phone": phone, "wa_id": digits, "type": "CELL"}],
    }
    if email:
        card["emails"] = [{"email": email, "type": "WORK"}]
    return Inbound("contacts", {"contacts": [card]}, f"👤 {name}")


def _reaction(body: dict[str, Any]) -> Inbound:
    target = body.get("message_id")
    emoji = body.get("emoji", "")
    if not isinstance(target, str) or not target:
        raise InboundError("invalid_message_id", "message_id must be the wamid reacted to")
    if not isinstance(emoji, str) or len(emoji) > 16:
        raise InboundError("invalid_emoji", "emoji must be one emoji, or empty to remove it")
    # Removal is an empty emoji, as Meta sends it.
    reaction = {"message_id": target, "emoji": emoji}
    return Inbound("reaction", {"reaction": reaction}, emoji, targets=(target,))


def _order(body: dict[str, Any]) -> Inbound:
    raw_items = body.get("items")
    if raw_items is None:
        raw_items = [dict(item) for item in DEFAULT_ORDER_ITEMS]
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= 30:
        raise InboundError("invalid_items", "items must be a list of 1 to 30 products")
    items = [_order_item(item) for item in raw_items]
    order: dict[str, Any] = {
        "catalog_id": _optional(body, "catalog_id") or DEFAULT_CATALOG_ID,
        "product_items": items,
    }
    note = _optional(body, "text")
    if note:
        order["text"] = note
    return Inbound("order", {"order": order}, f"🛒 {len(items)}")


def _order_item(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InboundError("invalid_items", "each item must be an object")
    product = item.get("product_retailer_id")
    quantity = item.get("quantity")
    price = item.get("item_price")
    currency = item.get("currency", "MXN")
    if not isinstance(product, str) or not product or len(product) > MAX_FIELD:
        raise InboundError("invalid_items", "product_retailer_id is required")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InboundError("invalid_items", "quantity must be a whole number of at least 1")
    if isinstance(price, bool) or not isinstance(price, int | float) or price < 0:
        raise InboundError("invalid_items", "item_price must be a number of at least 0")
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise InboundError("invalid_items", "currency must be an ISO 4217 code such as MXN")
    return {
        "product_retailer_id": product,
        "quantity": quantity,
        "item_price": price,
        "currency": currency.upper(),
    }


def _interactive(body: dict[str, Any]) -> Inbound:
    # A tap on a reply button or a list row; Meta always quotes the business message.
    reply_type = body.get("reply_type") or "button_reply"
    if reply_type not in REPLY_TYPES:
        raise InboundError(
            "invalid_reply_type", f"reply_type must be one of {', '.join(REPLY_TYPES)}"
        )
    target = body.get("reply_to")
    if not isinstance(target, str) or not target:
        raise InboundError("invalid_reply_to", "reply_to must be the wamid of the message answered")
    reply_id = body.get("reply_id")
    if not isinstance(reply_id, str) or not reply_id or len(reply_id) > MAX_REPLY_ID:
        raise InboundError("invalid_reply_id", f"reply_id must be 1 to {MAX_REPLY_ID} characters")
    title = body.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_REPLY_TITLE:
        raise InboundError("invalid_title", f"title must be 1 to {MAX_REPLY_TITLE} characters")
    reply = {"id": reply_id, "title": title}
    description = _optional(body, "description")
    if reply_type == "list_reply" and description:
        reply["description"] = description
    fields = {"interactive": {"type": reply_type, reply_type: reply}}
    return Inbound("interactive", fields, title, targets=(target,))


def _button(body: dict[str, Any]) -> Inbound:
    # A tap on a template's quick-reply button: Meta sends its payload (the one the business
    # set when sending, else the button's text) and text, quoting the template message.
    target = body.get("reply_to")
    if not isinstance(target, str) or not target:
        raise InboundError("invalid_reply_to", "reply_to must be the wamid of the message answered")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_REPLY_TITLE:
        raise InboundError("invalid_title", f"text must be 1 to {MAX_REPLY_TITLE} characters")
    payload = body.get("payload") or text
    if not isinstance(payload, str) or len(payload) > MAX_FIELD:
        raise InboundError("invalid_payload", f"payload must be at most {MAX_FIELD} characters")
    return Inbound("button", {"button": {"payload": payload, "text": text}}, text,
                   targets=(target,))  # fmt: skip


def _unsupported(body: dict[str, Any]) -> Inbound:
    reported = _optional(body, "unsupported_type") or "poll_creation"
    return Inbound(
        "unsupported",
        {"unsupported": {"type": reported}},
        reported,
        errors=[copy.deepcopy(UNSUPPORTED_ERROR)],
    )


def _coordinate(value: Any, bound: float, name: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InboundError("invalid_location", f"{name} must be a number")
    number = float(value)
    if not math.isfinite(number) or abs(number) > bound:
        raise InboundError("invalid_location", f"{name} must be between -{bound} and {bound}")
    return number


def _optional(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_FIELD:
        raise InboundError(
            f"invalid_{key}", f"{key} must be text of at most {MAX_FIELD} characters"
        )
    return value.strip() or None


_BUILDERS = {
    "text": _text,
    "location": _location,
    "contacts": _contacts,
    "reaction": _reaction,
    "order": _order,
    "interactive": _interactive,
    "button": _button,
    "unsupported": _unsupported,
}
