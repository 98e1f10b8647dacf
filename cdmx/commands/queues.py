"""``cdmx queues …`` subcommands: the same verbs as the Colas page, for an operator at a
terminal. Validation is the actions' (``cdmx/actions/queues.py``); this module only turns
options into their fields and their refusals into one line on stderr."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdmx.commands.users import in_session
from cdmx.settings import load_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_SHOWN_DATES = 3  # closed dates listed by name in `queues list`; the rest are counted


class _BadOption(ValueError):
    """An option the command line can refuse before opening the database."""


def register(subparsers: Any) -> None:
    """Add the ``queues`` command group to the ``cdmx`` parser."""
    queues = subparsers.add_parser("queues", help="manage queues (teams)")
    queues_sub = queues.add_subparsers(dest="queues_command", required=True)

    listing = queues_sub.add_parser(
        "list", help="every queue, with numbers, members, hours and timers"
    )
    listing.set_defaults(func=_queues_list)

    create = queues_sub.add_parser("create", help="create a queue")
    create.add_argument("--name", required=True)
    _membership_options(create)
    create.set_defaults(func=_queues_create)

    change = queues_sub.add_parser("update", help="change what is given, leave the rest")
    change.add_argument("queue", metavar="ID|NAME")
    change.add_argument("--name")
    _membership_options(change)
    change.add_argument("--greeting", metavar="TEXT", help="sent on a new conversation; '' clears")
    change.add_argument(
        "--closed-message", metavar="TEXT", help="sent when a customer writes closed; '' clears"
    )
    change.add_argument("--reroute-after-minutes", metavar="N|off")
    change.add_argument("--auto-close-after-hours", metavar="N|off")
    hours = change.add_mutually_exclusive_group()
    hours.add_argument(
        "--hours-file", metavar="FILE.json", help="business hours, as the API's `hours` object"
    )
    hours.add_argument("--always-open", action="store_true", help="drop the business hours")
    change.set_defaults(func=_queues_update)


def _membership_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--numbers", metavar="ID,..", help="the number ids (cdmx channels list) that feed it"
    )
    parser.add_argument("--members", metavar="EMAIL,..", help="exactly these members")


def _queues_list(_: argparse.Namespace) -> int:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from cdmx.db.tables import Channel, Queue, User
    from cdmx.queries.queues import queues_json

    settings = load_settings()

    def show(session: Session) -> None:
        numbers = {c.id: c.display_phone_number for c in session.scalars(select(Channel))}
        emails = {row.id: row.email for row in session.execute(select(User.id, User.email))}
        queues = list(session.scalars(select(Queue).order_by(Queue.is_default.desc(), Queue.name)))
        now, zone = datetime.now(UTC), ZoneInfo(settings.timezone)
        for queue in queues_json(session, queues, now=now, zone=zone):
            default = " (default)" if queue["is_default"] else ""
            state = "open now" if queue["open_now"] else "closed now"
            shown = [f"{numbers[n] or '-'} (id {n})" for n in queue["number_ids"]]
            print(f"{queue['id']:>5}  {queue['name']}{default}  {state}: {hours_summary(queue)}")
            print(f"       numbers   {', '.join(shown) or '-'}")
            print(f"       members   {', '.join(emails[m] for m in queue['member_ids']) or '-'}")
            print(f"       timers    {_timers(queue)}")
            print(f"       greeting  {_short(queue['greeting_message'])}")
            print(f"       closed    {_short(queue['closed_message'])}")

    return in_session(show, write=False, settings=settings)


def hours_summary(queue: dict[str, Any]) -> str:
    """A queue's hours on one line: ``mon-fri 09:00-18:00; sat 10:00-14:00; holidays MX``."""
    from cdmx.domain.hours import DAYS

    hours = queue["hours"]
    if hours is None:
        return "always open"
    groups: list[tuple[str, str, str]] = []  # (first day, last day, ranges)
    for day in DAYS:
        ranges = ", ".join(f"{start}-{end}" for start, end in hours["weekly"].get(day) or [])
        if groups and groups[-1][2] == ranges and DAYS.index(groups[-1][1]) == DAYS.index(day) - 1:
            groups[-1] = (groups[-1][0], day, ranges)
        else:
            groups.append((day, day, ranges))
    parts = [
        f"{first if first == last else f'{first}-{last}'} {ranges}"
        for first, last, ranges in groups
        if ranges
    ] or ["no opening hours"]
    if hours.get("holidays"):
        parts.append(f"holidays {hours['holidays']}")
    dates = hours.get("closed_dates") or []
    if dates:
        more = f" +{len(dates) - _SHOWN_DATES} more" if len(dates) > _SHOWN_DATES else ""
        parts.append(f"closed {', '.join(dates[:_SHOWN_DATES])}{more}")
    return "; ".join(parts)


