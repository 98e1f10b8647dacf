"""Outbound messages: check an agent's message against WhatsApp's rules and build the body
the Graph API wants, before anything is stored or sent.

Each ``build_*`` returns an ``Outgoing`` or raises ``Invalid`` naming the field and the limit,
so the agent hears about a 21-character button title now, not as a failed bubble later.
Limits are Meta's (reference §4.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cdmx.domain.errors import Invalid

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
BUTTON_BODY_LIMIT = 1024
BUTTON_TITLE_LIMIT = 20
BUTTON_ID_LIMIT = 256
MAX_BUTTONS = 3
LIST_BODY_LIMIT = 4096
LIST_BUTTON_LIMIT = 20
LIST_SECTION_TITLE_LIMIT = 24
LIST_ROW_TITLE_LIMIT = 24
LIST_ROW_ID_LIMIT = 200
LIST_ROW_DESCRIPTION_LIMIT = 72
MAX_LIST_SECTIONS = 10
MAX_LIST_ROWS = 10
HEADER_LIMIT = 60
FOOTER_LIMIT = 60


@dataclass(frozen=True)
class Outgoing:
    """A checked outbound message: its Meta type, the type's object, and how to show it."""

    type: str
    body: dict[str, Any]  # {"<type>": {...}} as the Graph API wants it
    text: str | None  # what the API shows as ``text`` (a text body, a caption)
    summary: str
    counts_as_message: bool = True  # a reaction changes a bubble; it is not a new message

    def payload(self, reply_to_wamid: str | None) -> dict[str, Any]:
        """The stored payload: everything of the Graph body but the recipient."""
        payload: dict[str, Any] = {"type": self.type, **self.body}
        if reply_to_wamid:
            payload["context"] = {"message_id": reply_to_wamid}
        return payload


def build_text(text: str | None) -> Outgoing:
    body = _required("text", text, TEXT_LIMIT)
    return Outgoing("text", {"text": {"body": body, "preview_url": _has_link(body)}}, body, body)


def build_reaction(message_wamid: str, emoji: str | None) -> Outgoing:
    """React to a message (an empty emoji removes the reaction)."""
    emoji = (emoji or "").strip()
    if len(emoji) > 10:
        raise Invalid("invalid_emoji", "emoji: one emoji, or empty to remove the reaction.")
    summary = f"Reaccionaste {emoji}" if emoji else "Quitaste tu reacción"
    body = {"reaction": {"message_id": message_wamid, "emoji": emoji}}
    return Outgoing("reaction", body, None, summary, counts_as_message=False)


def build_location(
    latitude: float | None, longitude: float | None, name: str | None, address: str | None
) -> Outgoing:
    if latitude is None or not -90 <= latitude <= 90:
        raise Invalid("invalid_location", "latitude: a number between -90 and 90.")
    if longitude is None or not -180 <= longitude <= 180:
        raise Invalid("invalid_location", "longitude: a number between -180 and 180.")
    location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if name:
        location["name"] = _limited("name", name, 1000)
    if address:
        location["address"] = _limited("address", address, 1000)
    place = name or address
    summary = f"📍 {place}" if place else f"📍 {latitude}, {longitude}"
    return Outgoing("location", {"location": location}, None, summary)


def build_contacts(cards: Sequence[dict[str, Any]] | None) -> Outgoing:
    """Share contact cards: each needs a name and at least one phone or e-mail."""
    if not cards:
        raise Invalid("invalid_contacts", "contacts: at least one contact card.")
    built = []
    for index, card in enumerate(cards):
        name = _required(f"contacts[{index}].name", card.get("name"), 200)
        phones = [str(p).strip() for p in card.get("phones") or [] if str(p).strip()]
        emails = [str(e).strip() for e in card.get("emails") or [] if str(e).strip()]
        if not phones and not emails:
            raise Invalid(
                "invalid_contacts", f"contacts[{index}]: give at least one phone or e-mail."
            )
        first, _, last = name.partition(" ")
        entry: dict[str, Any] = {"name": {"formatted_name": name, "first_name": first}}
        if last:
            entry["name"]["last_name"] = last
        if phones:
            entry["phones"] = [{"phone": p, "type": "CELL"} for p in phones]
        if emails:
            entry["emails"] = [{"email": e, "type": "WORK"} for e in emails]
        built.append(entry)
    names = ", ".join(c["name"]["formatted_name"] for c in built)
    return Outgoing("contacts", {"contacts": built}, None, f"👤 {names}")


