"""``cdmx channels …`` subcommands: the connected WhatsApp numbers."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cdmx.commands.migrate import apply_migrations
from cdmx.settings import load_settings


def register(subparsers: Any) -> None:
    """Add the ``channels`` command group to the ``cdmx`` parser."""
    channels = subparsers.add_parser("channels", help="connected WhatsApp numbers")
    channels_sub = channels.add_subparsers(dest="channels_command", required=True)
    channels_sub.add_parser("list", help="list the numbers").set_defaults(func=_channels_list)
    add = channels_sub.add_parser("add", help="connect a number")
    add.add_argument("--phone-number-id", required=True, help="Meta's id of the number")
    add.add_argument("--display", required=True, help="the number, e.g. 525550000000")
    add.add_argument("--waba-id", default="", help="the WhatsApp Business Account id")
    add.add_argument("--provider", choices=("meta", "aws"), default="meta")
    add.add_argument("--rate", type=float, help="sends per second (default CDMX_OUTBOUND_RATE)")
    add.add_argument("--token", help="the access token (prompted for when not given)")
    add.set_defaults(func=_channels_add)
    set_token = channels_sub.add_parser("set-token", help="replace a number's access token")
    set_token.add_argument("--phone-number-id", required=True)
    set_token.add_argument("--token", help="prompted for when not given")
    set_token.set_defaults(func=_channels_set_token)


def _channels_list(_: argparse.Namespace) -> int:
    from sqlalchemy import select

    from cdmx.actions.channels import channel_json
    from cdmx.db.tables import Channel

    with _database() as db, db.read() as session:
        for channel in session.scalars(select(Channel).order_by(Channel.id)):
            row = channel_json(channel)
            token = "own token" if row["has_own_token"] else "META_ACCESS_TOKEN"
            print(
                f"{row['id']:>3}  {row['display']:<18} id {row['phone_number_id']:<20} "
                f"{row['provider']:<5} {row['health']:<16} {token}"
            )
    return 0


def _channels_add(args: argparse.Namespace) -> int:
    from cdmx.actions.channels import do_add_channel
    from cdmx.domain.errors import ActionError
    from cdmx.domain.sealing import Sealer

    token = args.token
    if token is None and args.provider == "meta":
        token = getpass.getpass("Access token: ")
    with _database() as db:
        try:
            with db.write() as session:
                channel = do_add_channel(
                    session, Sealer(load_settings().secret_key),
                    phone_number_id=args.phone_number_id, display_phone_number=args.display,
                    business_account_id=args.waba_id, access_token=token,
                    provider=args.provider, rate_per_second=args.rate,
                )  # fmt: skip
                print(f"connected number {channel.display_phone_number} (id {channel.id})")
        except ActionError as exc:
            print(f"cdmx: {exc.message}", file=sys.stderr)
            return 1
    return 0


def _channels_set_token(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from cdmx.actions.channels import do_set_channel_token
    from cdmx.db.tables import Channel
    from cdmx.domain.errors import ActionError
    from cdmx.domain.sealing import Sealer

    token = args.token if args.token is not None else getpass.getpass("Access token: ")
    with _database() as db:
        try:
            with db.write() as session:
                channel_id = session.scalar(
                    select(Channel.id).where(Channel.phone_number_id == args.phone_number_id)
                )
                if channel_id is None:
                    print(f"cdmx: no number with id {args.phone_number_id}", file=sys.stderr)
                    return 1
                do_set_channel_token(session, Sealer(load_settings().secret_key), channel_id, token)
                print("token replaced; paused sends resume")
        except ActionError as exc:
            print(f"cdmx: {exc.message}", file=sys.stderr)
            return 1
    return 0


@contextmanager
def _database() -> Iterator[Any]:
    from cdmx.db.engine import Database

    settings = load_settings()
    apply_migrations(settings)
    db = Database(settings.database_url)
    try:
        yield db
    finally:
        db.dispose()