def _timers(queue: dict[str, Any]) -> str:
    minutes, hours = queue["reroute_after_minutes"], queue["auto_close_after_hours"]
    reroute = "off" if minutes is None else f"after {minutes} min"
    close = "off" if hours is None else f"after {hours} h"
    return f"re-route {reroute}, auto-close {close}"


def _short(text: str | None, most: int = 60) -> str:
    if text is None:
        return "-"
    line = " ".join(text.split())
    return line if len(line) <= most else line[: most - 1] + "…"


def _queues_create(args: argparse.Namespace) -> int:
    from cdmx.actions.queues import do_create_queue

    try:
        fields = _fields(args)
    except _BadOption as exc:
        print(f"cdmx: {exc}", file=sys.stderr)
        return 1

    def create(session: Session) -> None:
        queue = do_create_queue(session, name=args.name, **_resolved(session, fields))
        print(f"created queue {queue.name} (id {queue.id})")

    return in_session(create, write=True)


def _queues_update(args: argparse.Namespace) -> int:
    from cdmx.actions.queues import do_update_queue

    try:
        fields = _fields(args)
    except _BadOption as exc:
        print(f"cdmx: {exc}", file=sys.stderr)
        return 1

    if args.name is not None:
        fields["name"] = args.name

    def change(session: Session) -> None:
        queue_id = _queue_id(session, args.queue)
        queue = do_update_queue(session, queue_id, **_resolved(session, fields))
        print(f"updated queue {queue.name} (id {queue.id})")

    return in_session(change, write=True)


def _fields(args: argparse.Namespace) -> dict[str, Any]:
    """The actions' fields from the options given, ``name`` aside (members still as
    emails); refuses what is malformed before the database is opened."""
    fields: dict[str, Any] = {}
    if args.numbers is not None:
        try:
            fields["number_ids"] = [int(item) for item in _items(args.numbers)]
        except ValueError:
            raise _BadOption(
                "--numbers is a comma-separated list of number ids (see cdmx channels list)"
            ) from None
    if args.members is not None:
        fields["member_emails"] = [item.lower() for item in _items(args.members)]
    for option, field in (("greeting", "greeting_message"), ("closed_message", "closed_message")):
        if getattr(args, option, None) is not None:
            fields[field] = getattr(args, option)
    for option in ("reroute_after_minutes", "auto_close_after_hours"):
        value = getattr(args, option, None)
        if value is not None:
            fields[option] = _timer(value, "--" + option.replace("_", "-"))
    if getattr(args, "always_open", False):
        fields["hours"] = None
    elif getattr(args, "hours_file", None) is not None:
        fields["hours"] = _read_hours(args.hours_file)
    return fields


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _timer(value: str, option: str) -> int | None:
    if value.strip().lower() == "off":
        return None
    if value.strip().isdigit():
        return int(value)  # the action checks the range
    raise _BadOption(f"{option} is a whole number or 'off'")


def _read_hours(path: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise _BadOption(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadOption(f"{path} is not JSON: {exc.msg} (line {exc.lineno})") from None


def _resolved(session: Session, fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` with member emails turned into the ids the action takes."""
    from sqlalchemy import select

    from cdmx.db.tables import User
    from cdmx.domain.errors import Invalid

    if "member_emails" not in fields:
        return fields
    resolved = dict(fields)
    emails = resolved.pop("member_emails")
    found = {
        row.email: row.id
        for row in session.execute(
            select(User.email, User.id).where(User.email.in_(emails), User.is_active.is_(True))
        )
    }
    missing = [email for email in emails if email not in found]
    if missing:
        raise Invalid("unknown_user", f"No active user {', '.join(missing)}.")
    resolved["member_ids"] = [found[email] for email in emails]
    return resolved


def _queue_id(session: Session, ref: str) -> int:
    """A queue by id, else by name (any case)."""
    from sqlalchemy import func, select

    from cdmx.db.tables import Queue
    from cdmx.domain.errors import NotFound

    ref = ref.strip()
    queue_id = None
    if ref.isdigit():
        queue_id = session.scalar(select(Queue.id).where(Queue.id == int(ref)))
    if queue_id is None:
        queue_id = session.scalar(select(Queue.id).where(func.lower(Queue.name) == ref.lower()))
    if queue_id is None:
        raise NotFound("queue_not_found", f"There is no queue {ref}.")
    return queue_id
