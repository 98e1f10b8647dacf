"""Parse a webhook body into frozen values, once, keeping the raw dicts beside them.

Every level of Meta's envelope is an array and every level is walked. Nothing here raises
on a strange payload: unknown message types become ``unsupported`` values, malformed items
are reported in ``Update.problems`` and skipped, so one bad item never loses the others.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cdmx.domain.states import MessageStatus, MessageType
from cdmx.whatsapp.lenient import as_dict as _dict
from cdmx.whatsapp.lenient import as_list as _list
from cdmx.whatsapp.lenient import as_str as _str

# The columns' sizes: a longer value is not Meta's, and is reported rather than stored.
MAX_ID = 255  # messages.wamid
MAX_USER_ID = 200  # contacts.user_id
MAX_NAME = 200  # contacts.name
# No text column can keep NUL (PostgreSQL refuses it), and no customer types one. In JSON it
# is the escape \u0000 (one not itself escaped: \\u0000 is a backslash and text).
_NUL = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


class PayloadError(ValueError):
    """The body is not a WhatsApp webhook at all (not JSON, or not an object)."""


@dataclass(frozen=True)
class Sender:
    wa_id: str | None
    user_id: str | None
    name: str


@dataclass(frozen=True)
class MessageError:
    code: int | None
    title: str
    details: str | None


@dataclass(frozen=True)
class InboundMessage:
    phone_number_id: str
    display_phone_number: str
    wamid: str
    sender: Sender
    type: MessageType  # Meta's type as received; "unsupported" when it is not one we know
    text: str | None  # body of a text, caption of a medium
    summary: str
    timestamp: datetime
    errors: tuple[MessageError, ...]
    raw: dict[str, Any] = field(repr=False, hash=False, compare=False)


@dataclass(frozen=True)
class StatusUpdate:
    phone_number_id: str
    wamid: str
    status: MessageStatus  # sent | delivered | read | played | failed; others "unknown"
    timestamp: datetime
    recipient_id: str | None
    errors: tuple[MessageError, ...]
    raw: dict[str, Any] = field(repr=False, hash=False, compare=False)


@dataclass(frozen=True)
class Update:
    messages: tuple[InboundMessage, ...]
    statuses: tuple[StatusUpdate, ...]
    ignored_fields: tuple[str, ...]  # changes[].field values we keep but do not act on
    problems: tuple[str, ...]  # items we could not read, in words


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # e.g. 1e999: no JSON column (PostgreSQL's) can keep it
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json would take NaN and Infinity


def parse_update(body: bytes) -> Update:
    """Turn webhook bytes into an ``Update``; raise PayloadError only for a body that is not
    a JSON object (strict JSON: no NaN, no Infinity, no number beyond a float's range)."""
    if b"\\u0000" in body:
        body = _NUL.sub(rb"\1", body)
    try:
        data = json.loads(body, parse_float=_finite, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise PayloadError(f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PayloadError("body is not a JSON object")
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    ignored: list[str] = []
    problems: list[str] = []
    for entry in _list(data.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            name = str(change.get("field", ""))
            if name != "messages":
                ignored.append(name or "(no field)")
                continue
            _walk_value(_dict(change.get("value")), messages, statuses, problems)
    return Update(tuple(messages), tuple(statuses), tuple(ignored), tuple(problems))


def _walk_value(
    value: dict[str, Any],
    messages: list[InboundMessage],
    statuses: list[StatusUpdate],
    problems: list[str],
) -> None:
    metadata = _dict(value.get("metadata"))
    phone_number_id = _str(metadata.get("phone_number_id"))
    display = _str(metadata.get("display_phone_number")) or ""
    if not phone_number_id:
        problems.append("a messages change without metadata.phone_number_id")
        return
    contacts = [_dict(c) for c in _list(value.get("contacts"))]
    for index, item in enumerate(_list(value.get("messages"))):
        try:
            messages.append(_message(_dict(item), contacts, phone_number_id, display))
        except _Skip as exc:
            problems.append(f"messages[{index}]: {exc}")
    for index, item in enumerate(_list(value.get("statuses"))):
        try:
            statuses.append(parse_status(_dict(item), phone_number_id))
        except _Skip as exc:
            problems.append(f"statuses[{index}]: {exc}")
    for error in _errors(value.get("errors")):
        problems.append(f"error {error.code}: {error.title}")


class _Skip(Exception):
    pass


def _message(
    item: dict[str, Any], contacts: list[dict[str, Any]], phone_number_id: str, display: str
) -> InboundMessage:
    wamid = _str(item.get("id"))
    if not wamid:
        raise _Skip("no id")
    if len(wamid) > MAX_ID:
        raise _Skip(f"an id longer than {MAX_ID} characters")
    sent_from = _str(item.get("from"))
    wa_id = sent_from if sent_from and _is_phone_number(sent_from) else None
    user_id = _str(item.get("from_user_id"))
    if user_id and len(user_id) > MAX_USER_ID:
        user_id = None
    if not wa_id and not user_id:
        if sent_from:
            raise _Skip(
                f"{wamid}: from {sent_from[:40]!r} is not a phone number and there is no "
                "from_user_id"
            )
        raise _Skip(f"{wamid} has neither from nor from_user_id")
    kind = MessageType(_str(item.get("type")) or MessageType.UNKNOWN)  # new types: unsupported
    name = _contact_name(contacts, wa_id, user_id)[:MAX_NAME]
    text = _text_of(item, kind)
    errors = _errors(item.get("errors"))
    return InboundMessage(
        phone_number_id=phone_number_id,
        display_phone_number=display,
        wamid=wamid,
        sender=Sender(wa_id=wa_id, user_id=user_id, name=name),
        type=kind,
        text=text,
        summary=summarize(kind, item, text, errors),
        timestamp=_timestamp(item.get("timestamp")),
        errors=errors,
        raw=item,
    )


def parse_status(item: dict[str, Any], phone_number_id: str) -> StatusUpdate:
    """One ``statuses[]`` item; raises _Skip when it has no id or status."""
    wamid = _str(item.get("id"))
    status = _str(item.get("status"))
    if not wamid or not status:
        raise _Skip("a status without id or status")
    if len(wamid) > MAX_ID:
        raise _Skip(f"a status for an id longer than {MAX_ID} characters")
    return StatusUpdate(
        phone_number_id=phone_number_id,
        wamid=wamid,
        status=MessageStatus(status),
        timestamp=_timestamp(item.get("timestamp")),
        recipient_id=_str(item.get("recipient_id")),
        errors=_errors(item.get("errors")),
        raw=item,
    )


def _is_phone_number(value: str) -> bool:
    """Whether Meta's ``from`` is a phone number (digits, maybe with + and separators)."""
    count = sum(ch.isdigit() for ch in value)
    return 5 <= count <= 20 and all(ch.isdigit() or ch in "+ -()" for ch in value)


def _contact_name(contacts: list[dict[str, Any]], wa_id: str | None, user_id: str | None) -> str:
    # Match by identity, not by position: the arrays are not promised to line up.
    for contact in contacts:
        if (wa_id and _str(contact.get("wa_id")) == wa_id) or (
            user_id and _str(contact.get("user_id")) == user_id
        ):
            profile = _dict(contact.get("profile"))
            return _str(profile.get("name")) or _str(profile.get("username")) or ""
    return ""


def _text_of(item: dict[str, Any], kind: str) -> str | None:
    body = _dict(item.get(kind))
    if kind == "text":
        return _str(body.get("body"))
    if kind in ("image", "video", "document"):
        return _str(body.get("caption"))
    return None


_MEDIA_LABELS = {
    "image": "📷 Foto",
    "video": "🎥 Video",
    "document": "📄 Documento",
    "sticker": "Sticker",
}


def summarize(
    kind: str, item: dict[str, Any], text: str | None, errors: tuple[MessageError, ...]
) -> str:
    """A readable one-liner for any message, shown in lists and for types not yet rendered."""
    body = _dict(item.get(kind))
    if kind == "text":
        return text or ""
    if kind in _MEDIA_LABELS:
        label = _MEDIA_LABELS[kind]
        extra = text or _str(body.get("filename"))
        return f"{label}: {extra}" if extra else label
    if kind == "audio":
        return "🎤 Nota de voz" if body.get("voice") else "🎵 Audio"
    if kind == "location":
        place = _str(body.get("name")) or _str(body.get("address"))
        coords = f"{body.get('latitude')}, {body.get('longitude')}"
        return f"📍 {place} ({coords})" if place else f"📍 {coords}"
    if kind == "contacts":
        names = [
            _str(_dict(_dict(c).get("name")).get("formatted_name")) or "?"
            for c in _list(item.get("contacts"))
        ]
        return "👤 " + ", ".join(names)
    if kind == "interactive":
        reply = _dict(body.get(_str(body.get("type")) or ""))
        return "↩ " + (_str(reply.get("title")) or _str(reply.get("name")) or "respuesta")
    if kind == "button":
        return "↩ " + (_str(body.get("text")) or "botón")
    if kind == "reaction":
        emoji = _str(body.get("emoji"))
        return f"Reaccionó {emoji}" if emoji else "Quitó su reacción"
    if kind == "order":
        count = len(_list(body.get("product_items")))
        return f"🛒 Pedido ({count} productos)"
    if kind == "system":
        new_number = _str(body.get("wa_id")) or _str(body.get("new_wa_id"))
        if _str(body.get("type")) in ("user_changed_number", "customer_changed_number") and (
            new_number
        ):
            return f"El cliente cambió su número a +{new_number}"
        return _str(body.get("body")) or "Mensaje del sistema"
    if kind == "request_welcome":
        return "El cliente abrió el chat"
    if kind == "revoke":
        return "Mensaje eliminado"
    if kind == "edit":
        return "✏️ Mensaje editado"
    title = errors[0].title if errors else ""
    reported = _str(_dict(item.get("unsupported")).get("type")) or _str(item.get("type"))
    detail = ": ".join(part for part in (reported, title) if part)
    return f"Mensaje no compatible ({detail})" if detail else "Mensaje no compatible"


def _errors(value: Any) -> tuple[MessageError, ...]:
    result = []
    for raw in _list(value):
        raw = _dict(raw)
        code = raw.get("code")
        details = _dict(raw.get("error_data")).get("details") or raw.get("details")
        result.append(
            MessageError(
                code=code
                if isinstance(code, int) and not isinstance(code, bool) and abs(code) < 2**31
                else None,
                title=_str(raw.get("title")) or _str(raw.get("message")) or "error",
                details=_str(details),
            )
        )
    return tuple(result)


def _timestamp(value: Any) -> datetime:
    try:
        seconds = int(str(value))
        return datetime.fromtimestamp(seconds, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(UTC)
