"""``cdmx migrate``, and the migration step every other command runs before it starts."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from cdmx.settings import Settings, SettingsError, load_settings


def register(subparsers: Any) -> None:
    """Add the ``migrate`` command to the ``cdmx`` parser."""
    migrate = subparsers.add_parser("migrate", help="apply pending database migrations")
    migrate.set_defaults(func=_migrate)


def _migrate(_: argparse.Namespace) -> int:
    settings = load_settings()
    apply_migrations(settings)
    print("database is up to date")
    return 0


def apply_migrations(settings: Settings) -> None:
    """Bring the database up to date, or raise a ``SettingsError`` naming why it cannot be."""
    # Before the import: alembic logs its plugin set-up at INFO while it loads.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from cdmx.db.migrate import upgrade

    try:
        upgrade(settings.database_url)
    except Exception as exc:  # an unreachable or broken database is an operator's problem
        raise SettingsError(
            f"CDMX_DATABASE_URL: cannot migrate the database ({_first_line(exc)})"
        ) from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
