"""``cdmx reports rebuild``: the reporting rows and counters of existing conversations,
worked out again from their messages (the one place reports' inputs read messages).

Idempotent: each batch of conversations has its rows deleted and written again, in one
transaction that holds those conversations' rows, so a message recorded meanwhile lands
either before (and is counted) or after (and writes its own row). What the messages do not
tell is left out or taken from the conversation as it is now (docs/reports.md, "Rebuilt
data"): one assignment (its agent now, at ``assigned_at``), no transfers, re-routings or
snoozes, the queue's hours of today; the satisfaction score from the conversation's.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from cdmx.actions.reporting import queue_hours, report, span
from cdmx.db.tables import CONVERSATIONS, MESSAGES, REPORT_EVENTS, Conversation
from cdmx.domain.reporting import ASSIGNED, CLOSED, CSAT, FIRST_REPLY, OPENED, REPLY
from cdmx.domain.states import ConversationStatus, Direction
from cdmx.queries.queues import business_zone

# What a customer sends that is not them writing (see cdmx/actions/inbound.py).
_NOT_WRITING = ("reaction", "edit", "revoke", "system")


def conversation_count(session: Session) -> int:
    """How many conversations a rebuild goes through."""
    return int(session.scalar(select(func.count()).select_from(CONVERSATIONS)) or 0)


def conversation_ids_after(session: Session, after: int, limit: int) -> list[int]:
    """The next ``limit`` conversation ids above ``after``, in order."""
    rows = session.scalars(
        select(CONVERSATIONS.c.id).where(CONVERSATIONS.c.id > after)
        .order_by(CONVERSATIONS.c.id).limit(limit)
    )  # fmt: skip
    return list(rows)


def do_rebuild_reports(session: Session, conversation_ids: list[int]) -> int:
    """Write these conversations' reporting rows and counters again; how many rows."""
    if not conversation_ids:
        return 0
    conversations = session.scalars(
        select(Conversation).where(Conversation.id.in_(conversation_ids))
        .order_by(Conversation.id).with_for_update()
    ).all()  # fmt: skip
    session.execute(
        delete(REPORT_EVENTS).where(REPORT_EVENTS.c.conversation_id.in_(conversation_ids))
    )
    messages: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(
        select(
            MESSAGES.c.conversation_id, MESSAGES.c.direction, MESSAGES.c.type,
            MESSAGES.c.author_id, MESSAGES.c.created_at,
        )
        .where(MESSAGES.c.conversation_id.in_(conversation_ids))
        .order_by(MESSAGES.c.conversation_id, MESSAGES.c.id)
    ):  # fmt: skip
        messages[row.conversation_id].append(row)
    zone = business_zone(session)
    written = 0
    for conversation in conversations:
        before = len(session.info.get("report_events", ()))
        _rebuild_one(session, conversation, messages[conversation.id], zone)
        written += len(session.info.get("report_events", ())) - before
    return written


def _rebuild_one(session: Session, conversation: Conversation, rows: list[Any], zone: Any) -> None:
    hours = queue_hours(session, conversation.queue_id)
    report(session, OPENED, conversation, conversation.created_at)
    if conversation.assignee_id is not None and conversation.assigned_at is not None:
        report(session, ASSIGNED, conversation, conversation.assigned_at,
               agent_id=conversation.assignee_id)  # fmt: skip
    waiting = first_reply = None
    messages_in = messages_out = 0
    closed_at = conversation.closed_at
    for row in rows:
        if closed_at is not None and row.created_at > closed_at:
            break  # after its close: the survey and its answers, neither written nor answered
        if row.direction == Direction.INBOUND and row.type not in _NOT_WRITING:
            messages_in += 1
            waiting = waiting or row.created_at
        elif row.direction == Direction.OUTBOUND and row.author_id is not None:
            if row.type == "reaction":
                continue  # changes a bubble; not a message (Outgoing.counts_as_message)
            messages_out += 1
            if waiting is None:
                continue
            raw, business = span(hours, zone, waiting, row.created_at)
            if first_reply is None:
                first_reply = row.created_at
                report(session, FIRST_REPLY, conversation, row.created_at,
                       agent_id=row.author_id, seconds=raw, business_seconds=business)  # fmt: skip
            report(session, REPLY, conversation, row.created_at, agent_id=row.author_id,
                   seconds=raw, business_seconds=business)  # fmt: skip
            waiting = None
    if conversation.status == ConversationStatus.CLOSED and conversation.closed_at is not None:
        raw, business = span(hours, zone, conversation.created_at, conversation.closed_at)
        report(
            session, CLOSED, conversation, conversation.closed_at,
            agent_id=conversation.assignee_id, seconds=raw, business_seconds=business,
        )  # fmt: skip
        waiting = None
    if conversation.csat_score is not None and conversation.csat_answered_at is not None:
        report(session, CSAT, conversation, conversation.csat_answered_at,
               agent_id=conversation.assignee_id, value=conversation.csat_score)  # fmt: skip
    session.execute(
        update(CONVERSATIONS).where(CONVERSATIONS.c.id == conversation.id).values(
            awaiting_since=waiting, first_reply_at=first_reply,
            messages_in=messages_in, messages_out=messages_out,
        )
    )  # fmt: skip
