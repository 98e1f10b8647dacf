"""The ``cdmx`` command: the parser's top and the error handling every subcommand shares."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from cdmx.commands import backup, channels, demo, migrate, queues, serve, users
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
        return int(args.func(args) or 0)
    except SettingsError as exc:
        print(f"cdmx: setting error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


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

    from cdmx.aws.cli import register as register_aws

    register_aws(sub)
    return parser


if __name__ == "__main__":
    sys.exit(main())
