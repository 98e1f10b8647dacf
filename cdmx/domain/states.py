"""Conversation and message states, message types, and the rule that statuses never move
backwards.

The enums are ``StrEnum``s, so a member is also its string (in the database, in JSON, in a
comparison with a plain string). A value none of them knows does not raise: WhatsApp adds
message types and statuses without notice, and during a rolling upgrade an older instance
reads rows a newer one wrote. It becomes the enum's fallback (``unsupported`` for message
types, ``unknown`` for statuses), which every screen can show and no rule acts on.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self


class _WithFallback(StrEnum):
    """A StrEnum whose unknown values map to its ``FALLBACK`` member instead of raising."""

    @classmethod
    def _missing_(cls, value: Any) -> Self:
        return cls[cls._fallback_name()]

    @classmethod
    def _fallback_name(cls) -> str:
        return "UNKNOWN"


class ConversationStatus(_WithFallback):
    QUEUED = "queued"  # waiting for an agent
    ASSIGNED = "assigned"
    SNOOZED = "snoozed"  # put aside until snoozed_until; its agent's place is free
    CLOSED = "closed"
    UNKNOWN = "unknown"  # written by a newer version; shown, never routed


class MessageStatus(_WithFallback):
    """Outbound messages move queued → sent → delivered → read (→ played, voice notes), or
    to failed; an inbound message is received."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    PLAYED = "played"
    FAILED = "failed"
    RECEIVED = "received"
    UNKNOWN = "unknown"  # a status WhatsApp added ("deleted", "warning"…): never applied


class MessageType(_WithFallback):
    """What a message is, as WhatsApp names it (``template`` for ours that used one)."""

    TEXT = "text"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACTS = "contacts"
    INTERACTIVE = "interactive"
    BUTTON = "button"
    REACTION = "reaction"
    ORDER = "order"
    SYSTEM = "system"
    TEMPLATE = "template"
    REQUEST_WELCOME = "request_welcome"
    EDIT = "edit"
    REVOKE = "revoke"
    UNKNOWN = "unknown"  # Meta's own name for a message it could not read
    UNSUPPORTED = "unsupported"  # a type we do not know yet, shown as such

    @classmethod
    def _fallback_name(cls) -> str:
        return "UNSUPPORTED"


class Availability(StrEnum):
    AVAILABLE = "available"
    AWAY = "away"
    OFFLINE = "offline"


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    # An integration token's service user: the author of what the token does, and the actor
    # in the audit trail; it never signs in to the console (cdmx/actions/integrations.py).
    INTEGRATION = "integration"

    @classmethod
    def people(cls) -> frozenset[str]:
        """The roles a person can have (what an admin may give a user)."""
        return frozenset({cls.ADMIN, cls.SUPERVISOR, cls.AGENT})


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"  # a note for the team, never sent (cdmx/actions/notes.py)


# Outbound delivery states in the order WhatsApp moves through them. "failed" is terminal
# for queued/sent messages, but a late "failed" never undoes a "read": the customer saw it.
_RANK: dict[str, int] = {
    MessageStatus.QUEUED: 0, MessageStatus.SENT: 1, MessageStatus.DELIVERED: 2,
    MessageStatus.READ: 3, MessageStatus.PLAYED: 4,
}  # fmt: skip
STATUS_FAILED = MessageStatus.FAILED
STATUS_RECEIVED = MessageStatus.RECEIVED  # inbound messages


def status_advances(current: str, new: str) -> bool:
    """True when an outbound message in ``current`` should move to ``new``."""
    if current == new:
        return False
    if new == STATUS_FAILED:
        return current in (MessageStatus.QUEUED, MessageStatus.SENT)
    if current == STATUS_FAILED:
        # A delivered/read after a failed means the failure was wrong (multi-device).
        return new in (MessageStatus.DELIVERED, MessageStatus.READ, MessageStatus.PLAYED)
    if new not in _RANK or current not in _RANK:
        return False
    return _RANK[new] > _RANK[current]
