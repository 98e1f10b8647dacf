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

# The waits the daily rollup keeps as histograms (``report_day_waits.wait`` is the index).
FIRST_RESPONSE, FIRST_RESPONSE_BUSINESS, REPLY_WAIT, REPLY_WAIT_BUSINESS = 0, 1, 2, 3
RESOLUTION, RESOLUTION_BUSINESS = 4, 5
WAITS: Final = (
    FIRST_RESPONSE, FIRST_RESPONSE_BUSINESS, REPLY_WAIT, REPLY_WAIT_BUSINESS, RESOLUTION,
    RESOLUTION_BUSINESS,
)  # fmt: skip
# The waits a reporting row of each kind measures: (raw, business).
WAITS_OF: Final = {
    FIRST_REPLY: (FIRST_RESPONSE, FIRST_RESPONSE_BUSINESS),
    REPLY: (REPLY_WAIT, REPLY_WAIT_BUSINESS),
    CLOSED: (RESOLUTION, RESOLUTION_BUSINESS),
}

# The rollup's bins: (below how many seconds, how wide). 1 s below 10 minutes, 10 s below
# an hour, a minute below a day, ten minutes above: within 1.7% of the wait everywhere past
# the first 10 minutes, and a year of one agent's waits in a few thousand bins.
_BINS: Final = ((600, 1), (3600, 10), (86_400, 60))
_WIDEST: Final = 600


def wait_bin(seconds: float) -> int:
    """The lower edge of the rollup bin a wait falls in: how the rollup reports it."""
    for below, width in _BINS:
        if seconds < below:
            return int(seconds // width) * width
    return int(seconds // _WIDEST) * _WIDEST
