"""The ``cdmx`` command: the parser's top and the error handling every subcommand shares."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from cdmx.commands import backup, channels, demo, migrate, queues, reports, serve, users
from cdmx.logs import configure_logging
from cdmx.settings import SettingsError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``cdmx`` command line; a settings error is one line on stderr and exit 2."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        configure_logging(
            os.environ.get("CDMX_LOG_LEVEL", "INFO"), os.environ.get("CDMX_LOG_FORMAT", "text")
        )
    except ValueError as exc:
        print(f"cdmx: setting error: CDMX_LOG_FORMAT: {exc}", file=sys.stderr)
        return 2
    try:
        with _audited_as_operator(args.command):
            return int(args.func(args) or 0)
    except SettingsError as exc:
        print(f"cdmx: setting error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


# The commands an operator changes things with: their changes go into the audit trail as
# the command line's (``via: cli``), named by the system account that ran them. Not
# ``serve`` or ``demo``: what a server does is recorded per request, by whoever asked.
_OPERATOR_COMMANDS = frozenset({"users", "queues", "channels"})


@contextmanager
def _audited_as_operator(command: str) -> Iterator[None]:
    if command not in _OPERATOR_COMMANDS:
        yield
        return
    from cdmx.actions.audit import Origin, acting

    with acting(Origin(via="cli", actor_name=f"{_system_user()} (cdmx {command})")):
        yield


def _system_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container's)
        return f"uid {os.getuid()}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cdmx", description="WhatsApp CDMX contact center")
    sub = parser.add_subparsers(dest="command", required=True)
    # The order of the calls is the order `cdmx --help` lists the commands in.
    serve.register(sub)
    demo.register(sub)
    migrate.register(sub)
    users.register(sub)
    queues.register(sub)
    channels.register(sub)
    backup.register(sub)
    reports.register(sub)

    from cdmx.aws.cli import register as register_aws

    register_aws(sub)
    return parser


if __name__ == "__main__":
    sys.exit(main())
