"""``status_advances``: outbound statuses only move forward, whatever order Meta sends them;
the state enums fall back instead of raising on a value they do not know."""

from __future__ import annotations

import itertools
import json
from enum import StrEnum

import pytest

from cdmx.domain.states import (
    STATUS_FAILED,
    ConversationStatus,
    MessageStatus,
    MessageType,
    status_advances,
)

STATUSES = ["queued", "sent", "delivered", "read", "played", "failed"]

# Every (current, new) pair that moves the message; all other pairs must not.
ADVANCES = {
    ("queued", "sent"), ("queued", "delivered"), ("queued", "read"), ("queued", "played"),
    ("queued", "failed"),
    ("sent", "delivered"), ("sent", "read"), ("sent", "played"), ("sent", "failed"),
    ("delivered", "read"), ("delivered", "played"),
    ("read", "played"),
    # A delivered/read after failed means the failure was wrong (multi-device users).
    ("failed", "delivered"), ("failed", "read"), ("failed", "played"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("current", "new"),
    list(itertools.product(STATUSES, STATUSES)),
    ids=[f"{a}->{b}" for a, b in itertools.product(STATUSES, STATUSES)],
)
def test_status_moves_only_along_the_documented_pairs(current: str, new: str) -> None:
    assert status_advances(current, new) is ((current, new) in ADVANCES)


def test_late_failed_after_read_keeps_read() -> None:
    assert status_advances("read", STATUS_FAILED) is False


def test_late_failed_after_delivered_keeps_delivered() -> None:
    assert status_advances("delivered", STATUS_FAILED) is False


def test_delivered_after_failed_recovers() -> None:
    assert status_advances(STATUS_FAILED, "delivered") is True


def test_sent_after_failed_does_not_undo_the_failure() -> None:
    assert status_advances(STATUS_FAILED, "sent") is False


def test_read_arriving_before_delivered_wins_and_delivered_is_then_ignored() -> None:
    assert status_advances("sent", "read") is True
    assert status_advances("read", "delivered") is False


@pytest.mark.parametrize("other", ["deleted", "warning", "received", "RINGING", ""])
def test_unknown_status_never_moves_and_is_never_moved_to(other: str) -> None:
    for known in STATUSES:
        assert status_advances(known, other) is False
        assert status_advances(other, known) is False


@pytest.mark.parametrize(
    ("enum", "value", "fallback"),
    [
        (MessageType, "poll_v2", MessageType.UNSUPPORTED),
        (MessageStatus, "deleted", MessageStatus.UNKNOWN),
        (ConversationStatus, "snoozed_by_a_newer_version", ConversationStatus.UNKNOWN),
    ],
)
def test_a_value_no_enum_knows_becomes_its_fallback(
    enum: type[StrEnum], value: str, fallback: StrEnum
) -> None:
    assert enum(value) is fallback


def test_known_values_are_their_strings() -> None:
    assert MessageType("image") is MessageType.IMAGE
    assert MessageStatus("read") == "read"
    assert json.dumps({"status": MessageStatus.READ}) == '{"status": "read"}'


def test_an_unknown_status_never_moves_a_message() -> None:
    for current in ("queued", "sent", "delivered", "read", "failed"):
        assert not status_advances(current, MessageStatus("deleted"))
