"""The 24-hour customer service window: free-form replies only inside it."""

from __future__ import annotations

from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)


def window_expires_at(last_inbound_at: datetime | None) -> datetime | None:
    """When the window closes, or None when the customer never wrote."""
    return None if last_inbound_at is None else last_inbound_at + WINDOW


def window_is_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """True while a free-form message may be sent."""
    expires = window_expires_at(last_inbound_at)
    return expires is not None and now < expires
