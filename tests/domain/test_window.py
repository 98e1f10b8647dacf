"""The 24-hour customer service window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cdmx.domain.window import WINDOW, window_expires_at, window_is_open

LAST_INBOUND = datetime(2026, 3, 15, 18, 30, tzinfo=UTC)


def test_window_is_24_hours() -> None:
    assert WINDOW == timedelta(hours=24)


def test_window_expires_24_hours_after_the_last_inbound_message() -> None:
    assert window_expires_at(LAST_INBOUND) == datetime(2026, 3, 16, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "elapsed",
    [timedelta(0), timedelta(hours=1), timedelta(hours=24) - timedelta(microseconds=1)],
    ids=["same-instant", "one-hour", "one-microsecond-before"],
)
def test_window_is_open_until_just_before_24_hours(elapsed: timedelta) -> None:
    assert window_is_open(LAST_INBOUND, LAST_INBOUND + elapsed) is True


@pytest.mark.parametrize(
    "elapsed",
    [timedelta(hours=24), timedelta(hours=24, microseconds=1), timedelta(days=3)],
    ids=["exactly-24h", "just-after", "days-later"],
)
def test_window_is_closed_at_and_after_24_hours(elapsed: timedelta) -> None:
    assert window_is_open(LAST_INBOUND, LAST_INBOUND + elapsed) is False


def test_window_is_open_when_the_clock_is_behind_the_message_timestamp() -> None:
    assert window_is_open(LAST_INBOUND, LAST_INBOUND - timedelta(minutes=5)) is True


def test_customer_who_never_wrote_has_no_window() -> None:
    assert window_expires_at(None) is None
    assert window_is_open(None, LAST_INBOUND) is False
