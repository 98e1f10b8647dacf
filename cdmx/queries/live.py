"""The supervisor's live view (``GET /api/v1/live``, ``/supervisor``): who waits now and for
how long, each queue's load and staff, each agent's load against capacity, and today's
figures — the same ``summary`` the reports use, over today's reporting rows, so the live
view and the reports page can never disagree about today.

A wait here is wall-clock time since the customer's unanswered message (``awaiting_since``):
a customer writing at night is waiting, hours or not. The page colours a wait past its
queue's first-response target amber, past twice the target red. Every read is of open
conversations (``ix_conversations_status_last``), the queues' members and today's rows,
never of the history: docs/capacity.md has what it costs over a year of data.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cdmx.db.tables import CONTACTS, CONVERSATIONS, QUEUE_MEMBERS, QUEUES, USERS
from cdmx.domain.routing import CAPACITY_KEY, DEFAULT_CAPACITY
from cdmx.domain.states import ConversationStatus
from cdmx.queries.reports import DEFAULT_TARGET, Period, summary
from cdmx.queries.serialize import iso

WAITING_SHOWN = 100  # the longest waits listed; the counts cover them all


def live_view(
    session: Session, queues: frozenset[int] | None, zone: ZoneInfo, now: datetime
) -> dict[str, Any]:
    """The live numbers for the queues ``queues`` (None: every queue) at ``now``."""
    queue_rows = session.execute(
        select(QUEUES.c.id, QUEUES.c.name, QUEUES.c.target_first_response_seconds)
        .where(*([QUEUES.c.id.in_(queues)] if queues is not None else []))
        .order_by(QUEUES.c.is_default.desc(), QUEUES.c.name)
    ).all()
    targets = {row.id: row.target_first_response_seconds for row in queue_rows}
    members: dict[int, set[int]] = defaultdict(set)
    queues_of_user: dict[int, list[int]] = defaultdict(list)
    for queue_id, user_id in session.execute(
        select(QUEUE_MEMBERS.c.queue_id, QUEUE_MEMBERS.c.user_id)
        .where(QUEUE_MEMBERS.c.queue_id.in_(list(targets)))
        .order_by(QUEUE_MEMBERS.c.queue_id)
    ):
        members[queue_id].add(user_id)
        queues_of_user[user_id].append(queue_id)

    opened = session.execute(open_conversations(queues)).all()

    staff = set().union(*members.values()) | {row.assignee_id for row in opened if row.assignee_id}
    people = {
        row.id: row
        for row in session.execute(
            select(USERS.c.id, USERS.c.name, USERS.c.availability, USERS.c.capacity).where(
                USERS.c.id.in_(staff), USERS.c.is_active.is_(True)
            )
        )
    }
    default_capacity = session.info.get(CAPACITY_KEY, DEFAULT_CAPACITY)

    today = Period(now.astimezone(zone).date(), now.astimezone(zone).date(), zone)
    by_queue = {row["key"]: row for row in summary(session, today, "queue", queues)}
    by_agent = {row["key"]: row for row in summary(session, today, "agent", queues)}

    def age(since: datetime) -> float:
        return max(0.0, round((now - since).total_seconds(), 3))

    waiting = sorted(
        (row for row in opened if row.awaiting_since is not None and row.status != "snoozed"),
        key=lambda row: (row.awaiting_since, row.id),
    )
    open_count: Counter[int | None] = Counter(row.queue_id for row in opened)
    unassigned: Counter[int | None] = Counter(
        row.queue_id for row in opened if row.status == "queued"
    )
    waiting_count: Counter[int | None] = Counter(row.queue_id for row in waiting)
    oldest_by_queue: dict[int | None, Any] = {}
    oldest_by_agent: dict[int, Any] = {}
    for row in waiting:  # oldest first: the first seen is the oldest
        oldest_by_queue.setdefault(row.queue_id, row)
        if row.assignee_id is not None:
            oldest_by_agent.setdefault(row.assignee_id, row)
    load: Counter[int] = Counter(
        row.assignee_id for row in opened if row.status == "assigned" and row.assignee_id
    )

    shown_queues = []
    for queue in queue_rows:
        staffed = Counter(
            people[user_id].availability for user_id in members[queue.id] if user_id in people
        )
        oldest = oldest_by_queue.get(queue.id)
        today_figures = by_queue.get(queue.id, {})
        shown_queues.append({
            "id": queue.id, "name": queue.name,
            "target_first_response_seconds": queue.target_first_response_seconds,
            "waiting": waiting_count[queue.id], "unassigned": unassigned[queue.id],
            "oldest_wait_s": age(oldest.awaiting_since) if oldest else None,
            "oldest_waiting_since": iso(oldest.awaiting_since) if oldest else None,
            "open": open_count[queue.id],
            "agents_available": staffed["available"], "agents_away": staffed["away"],
            "agents_offline": staffed["offline"],
            "first_responses_today": today_figures.get("first_responses", 0),
            "answered_within_target_today": today_figures.get("answered_within_target"),
        })  # fmt: skip

    shown_agents = []
    for person in sorted(people.values(), key=lambda p: (p.name, p.id)):
        oldest = oldest_by_agent.get(person.id)
        today_figures = by_agent.get(person.id, {})
        shown_agents.append({
            "id": person.id, "name": person.name, "availability": person.availability,
            "open": load[person.id], "capacity": person.capacity or default_capacity,
            "queue_ids": queues_of_user[person.id],
            "oldest_unanswered_s": age(oldest.awaiting_since) if oldest else None,
            "oldest_unanswered_since": iso(oldest.awaiting_since) if oldest else None,
            "oldest_unanswered_conversation_id": oldest.id if oldest else None,
            "replies_today": today_figures.get("replies", 0),  # each ended a wait
            "first_response_median_today_s": today_figures.get("first_response_median_s"),
        })  # fmt: skip

    names = {queue.id: queue.name for queue in queue_rows}
    shown_waiting = [
        {
            "conversation_id": row.id,
            "contact_name": row.contact_name,
            "queue_id": row.queue_id,
            "queue_name": names.get(row.queue_id),
            "assignee_id": row.assignee_id,
            "assignee_name": people[row.assignee_id].name if row.assignee_id in people else None,
            "waiting_since": iso(row.awaiting_since),
            "wait_s": age(row.awaiting_since),
            "target_first_response_seconds": targets.get(row.queue_id, DEFAULT_TARGET),
        }  # fmt: skip
        for row in waiting[:WAITING_SHOWN]
    ]
    return {
        "now": iso(now), "queues": shown_queues, "agents": shown_agents,
        "waiting": shown_waiting,
    }  # fmt: skip


def open_conversations(queues: frozenset[int] | None) -> Select[Any]:
    """The open conversations of ``queues`` (None: all) with their customer's name, read
    through the partial index of open conversations (``uq_conversations_open``): a status
    IN (...) looks, to SQLite's statistics, like most of the table, and was a scan of it."""
    return (
        select(
            CONVERSATIONS.c.id, CONVERSATIONS.c.queue_id, CONVERSATIONS.c.assignee_id,
            CONVERSATIONS.c.status, CONVERSATIONS.c.awaiting_since,
            func.coalesce(CONTACTS.c.display_name, func.nullif(CONTACTS.c.name, ""),
                          CONTACTS.c.wa_id).label("contact_name"),
        )
        .join(CONTACTS, CONTACTS.c.id == CONVERSATIONS.c.contact_id)
        .where(CONVERSATIONS.c.status != ConversationStatus.CLOSED.value)
        .where(*([CONVERSATIONS.c.queue_id.in_(queues)] if queues is not None else []))
    )  # fmt: skip
