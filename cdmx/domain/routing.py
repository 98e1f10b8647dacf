"""Which agent gets a conversation.

Of the members of the conversation's queue who are available and under their capacity: the
customer's previous agent when they qualify, else the one with the fewest open
conversations (ties to the one idle longest, then the lowest id). Nobody qualifying leaves
the conversation waiting in its queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

DEFAULT_CAPACITY = 8  # CDMX_AGENT_CAPACITY's default
CAPACITY_KEY = "agent_capacity"  # where a session's info keeps CDMX_AGENT_CAPACITY


@dataclass(frozen=True)
class AgentLoad:
    agent_id: int
    open_conversations: int
    last_assigned_at: datetime | None = None
    capacity: int = DEFAULT_CAPACITY

    @property
    def has_room(self) -> bool:
        return self.open_conversations < self.capacity


def choose_agent(
    candidates: Iterable[AgentLoad], *, previous_agent_id: int | None = None
) -> int | None:
    """The agent to assign among available ``candidates``, or None to leave it waiting."""
    qualified = [a for a in candidates if a.has_room]
    if not qualified:
        return None
    if previous_agent_id is not None and any(a.agent_id == previous_agent_id for a in qualified):
        return previous_agent_id
    best = min(
        qualified,
        key=lambda a: (
            a.open_conversations,
            a.last_assigned_at.timestamp() if a.last_assigned_at else float("-inf"),
            a.agent_id,
        ),
    )
    return best.agent_id
