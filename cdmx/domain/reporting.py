"""The kinds of reporting rows (``report_events.kind``; definitions in docs/reports.md)."""

from __future__ import annotations

from typing import Final

OPENED: Final = "opened"  # a conversation was opened (by its customer, or by a template)
ASSIGNED: Final = "assigned"  # routed, taken, or answered out of the queue by an agent
TRANSFERRED: Final = "transferred"  # to an agent, or to a queue
REROUTED: Final = "rerouted"  # moved on for silence (reroute_after_minutes)
SNOOZED: Final = "snoozed"
FIRST_REPLY: Final = "first_reply"  # a person's first answer in the conversation, its wait
REPLY: Final = "reply"  # every answer to a waiting customer, its wait
CLOSED: Final = "closed"  # with the conversation's duration
CSAT: Final = "csat"  # a satisfaction answer, 1–5 in ``value``
KINDS: Final = (
    OPENED, ASSIGNED, TRANSFERRED, REROUTED, SNOOZED, FIRST_REPLY, REPLY, CLOSED, CSAT,
)  # fmt: skip
