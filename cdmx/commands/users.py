"""``cdmx users …`` subcommands: console users."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from cdmx.commands.migrate import apply_migrations
from cdmx.settings import Settings, load_settings


def register(subparsers: Any) -> None:
    """Add the ``users`` command group to the ``cdmx`` parser."""
    users = subparsers.add_parser("users", help="manage console users")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    create = users_sub.add_parser("create", help="create a user")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=("admin", "supervisor", "agent"), default="agent")
    secret = create.add_mutually_exclusive_group()
    secret.add_argument("--password", help="prompted for when neither this nor --link is given")
    secret.add_argument(
        "--link", action="store_true",
        help="no password: print a one-time link (72 h) for the user to choose their own",
    )  # fmt: skip
    create.add_argument("--capacity", type=int, help="default: CDMX_AGENT_CAPACITY")
    create.set_defaults(func=_users_create)

    listing = users_sub.add_parser("list", help="every user, with role, capacity and queues")
    listing.set_defaults(func=_users_list)

    change = users_sub.add_parser("update", help="change a user's name, role or capacity")
    change.add_argument("email")
    change.add_argument("--name")
    change.add_argument("--role", choices=("admin", "supervisor", "agent"))
    change.add_argument("--capacity", help="a number, or 'default' for CDMX_AGENT_CAPACITY")
    change.set_defaults(func=_users_update)

    deactivate = users_sub.add_parser("deactivate", help="switch a user off (sessions end)")
    deactivate.add_argument("email")
    deactivate.set_defaults(func=_users_deactivate)

    link = users_sub.add_parser(
        "sign-in-link", help="print a one-time link for a user to choose a new password"
    )
    link.add_argument("email")
    link.set_defaults(func=_users_sign_in_link)

    password = users_sub.add_parser("set-password", help="set a user's password")
    password.add_argument("email")
    password.add_argument("--password", help="prompted for when not given")
    password.set_defaults(func=_users_set_password)


def _users_create(args: argparse.Namespace) -> int:
    from cdmx.actions.users import do_create_user

    settings = load_settings()  # a wrong setting is said before the password is asked
    password = None
    if not args.link:
        password = args.password if args.password is not None else _ask_password()
        if password is None:
            return 1

    def create(session: Any) -> None:
        user = do_create_user(
            session, email=args.email, name=args.name, role=args.role, password=password,
            capacity=args.capacity,
        )  # fmt: skip
        print(f"created {user.role} {user.email} (id {user.id})")
        if args.link:
            _print_link(settings, user)

    return in_session(create, write=True, settings=settings)


def _users_sign_in_link(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from cdmx.db.tables import User
    from cdmx.domain.errors import NotFound

    settings = load_settings()

    def issue(session: Any) -> None:
        user = session.scalar(select(User).where(User.email == args.email.strip().lower()))
        if user is None or not user.is_active:
            raise NotFound("user_not_found", f"There is no active user {args.email}.")
        _print_link(settings, user)

    return in_session(issue, write=False, settings=settings)


def _print_link(settings: Settings, user: Any) -> None:
    """The link, and until when it works: give it to the user, it is shown only now."""
    from cdmx.web.bearer import TokenSigner, sign_in_link

    link = sign_in_link(TokenSigner(settings.secret_key), settings.base_url, user)
    print(f"sign-in link (works once, until {link['sign_in_link_expires_at']}):")
    print(link["sign_in_link"])


def _ask_password() -> str | None:
    password = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != password:
        print("cdmx: the passwords do not match", file=sys.stderr)
        return None
    return password


def _users_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from cdmx.actions.users import user_json
    from cdmx.db.tables import Queue, User

    def show(session: Any) -> None:
        names = {row.id: row.name for row in session.execute(select(Queue.id, Queue.name))}
        users = list(session.scalars(select(User).order_by(User.email)))
        for user in user_json(session, users):
            capacity = "default" if user["capacity"] is None else user["capacity"]
            queues = ", ".join(names[q] for q in user["queue_ids"]) or "-"
            state = "active" if user["active"] else "inactive"
            print(
                f"{user['id']:>5}  {user['email']:<32} {user['role']:<10} "
                f"capacity {capacity!s:<8} {state:<8} {queues}"
            )

    return in_session(show, write=False)


def _users_update(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    if args.name is not None:
        changes["name"] = args.name
    if args.role is not None:
        changes["role"] = args.role
    if args.capacity is not None:
        if args.capacity == "default":
            changes["capacity"] = None
        elif args.capacity.isdigit():
            changes["capacity"] = int(args.capacity)
        else:
            print("cdmx: --capacity is a whole number or 'default'", file=sys.stderr)
            return 1
    return _change(args.email, changes, "updated")


def _users_deactivate(args: argparse.Namespace) -> int:
    return _change(args.email, {"active": False}, "deactivated")


def _users_set_password(args: argparse.Namespace) -> int:
    password = args.password if args.password is not None else _ask_password()
    if password is None:
        return 1
    return _change(args.email, {"password": password}, "set the password of")


def _change(email: str, changes: dict[str, Any], done: str) -> int:
    from sqlalchemy import select

    from cdmx.actions.users import do_update_user
    from cdmx.db.tables import User
    from cdmx.domain.errors import NotFound

    def change(session: Any) -> None:
        user_id = session.scalar(select(User.id).where(User.email == email.strip().lower()))
        if user_id is None:
            raise NotFound("user_not_found", f"There is no user {email}.")
        user = do_update_user(session, user_id, **changes)
        print(f"{done} {user.email}")

    return in_session(change, write=True)


def in_session(work: Any, *, write: bool, settings: Settings | None = None) -> int:
    """Run ``work(session)`` against the configured database; an action's refusal is
    printed, with exit status 1."""
    from cdmx.db.engine import Database
    from cdmx.domain.errors import ActionError

    settings = settings or load_settings()
    apply_migrations(settings)
    db = Database(settings.database_url)
    try:
        with db.write() if write else db.read() as session:
            work(session)
    except ActionError as exc:
        print(f"cdmx: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    return 0
