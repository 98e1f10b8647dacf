"""The migrations and the tables agree, on the backend under test."""

from __future__ import annotations

import uuid
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from cdmx.db.migrate import alembic_config, upgrade
from cdmx.db.search import SCHEMA_PREFIXES
from cdmx.db.tables import Base
from tests.conftest import BACKEND_URL


def described_by_the_tables(name: str | None, type_: str, _: object) -> bool:
    """Search's own schema (migration 0006) is not in the tables: leave it out."""
    return not (name or "").startswith(SCHEMA_PREFIXES)


def test_migrated_schema_matches_the_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"include_name": described_by_the_tables}
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_message_search_migrates_down_and_up_again(tmp_path: Path) -> None:
    """0006 has hand-written SQL both ways (triggers, a configuration, a generated column)."""
    if BACKEND_URL == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'updown.db'}", None
    else:
        server = make_url(BACKEND_URL)
        name = f"cdmx_updown_{uuid.uuid4().hex[:10]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url, drop = server.set(database=name).render_as_string(hide_password=False), name
    try:
        upgrade(url)
        command.downgrade(alembic_config(url), "0005")
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                names = set(inspect(connection).get_table_names())
                columns = {c["name"] for c in inspect(connection).get_columns("messages")}
        finally:
            engine.dispose()
        assert not {n for n in names if n.startswith("messages_search")}
        assert "search_vector" not in columns
        upgrade(url)
        test_migrated_schema_matches_the_tables(url)
    finally:
        if drop is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)'))
            admin.dispose()