def build_buttons(
    body: str | None, buttons: Sequence[dict[str, Any]] | None, *, header: str | None = None,
    footer: str | None = None,
) -> Outgoing:  # fmt: skip
    """Reply buttons: up to three, titles of at most 20 characters, all different."""
    text = _required("body", body, BUTTON_BODY_LIMIT)
    if not buttons or len(buttons) > MAX_BUTTONS:
        raise Invalid("invalid_buttons", f"buttons: between 1 and {MAX_BUTTONS} buttons.")
    titles: list[str] = []
    replies: list[dict[str, Any]] = []
    for index, button in enumerate(buttons):
        title = _required(f"buttons[{index}].title", button.get("title"), BUTTON_TITLE_LIMIT)
        if title.lower() in (t.lower() for t in titles):
            raise Invalid("invalid_buttons", f"buttons[{index}].title: titles must be different.")
        titles.append(title)
        button_id = _limited(
            f"buttons[{index}].id", str(button.get("id") or f"btn-{index + 1}"), BUTTON_ID_LIMIT
        )
        replies.append({"type": "reply", "reply": {"id": button_id, "title": title}})
    interactive: dict[str, Any] = {
        "type": "button", "body": {"text": text}, "action": {"buttons": replies},
    }  # fmt: skip
    _header_footer(interactive, header, footer)
    options = " / ".join(titles)
    return Outgoing("interactive", {"interactive": interactive}, text, f"{text} [{options}]")


def build_list(
    body: str | None, button: str | None, sections: Sequence[dict[str, Any]] | None, *,
    header: str | None = None, footer: str | None = None,
) -> Outgoing:  # fmt: skip
    """A list message: up to ten sections and ten rows in all."""
    text = _required("body", body, LIST_BODY_LIMIT)
    label = _required("button", button, LIST_BUTTON_LIMIT)
    if not sections or len(sections) > MAX_LIST_SECTIONS:
        raise Invalid("invalid_list", f"sections: between 1 and {MAX_LIST_SECTIONS} sections.")
    built = []
    rows_total = 0
    ids: set[str] = set()
    for s_index, section in enumerate(sections):
        rows = section.get("rows") or []
        if not rows:
            raise Invalid("invalid_list", f"sections[{s_index}].rows: at least one row.")
        entry: dict[str, Any] = {"rows": []}
        if section.get("title") or len(sections) > 1:
            entry["title"] = _required(
                f"sections[{s_index}].title", section.get("title"), LIST_SECTION_TITLE_LIMIT
            )
        for r_index, row in enumerate(rows):
            where = f"sections[{s_index}].rows[{r_index}]"
            title = _required(f"{where}.title", row.get("title"), LIST_ROW_TITLE_LIMIT)
            row_id = _limited(
                f"{where}.id", str(row.get("id") or f"row-{rows_total + 1}"), LIST_ROW_ID_LIMIT
            )
            if row_id in ids:
                raise Invalid("invalid_list", f"{where}.id: row ids must be different.")
            ids.add(row_id)
            item = {"id": row_id, "title": title}
            if row.get("description"):
                item["description"] = _limited(
                    f"{where}.description", row["description"], LIST_ROW_DESCRIPTION_LIMIT
                )
            entry["rows"].append(item)
            rows_total += 1
        built.append(entry)
    if rows_total > MAX_LIST_ROWS:
        raise Invalid("invalid_list", f"sections: at most {MAX_LIST_ROWS} rows in all.")
    interactive: dict[str, Any] = {
        "type": "list", "body": {"text": text}, "action": {"button": label, "sections": built},
    }  # fmt: skip
    _header_footer(interactive, header, footer)
    return Outgoing("interactive", {"interactive": interactive}, text, f"{text} [{label}]")


def _header_footer(interactive: dict[str, Any], header: str | None, footer: str | None) -> None:
    if header:
        interactive["header"] = {"type": "text", "text": _limited("header", header, HEADER_LIMIT)}
    if footer:
        interactive["footer"] = {"text": _limited("footer", footer, FOOTER_LIMIT)}


def _required(field: str, value: Any, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise Invalid("empty_text" if field == "text" else "missing_field", f"{field}: required.")
    return _limited(field, text, limit)


def _limited(field: str, value: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        code = "text_too_long" if field == "text" else "too_long"
        raise Invalid(code, f"{field}: at most {limit} characters (this has {len(value)}).")
    return value


def _has_link(text: str) -> bool:
    return "https://" in text or "http://" in text
