"""Which agent gets a conversation: the customer's previous agent when available, else the
available agent with the fewest open conversations (ties to the one idle longest, then id)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AgentLoad:
    agent_id: int
    open_conversations: int
    last_assigned_at: datetime | None = None


def choose_agent(
    available: Sequence[AgentLoad], *, previous_agent_id: int | None = None
) -> int | None:
    """The agent to assign, or None to leave the conversation in the queue."""
    if not available:
        return None
    if previous_agent_id is not None and any(a.agent_id == previous_agent_id for a in available):
        return previous_agent_id
    best = min(
        available,
        key=lambda a: (
            a.open_conversations,
            a.last_assigned_at.timestamp() if a.last_assigned_at else float("-inf"),
            a.agent_id,
        ),
    )
    return best.agent_id
