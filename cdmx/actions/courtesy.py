"""What the customer sees of the agent: blue ticks when the agent reads, "typing…" while
the agent writes (both off with CDMX_READ_RECEIPTS=false).

These are courtesies, not messages: they go straight to the Graph API instead of through
the outbox (nothing is stored, so nothing is retried), and a failure is logged, never shown.
``courtesy_target`` finds what to send inside the caller's transaction; ``send_courtesy``
sends it afterwards, outside any transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.db.tables import Channel, Message
from cdmx.domain.sealing import Sealer, SealError
from cdmx.whatsapp.errors import GraphError
from cdmx.whatsapp.graph import GraphClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CourtesyTarget:
    """The customer's latest message and how to reach Meta for it."""

    phone_number_id: str
    token: str
    wamid: str


def courtesy_target(
    session: Session, conversation_id: int, *, default_token: str, sealer: Sealer
) -> CourtesyTarget | None:
    """Where a read receipt or "typing…" for this conversation goes (None: nothing to do).

    Only numbers on Meta's Cloud API have them; a token that cannot be decrypted skips the
    courtesy (the outbox, which needs the token too, marks the number as needing attention).
    """
    row = session.execute(
        select(
            Message.wamid, Channel.phone_number_id, Channel.access_token_sealed, Channel.provider
        )
        .join(Channel, Channel.id == Message.channel_id)
        .where(Message.conversation_id == conversation_id, Message.direction == "inbound")
        .order_by(Message.id.desc())
        .limit(1)
    ).first()
    if row is None or not row.wamid or row.provider != "meta":
        return None
    token = default_token
    if row.access_token_sealed:
        try:
            token = sealer.unseal(row.access_token_sealed)
        except SealError:
            return None
    return CourtesyTarget(row.phone_number_id, token, row.wamid)


async def send_courtesy(graph: GraphClient, target: CourtesyTarget, *, typing: bool) -> None:
    """Send "typing…" (``typing``) or the read receipt; a refusal is logged, not raised."""
    name = "typing indicator" if typing else "read receipt"
    try:
        if typing:
            await graph.send_typing(target.phone_number_id, target.token, target.wamid)
        else:
            await graph.mark_read(target.phone_number_id, target.token, target.wamid)
    except GraphError as exc:
        log.info("%s for %s not sent: %s", name, target.wamid, exc)
