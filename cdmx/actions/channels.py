"""WhatsApp numbers: the one from the environment, and their health."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cdmx.actions.audit import record_audit
from cdmx.actions.events import wake
from cdmx.actions.queues import do_ensure_default_queue
from cdmx.db.tables import Channel, OutboxItem, Queue
from cdmx.domain.errors import Conflict, Invalid, NotFound
from cdmx.domain.sealing import Sealer, SealError
from cdmx.queries.queues import default_queue_id


def do_ensure_channel(
    session: Session,
    *,
    phone_number_id: str,
    display_phone_number: str,
    business_account_id: str,
    provider: str = "meta",
) -> Channel:
    """Create or refresh the number configured in the environment.

    The install's default queue is made sure of too. Its health is reset: the operator
    restarted with (possibly) a fixed token, so paused sends get their chance again.
    """
    channel = session.scalar(select(Channel).where(Channel.phone_number_id == phone_number_id))
    if channel is None:
        channel = Channel(
            phone_number_id=phone_number_id, queue_id=do_ensure_default_queue(session),
            created_at=datetime.now(UTC),
        )  # fmt: skip
        session.add(channel)
    channel.provider = provider
    if display_phone_number:
        channel.display_phone_number = display_phone_number
    if business_account_id:
        channel.business_account_id = business_account_id
    session.flush()
    _resume(session, channel)
    return channel


def channel_token(session: Session, channel: Channel, sealer: Sealer | None) -> str | None:
    """The number's own access token, decrypted; None means META_ACCESS_TOKEN. A token that
    cannot be decrypted (CDMX_SECRET_KEY changed) marks the number as needing attention,
    once per transaction, and raises SealError."""
    if not channel.access_token_sealed or sealer is None:
        return None
    try:
        return sealer.unseal(channel.access_token_sealed)
    except SealError as exc:
        marked: set[int] = session.info.setdefault("unreadable_tokens", set())
        if channel.id not in marked:
            do_set_channel_health(session, channel.id, "needs_attention", str(exc))
            marked.add(channel.id)
        raise


def do_set_channel_health(session: Session, channel_id: int, health: str, detail: str) -> None:
    """Mark a number ok or needing attention (sends pause while it needs attention)."""
    channel = session.get(Channel, channel_id)
    if channel is not None and (channel.health, channel.health_detail) != (health, detail):
        channel.health = health
        channel.health_detail = detail


def do_add_channel(
    session: Session,
    sealer: Sealer,
    *,
    phone_number_id: str,
    display_phone_number: str,
    business_account_id: str = "",
    access_token: str | None = None,
    provider: str = "meta",
    rate_per_second: float | None = None,
) -> Channel:
    """Add a WhatsApp number; its token is stored encrypted."""
    phone_number_id = phone_number_id.strip()
    if not phone_number_id or not phone_number_id.replace("-", "").isalnum():
        raise Invalid("invalid_phone_number_id", "The phone number id is Meta's numeric id.")
    if provider not in ("meta", "aws"):
        raise Invalid("invalid_provider", "The provider is meta or aws.")
    if provider == "meta" and not access_token:
        raise Invalid("missing_token", "A number on Meta's Cloud API needs its access token.")
    if rate_per_second is not None and rate_per_second <= 0:
        raise Invalid("invalid_rate", "The send rate must be above zero.")
    if session.scalar(select(Channel.id).where(Channel.phone_number_id == phone_number_id)):
        raise Conflict("number_exists", f"The number {phone_number_id} is already connected.")
    channel = Channel(
        phone_number_id=phone_number_id, display_phone_number=display_phone_number.strip(),
        business_account_id=business_account_id.strip(), provider=provider, health="ok",
        access_token_sealed=sealer.seal(access_token) if access_token else None,
        rate_per_second=rate_per_second, queue_id=default_queue_id(session),
        created_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(channel)
    session.flush()
    shown = channel_json(channel)
    record_audit(
        session, "number.connected", object_type="number", object_id=channel.id,
        after={key: shown[key] for key in _AUDITED},
    )  # fmt: skip
    return channel


# What the audit trail keeps of a new number (never its token).
_AUDITED = ("phone_number_id", "display", "business_account_id", "provider", "rate_per_second")


def do_set_channel_token(session: Session, sealer: Sealer, channel_id: int, token: str) -> Channel:
    """Replace a number's token; sends paused by a bad token resume at once, nothing lost."""
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise NotFound("number_not_found", f"No number {channel_id}.")
    if not token.strip():
        raise Invalid("missing_token", "Give the new access token.")
    channel.access_token_sealed = sealer.seal(token.strip())
    _resume(session, channel)
    record_audit(session, "number.token_replaced", object_type="number", object_id=channel.id)
    return channel


def do_set_channel_queue(session: Session, channel_id: int, queue_id: int) -> Channel:
    """Send a number's new conversations to another queue (open ones stay where they are)."""
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise NotFound("number_not_found", f"No number {channel_id}.")
    if session.get(Queue, queue_id) is None:
        raise Invalid("unknown_queue", f"No queue {queue_id}.")
    if channel.queue_id != queue_id:
        record_audit(
            session, "number.changed", object_type="number", object_id=channel.id,
            before={"queue_id": channel.queue_id}, after={"queue_id": queue_id},
        )  # fmt: skip
    channel.queue_id = queue_id
    session.flush()
    return channel


def _resume(session: Session, channel: Channel) -> None:
    """Healthy again: replies held back by the pause go now, in their order."""
    channel.health = "ok"
    channel.health_detail = None
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.channel_id == channel.id, OutboxItem.done_at.is_(None))
        .values(next_attempt_at=datetime.now(UTC))
    )
    wake(session, "outbox")


def channel_json(channel: Channel) -> dict[str, object]:
    """A number as the API shows it (never its token)."""
    from cdmx.queries.serialize import format_display_number

    return {
        "id": channel.id,
        "phone_number_id": channel.phone_number_id,
        "display": format_display_number(channel.display_phone_number),
        "business_account_id": channel.business_account_id,
        "provider": channel.provider,
        "health": channel.health,
        "health_detail": channel.health_detail,
        "has_own_token": channel.access_token_sealed is not None,
        "rate_per_second": channel.rate_per_second,
        "queue_id": channel.queue_id,
    }
