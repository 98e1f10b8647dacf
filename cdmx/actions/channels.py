"""WhatsApp numbers: the one from the environment, and their health."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.db.tables import Channel


def do_ensure_channel(
    session: Session,
    *,
    phone_number_id: str,
    display_phone_number: str,
    business_account_id: str,
    provider: str = "meta",
) -> Channel:
    """Create or refresh the number configured in the environment.

    Its health is reset: the operator restarted with (possibly) a fixed token, so paused
    sends get their chance again.
    """
    channel = session.scalar(select(Channel).where(Channel.phone_number_id == phone_number_id))
    if channel is None:
        channel = Channel(phone_number_id=phone_number_id, created_at=datetime.now(UTC))
        session.add(channel)
    channel.provider = provider
    if display_phone_number:
        channel.display_phone_number = display_phone_number
    if business_account_id:
        channel.business_account_id = business_account_id
    channel.health = "ok"
    channel.health_detail = None
    session.flush()
    return channel


def do_set_channel_health(session: Session, channel_id: int, health: str, detail: str) -> None:
    """Mark a number ok or needing attention (sends pause while it needs attention)."""
    channel = session.get(Channel, channel_id)
    if channel is not None and (channel.health, channel.health_detail) != (health, detail):
        channel.health = health
        channel.health_detail = detail
