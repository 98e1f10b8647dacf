"""What a message says, per type, in one normalised shape for the API and the console.

Built from the raw Meta message kept with every inbound message, so it can be recomputed
for old messages when this module learns more. Pure and total: a missing or odd field
becomes None, never an exception.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from cdmx.whatsapp.lenient import as_dict as _dict
from cdmx.whatsapp.lenient import as_list as _list
from cdmx.whatsapp.lenient import as_str as _str

MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")


def message_content(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The type-specific part of a message (see docs/messages.md for every shape)."""
    body = _dict(raw.get(kind))
    if kind == "text":
        return {"body": _str(body.get("body"))}
    if kind in MEDIA_TYPES:
        return {
            "media_id": _str(body.get("id")),
            "mime_type": _str(body.get("mime_type")),
            "caption": _str(body.get("caption")),
            "filename": _str(body.get("filename")),
            "voice": body.get("voice") is True,
            "animated": body.get("animated") is True,
        }
    if kind == "location":
        return _location(body)
    if kind == "contacts":
        return {"contacts": [_contact(_dict(c)) for c in _list(raw.get("contacts"))]}
    if kind == "interactive":
        return _interactive(body)
    if kind == "button":
        return {"payload": _str(body.get("payload")), "text": _str(body.get("text"))}
    if kind == "reaction":
        # Removal arrives as "" or with no emoji at all: both mean "removed".
        return {
            "message_id": _str(body.get("message_id")),
            "emoji": _str(body.get("emoji")) or None,
        }
    if kind == "order":
        return _order(body)
    if kind == "system":
        return {
            "kind": _str(body.get("type")),
            "body": _str(body.get("body")),
            "new_wa_id": _str(body.get("wa_id")) or _str(body.get("new_wa_id")),
        }
    if kind == "edit":
        message = _dict(body.get("message"))
        inner = _str(message.get("type")) or "text"
        return {
            "original_message_id": _str(body.get("original_message_id")),
            "type": inner,
            "content": message_content(inner, message) if inner != "edit" else {},
        }
    if kind == "template":
        from cdmx.whatsapp.templates import template_content  # templates import this module

        return template_content(raw)
    if kind == "revoke":
        return {"original_message_id": _str(body.get("original_message_id"))}
    errors = _list(raw.get("errors"))
    first = _dict(errors[0]) if errors else {}
    return {
        "reported_type": _str(_dict(raw.get("unsupported")).get("type")),
        "error_title": _str(first.get("title")) or _str(first.get("message")),
    }


def message_context(raw: dict[str, Any]) -> dict[str, Any] | None:
    """Reply, forward and product context of an inbound message, or None."""
    context = _dict(raw.get("context"))
    if not context:
        return None
    product = _dict(context.get("referred_product"))
    return {
        # Inbound context names the quoted message "id"; what we send names it "message_id".
        "reply_to": _str(context.get("id")) or _str(context.get("message_id")),
        "forwarded": context.get("forwarded") is True,
        "frequently_forwarded": context.get("frequently_forwarded") is True,
        "referred_product": {
            "catalog_id": _str(product.get("catalog_id")),
            "product_retailer_id": _str(product.get("product_retailer_id")),
        }
        if product
        else None,
    }


def message_referral(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The click-to-WhatsApp ad a conversation came from, or None."""
    referral = _dict(raw.get("referral"))
    if not referral:
        return None
    keys = (
        "source_url", "source_id", "source_type", "headline", "body", "media_type",
        "image_url", "video_url", "thumbnail_url", "ctwa_clid",
    )  # fmt: skip
    return {key: _str(referral.get(key)) for key in keys}


def _location(body: dict[str, Any]) -> dict[str, Any]:
    latitude, longitude = _number(body.get("latitude")), _number(body.get("longitude"))
    map_url = None
    if latitude is not None and longitude is not None:
        # OpenStreetMap: no account, no tracking script; the agent opens it in a new tab.
        map_url = (
            f"https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}"
            f"#map=17/{latitude}/{longitude}"
        )
    return {
        "latitude": latitude,
        "longitude": longitude,
        "name": _str(body.get("name")),
        "address": _str(body.get("address")),
        "url": _str(body.get("url")),
        "map_url": map_url,
    }


def _contact(card: dict[str, Any]) -> dict[str, Any]:
    name = _dict(card.get("name"))
    formatted = _str(name.get("formatted_name")) or " ".join(
        part for part in (_str(name.get("first_name")), _str(name.get("last_name"))) if part
    )
    return {
        "name": formatted or None,
        "phones": [
            {
                "phone": _str(p.get("phone")),
                "wa_id": _str(p.get("wa_id")),
                "type": _str(p.get("type")),
            }
            for p in map(_dict, _list(card.get("phones")))
        ],
        "emails": [
            {"email": _str(e.get("email")), "type": _str(e.get("type"))}
            for e in map(_dict, _list(card.get("emails")))
        ],
        "organization": _str(_dict(card.get("org")).get("company")),
    }


def _interactive(body: dict[str, Any]) -> dict[str, Any]:
    if isinstance(body.get("action"), dict):
        return _interactive_sent(body)
    kind = _str(body.get("type"))
    reply = _dict(body.get(kind or ""))
    response = None
    if kind == "nfm_reply":
        text = _str(reply.get("response_json"))
        try:
            parsed = json.loads(text) if text else None
            response = parsed if isinstance(parsed, dict) else None
        except ValueError:
            response = None
    return {
        "kind": kind,
        "id": _str(reply.get("id")),
        "title": _str(reply.get("title")) or _str(reply.get("name")),
        "description": _str(reply.get("description")),
        "body": _str(reply.get("body")),
        "response": response,
    }


def _interactive_sent(body: dict[str, Any]) -> dict[str, Any]:
    """What the business offered: reply buttons or a list (outbound interactive)."""
    action = _dict(body.get("action"))
    return {
        "kind": _str(body.get("type")),
        "body": _str(_dict(body.get("body")).get("text")),
        "header": _str(_dict(body.get("header")).get("text")),
        "footer": _str(_dict(body.get("footer")).get("text")),
        "buttons": [
            {"id": _str(reply.get("id")), "title": _str(reply.get("title"))}
            for reply in (_dict(_dict(b).get("reply")) for b in _list(action.get("buttons")))
        ],
        "button": _str(action.get("button")),
        "sections": [
            {
                "title": _str(section.get("title")),
                "rows": [
                    {
                        "id": _str(row.get("id")),
                        "title": _str(row.get("title")),
                        "description": _str(row.get("description")),
                    }
                    for row in map(_dict, _list(section.get("rows")))
                ],
            }
            for section in map(_dict, _list(action.get("sections")))
        ],
    }


def _order(body: dict[str, Any]) -> dict[str, Any]:
    items = []
    total = Decimal(0)
    currencies = set()
    for item in map(_dict, _list(body.get("product_items"))):
        quantity = _number(item.get("quantity"))
        price = _number(item.get("item_price"))
        currency = _str(item.get("currency"))
        items.append(
            {
                "product_retailer_id": _str(item.get("product_retailer_id")),
                "quantity": quantity,
                "item_price": price,
                "currency": currency,
            }
        )
        if quantity is not None and price is not None:
            try:
                total += Decimal(str(quantity)) * Decimal(str(price))
            except InvalidOperation:
                pass
        if currency:
            currencies.add(currency)
    single = currencies.pop() if len(currencies) == 1 else None
    return {
        "catalog_id": _str(body.get("catalog_id")),
        "text": _str(body.get("text")),
        "items": items,
        "total": float(total) if items and single else None,
        "currency": single,
    }


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
