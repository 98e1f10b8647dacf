"""Conversation and message states, and the rule that statuses never move backwards."""

from __future__ import annotations

from enum import StrEnum


class ConversationStatus(StrEnum):
    QUEUED = "queued"  # waiting for an agent
    ASSIGNED = "assigned"
    CLOSED = "closed"


class Availability(StrEnum):
    AVAILABLE = "available"
    AWAY = "away"
    OFFLINE = "offline"


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


# Outbound delivery states in the order WhatsApp moves through them. "failed" is terminal
# for queued/sent messages, but a late "failed" never undoes a "read": the customer saw it.
_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "played": 4}
STATUS_FAILED = "failed"
STATUS_RECEIVED = "received"  # inbound messages


def status_advances(current: str, new: str) -> bool:
    """True when an outbound message in ``current`` should move to ``new``."""
    if current == new:
        return False
    if new == STATUS_FAILED:
        return current in ("queued", "sent")
    if current == STATUS_FAILED:
        # A delivered/read after a failed means the failure was wrong (multi-device).
        return new in ("delivered", "read", "played")
    if new not in _RANK or current not in _RANK:
        return False
    return _RANK[new] > _RANK[current]
