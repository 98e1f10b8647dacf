"""``cdmx users …`` subcommands: console users."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from cdmx.commands.migrate import apply_migrations
from cdmx.settings import load_settings


def register(subparsers: Any) -> None:
    """Add the ``users`` command group to the ``cdmx`` parser."""
    users = subparsers.add_parser("users", help="manage console users")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    create = users_sub.add_parser("create", help="create a user")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=("admin", "supervisor", "agent"), default="agent")
    create.add_argument("--password", help="prompted for when not given")
    create.set_defaults(func=_users_create)


def _users_create(args: argparse.Namespace) -> int:
    from cdmx.actions.users import do_create_user
    from cdmx.db.engine import Database
    from cdmx.domain.errors import ActionError

    settings = load_settings()
    password = args.password
    if password is None:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("cdmx: the passwords do not match", file=sys.stderr)
            return 1
    apply_migrations(settings)
    db = Database(settings.database_url)
    try:
        with db.write() as session:
            user = do_create_user(
                session, email=args.email, name=args.name, role=args.role, password=password
            )
            print(f"created {user.role} {user.email} (id {user.id})")
    except ActionError as exc:
        print(f"cdmx: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    return 0
