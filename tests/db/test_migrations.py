"""The migrations and the tables agree, on the backend under test."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from cdmx.db.search import SCHEMA_PREFIXES
from cdmx.db.tables import Base


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
