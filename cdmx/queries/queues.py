"""Queues as the API shows them, and the queue a number's new conversations join."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.db.tables import CHANNELS, QUEUE_MEMBERS, QUEUES, Channel, Queue
from cdmx.domain.hours import BusinessHours

_DEFAULT_KEY = "default_queue_id"
_DEFAULT_QUEUE = select(QUEUES.c.id).where(QUEUES.c.is_default.is_(True))


def default_queue_id(session: Session) -> int | None:
    """The install's default queue (read once per transaction)."""
    if _DEFAULT_KEY not in session.info:
        session.info[_DEFAULT_KEY] = session.connection().scalar(_DEFAULT_QUEUE)
    queue_id: int | None = session.info[_DEFAULT_KEY]
    return queue_id


def queue_of_channel(session: Session, channel: Channel) -> int | None:
    """The queue a number's new conversations join: its own, else the default one."""
    return channel.queue_id if channel.queue_id is not None else default_queue_id(session)


def queues_json(
    session: Session, queues: list[Queue], *, now: datetime | None = None, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """Queues with their numbers and members (two reads for the whole list); with
    ``open_now`` when ``now`` is given."""
    ids = [queue.id for queue in queues]
    numbers: dict[int, list[int]] = defaultdict(list)
    members: dict[int, list[int]] = defaultdict(list)
    if ids:
        for channel_id, queue_id in session.execute(
            select(CHANNELS.c.id, CHANNELS.c.queue_id).order_by(CHANNELS.c.id)
        ):
            owner = queue_id if queue_id is not None else default_queue_id(session)
            if owner in ids:
                numbers[owner].append(channel_id)
        for queue_id, user_id in session.execute(
            select(QUEUE_MEMBERS.c.queue_id, QUEUE_MEMBERS.c.user_id)
            .where(QUEUE_MEMBERS.c.queue_id.in_(ids))
            .order_by(QUEUE_MEMBERS.c.user_id)
        ):
            members[queue_id].append(user_id)
    shown = []
    for queue in queues:
        item: dict[str, Any] = {
            "id": queue.id,
            "name": queue.name,
            "is_default": queue.is_default,
            "number_ids": numbers[queue.id],
            "member_ids": members[queue.id],
            "hours": queue.hours,
            "greeting_message": queue.greeting_message,
            "closed_message": queue.closed_message,
            "reroute_after_minutes": queue.reroute_after_minutes,
            "auto_close_after_hours": queue.auto_close_after_hours,
        }
        if now is not None:
            item["open_now"] = BusinessHours.from_json(queue.hours).is_open(now, zone)
        shown.append(item)
    return shown


def member_queue_ids(session: Session, user_ids: list[int]) -> dict[int, list[int]]:
    """Each user's queues, in one read."""
    queues: dict[int, list[int]] = {user_id: [] for user_id in user_ids}
    if user_ids:
        for queue_id, user_id in session.execute(
            select(QUEUE_MEMBERS.c.queue_id, QUEUE_MEMBERS.c.user_id)
            .where(QUEUE_MEMBERS.c.user_id.in_(user_ids))
            .order_by(QUEUE_MEMBERS.c.queue_id)
        ):
            queues[user_id].append(queue_id)
    return queues
