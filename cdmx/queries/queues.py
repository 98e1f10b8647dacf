"""Queues as the API shows them, and the queue a number's new conversations join."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.db.tables import CHANNELS, QUEUE_MEMBERS, QUEUES, Channel, Queue
from cdmx.domain.hours import BusinessHours, HoursError

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


@dataclass(frozen=True)
class QueueRules:
    """What a queue does by itself: its hours, automatic messages and timers."""

    id: int
    hours: BusinessHours
    greeting_message: str | None
    closed_message: str | None
    reroute_after_minutes: int | None
    auto_close_after_hours: int | None
    csat_enabled: bool = False
    csat_template_name: str | None = None
    csat_template_language: str | None = None


ZONE_KEY = "business_zone"  # the sessions' CDMX_TIMEZONE, set by cdmx.app
_MEXICO_CITY = ZoneInfo("America/Mexico_City")


def business_zone(session: Session) -> ZoneInfo:
    zone: ZoneInfo = session.info.get(ZONE_KEY, _MEXICO_CITY)
    return zone


_RULES_KEY = "queue_rules"
_RULES = select(
    QUEUES.c.id, QUEUES.c.hours, QUEUES.c.greeting_message, QUEUES.c.closed_message,
    QUEUES.c.reroute_after_minutes, QUEUES.c.auto_close_after_hours, QUEUES.c.csat_enabled,
    QUEUES.c.csat_template_name, QUEUES.c.csat_template_language,
)  # fmt: skip


def queue_rules(session: Session, queue_id: int | None) -> QueueRules | None:
    """A queue's rules, read once per transaction for every queue (a handful of rows): an
    inbox batch reads them once whatever the number of messages."""
    return None if queue_id is None else _rules(session).get(queue_id)


def all_queue_rules(session: Session) -> list[QueueRules]:
    return list(_rules(session).values())


def _rules(session: Session) -> dict[int, QueueRules]:
    rules: dict[int, QueueRules] | None = session.info.get(_RULES_KEY)
    if rules is None:
        rules = {}
        for row in session.connection().execute(_RULES):
            try:
                hours = BusinessHours.from_json(row.hours)
            except HoursError:  # stored by hand, bypassing the API: treated as always open
                hours = BusinessHours()
            rules[row.id] = QueueRules(
                row.id, hours, row.greeting_message or None, row.closed_message or None,
                row.reroute_after_minutes, row.auto_close_after_hours, bool(row.csat_enabled),
                row.csat_template_name or None, row.csat_template_language or None,
            )  # fmt: skip
        session.info[_RULES_KEY] = rules
    return rules


def forget_queue_rules(session: Session) -> None:
    """A queue changed in this transaction: read the rules again next time."""
    session.info.pop(_RULES_KEY, None)


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
            "target_first_response_seconds": queue.target_first_response_seconds,
            "csat_enabled": queue.csat_enabled,
            "csat_template_name": queue.csat_template_name,
            "csat_template_language": queue.csat_template_language,
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
