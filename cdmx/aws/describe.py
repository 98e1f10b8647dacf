"""WhatsApp messages Connect chat cannot show, written out as readable text (Spanish first).

Connect chat shows plain text and attachments. Locations, shared contacts, reactions,
button replies and the quoted message of a reply have no place there, so the agent gets
them as words instead of losing them.
"""

from __future__ import annotations

from typing import Any

from cdmx.whatsapp.lenient import as_dict as _dict
from cdmx.whatsapp.lenient import as_list as _list
from cdmx.whatsapp.payload import InboundMessage

MEDIA_KINDS = frozenset({"image", "video", "audio", "document", "sticker"})
PREVIEW_CHARS = 120


def describe(message: InboundMessage) -> str:
    """The text an agent reads for this message (without its reply context)."""
    raw = message.raw
    kind = message.type
    body = _dict(raw.get(kind))
    if kind == "text":
        return message.text or ""
    if kind == "location":
        return _location(body)
    if kind == "contacts":
        return _contacts(raw.get("contacts"))
    if kind == "reaction":
        emoji = _str(body.get("emoji"))
        return f"Reaccionó {emoji} a un mensaje" if emoji else "Quitó su reacción a un mensaje"
    if kind == "interactive":
        reply = _dict(body.get(_str(body.get("type")) or ""))
        title = _str(reply.get("title")) or _str(reply.get("name")) or "respuesta"
        detail = _str(reply.get("description"))
        return f"Eligió: {title}" + (f" — {detail}" if detail else "")
    if kind == "button":
        return f"Tocó el botón: {_str(body.get('text')) or _str(body.get('payload')) or '?'}"
    return message.summary


def reply_context(quoted_preview: str | None) -> str:
    """The line put before a reply to an earlier message."""
    if quoted_preview:
        return f"↩ En respuesta a: «{quoted_preview}»"
    return "↩ En respuesta a un mensaje anterior"


def reaction_target(message: InboundMessage) -> str | None:
    """The wamid a reaction points at."""
    if message.type != "reaction":
        return None
    return _str(_dict(message.raw.get("reaction")).get("message_id"))


def quoted_wamid(message: InboundMessage) -> str | None:
    """The wamid a reply quotes (``context.id``), or None."""
    return _str(_dict(message.raw.get("context")).get("id"))


def preview(text: str) -> str:
    """A short single-line form of a message, kept to quote it later."""
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


def media_of(message: InboundMessage) -> dict[str, Any] | None:
    """The media object (id, mime_type, filename…) of a media message."""
    if message.type not in MEDIA_KINDS:
        return None
    media = _dict(message.raw.get(message.type))
    return media if _str(media.get("id")) else None


def _location(body: dict[str, Any]) -> str:
    lat, lng = body.get("latitude"), body.get("longitude")
    lines = ["📍 Ubicación compartida"]
    for key in ("name", "address"):
        if _str(body.get(key)):
            lines.append(str(body[key]))
    if lat is not None and lng is not None:
        lines.append(f"{lat}, {lng} — https://maps.google.com/?q={lat},{lng}")
    return "\n".join(lines)


def _contacts(items: Any) -> str:
    lines = ["👤 Contacto compartido"]
    for item in items if isinstance(items, list) else []:
        card = _dict(item)
        name = _str(_dict(card.get("name")).get("formatted_name")) or "(sin nombre)"
        phones = [_str(_dict(p).get("phone")) for p in _list(card.get("phones"))]
        emails = [_str(_dict(e).get("email")) for e in _list(card.get("emails"))]
        details = ", ".join(x for x in phones + emails if x)
        lines.append(f"{name}: {details}" if details else name)
    return "\n".join(lines)


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None
