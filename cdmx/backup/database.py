"""The database's side of a backup: a consistent copy, the rows of each table, a restore.

SQLite: the online backup API of ``sqlite3``, in one step. It reads inside one read
transaction, which WAL mode lets run beside the server's writers; copied in several steps,
a write by the server between two of them would restart the copy, and under a steady flow
of webhooks it might never end.

PostgreSQL: ``pg_dump`` in its custom format, inside a snapshot this module exports from a
REPEATABLE READ transaction, in which it also counts every table: the counts in the
manifest are those of exactly the rows dumped. ``pg_dump`` rather than the driver's COPY
because the archive holds everything the migrations made besides rows (sequences at their
positions, the search configuration, triggers, the ``unaccent`` extension), and
``pg_restore --single-transaction`` puts it back all or nothing; a COPY of each table would
have to rebuild those by hand. It needs the PostgreSQL client tools of the server's major
version or newer on the machine that runs the backup.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from cdmx.backup.errors import BackupError, TargetNotEmpty

FILE_NAMES = {"sqlite": "database/cdmx.sqlite3", "postgresql": "database/cdmx.pgdump"}
# libpq's environment variables for the parts of a URL's query string it understands.
LIBPQ_QUERY = {
    "host": "PGHOST", "port": "PGPORT", "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
}  # fmt: skip


@dataclass(frozen=True)
class DatabaseCopy:
    """What a copy of the database holds: its backend, schema revision and rows per table."""

    backend: str
    revision: str | None
    tables: dict[str, int] = field(default_factory=dict)


def backend_of(url: str) -> str:
    """``sqlite`` or ``postgresql``."""
    return "sqlite" if make_url(url).get_backend_name() == "sqlite" else "postgresql"


def dump_database(url: str, target: Path) -> DatabaseCopy:
    """Write a consistent copy of the database at ``url`` to the file ``target``."""
    if backend_of(url) == "sqlite":
        return _sqlite_dump(_sqlite_path(url), target)
    return _postgres_dump(url, target)


def ensure_database_empty(url: str) -> None:
    """Raise TargetNotEmpty when the database has any table; a missing one is fine."""
    if backend_of(url) == "sqlite":
        path = _sqlite_path(url)
        tables = len(count_tables(url)) if path.exists() and path.stat().st_size else 0
        wal = Path(f"{path}-wal")
        if tables or (wal.exists() and wal.stat().st_size):  # a log would replay on the copy
            raise _not_empty(str(path), tables)
        return
    if not database_exists(url):
        return
    with _connected(url) as connection:
        tables = connection.scalar(
            text(
                "SELECT count(*) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
        )
    if tables:
        raise _not_empty(str(make_url(url).database), int(tables))


def _not_empty(name: str, tables: int) -> TargetNotEmpty:
    return TargetNotEmpty(
        f"CDMX_DATABASE_URL: the database {name} is not empty ({tables} tables): restore "
        "into a new or an empty database"
    )


def restore_database(backend: str, archive: Path, url: str) -> None:
    """Put the copy in ``archive`` into the (empty or missing) database at ``url``."""
    if backend != backend_of(url):
        raise BackupError(
            f"CDMX_DATABASE_URL: the backup is of a {backend} database, this URL names a "
            f"{backend_of(url)} one"
        )
    if backend == "sqlite":
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".restore-")
        os.close(fd)
        try:
            shutil.copyfile(archive, temporary)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return
    if not database_exists(url):
        create_database(url)
    name = str(make_url(url).database)
    _run(
        [_tool("pg_restore"), "--no-owner", "--no-acl", "--single-transaction",
         "--exit-on-error", f"--dbname={name}", str(archive)],
        url,
    )  # fmt: skip


def count_tables(url: str) -> dict[str, int]:
    """Rows in every table of the database (SQLite's search index left out: it is derived)."""
    with _connected(url) as connection:
        return _counts(connection)


def referenced_keys(url: str) -> set[str]:
    """The media keys the database says are stored: the files a restore must bring back."""
    import json

    keys: set[str] = set()
    with _connected(url) as connection:
        tables = set(_table_names(connection))
        if "media" in tables:
            for key, thumbnail in connection.execute(
                text("SELECT storage_key, thumbnail_key FROM media WHERE status = 'stored'")
            ):
                keys.update(k for k in (key, thumbnail) if k)
        if "canned_responses" in tables:
            rows = connection.execute(
                text("SELECT attachment FROM canned_responses WHERE attachment IS NOT NULL")
            )
            for (attachment,) in rows:
                value = json.loads(attachment) if isinstance(attachment, str) else attachment
                if isinstance(value, dict) and value.get("storage_key"):
                    keys.add(str(value["storage_key"]))
    return keys


def create_database(url: str) -> None:
    """CREATE DATABASE for the database ``url`` names, from the server's ``postgres``."""
    name = str(make_url(url).database)
    with _server(url) as connection:
        connection.execute(text(f"CREATE DATABASE {_quoted(name)}"))


def drop_database(url: str) -> None:
    """Drop the (scratch) database ``url`` names, or the SQLite file."""
    if backend_of(url) == "sqlite":
        _sqlite_path(url).unlink(missing_ok=True)
        return
    name = str(make_url(url).database)
    with _server(url) as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)"))


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("CDMX_DATABASE_URL: name a SQLite file, as in sqlite:///data/cdmx.db")
    return Path(database)


def _sqlite_dump(source: Path, target: Path) -> DatabaseCopy:
    if not source.exists():
        raise BackupError(f"CDMX_DATABASE_URL: there is no database at {source}")
    with closing(sqlite3.connect(source, timeout=10)) as src:
        with closing(sqlite3.connect(target)) as dst:
            src.backup(dst)  # pages=-1: in one step, one read transaction
            # A file that stands alone: no write-ahead log beside it to lose.
            dst.execute("PRAGMA journal_mode=DELETE").fetchall()
    url = f"sqlite:///{target}"
    return DatabaseCopy("sqlite", _revision(url), count_tables(url))


def _postgres_dump(url: str, target: Path) -> DatabaseCopy:
    pg_dump = _tool("pg_dump")
    with _connected(url, isolation_level="REPEATABLE READ") as connection:
        with connection.begin():
            # The transaction's snapshot is taken by its first statement and exported, so
            # pg_dump dumps exactly the rows counted here, whatever is written meanwhile.
            snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
            tables = _counts(connection)
            revision = _revision_of(connection)
            _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}"], url)
    return DatabaseCopy("postgresql", revision, tables)


def _revision(url: str) -> str | None:
    with _connected(url) as connection:
        return _revision_of(connection)


def _revision_of(connection: Connection) -> str | None:
    if "alembic_version" not in _table_names(connection):
        return None
    value = connection.scalar(text("SELECT version_num FROM alembic_version"))
    return None if value is None else str(value)


def _table_names(connection: Connection) -> list[str]:
    if connection.dialect.name == "sqlite":
        rows = list(
            connection.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            )
        )
        virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
        # A virtual table's own tables are named after it (messages_search_data, …).
        return [
            name for name, _ in rows
            if name not in virtual and not any(name.startswith(f"{v}_") for v in virtual)
        ]  # fmt: skip
    return list(
        connection.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        )
    )


def _counts(connection: Connection) -> dict[str, int]:
    return {
        name: int(connection.scalar(text(f"SELECT count(*) FROM {_quoted(name)}")) or 0)
        for name in _table_names(connection)
    }


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def _connected(url: str, **options: Any) -> Iterator[Connection]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if options:
                connection = connection.execution_options(**options)
            yield connection
    except SQLAlchemyError as exc:
        raise BackupError(f"CDMX_DATABASE_URL: {_first_line(exc)}") from None
    finally:
        engine.dispose()


@contextmanager
def _server(url: str) -> Iterator[Connection]:
    """An autocommit connection to the server's ``postgres`` database."""
    maintenance = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    with _connected(maintenance, isolation_level="AUTOCOMMIT") as connection:
        yield connection


def database_exists(url: str) -> bool:
    """Whether the PostgreSQL database ``url`` names is there."""
    name = str(make_url(url).database)
    with _server(url) as connection:
        found = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
    return found is not None


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed: install PostgreSQL's client tools (Debian: "
            "postgresql-client) of the server's major version or newer"
        )
    return path


def _run(command: list[str], url: str) -> None:
    """Run a PostgreSQL client tool against ``url``'s server (the password in its
    environment, never on a command line other users can read)."""
    parts = make_url(url)
    env = dict(os.environ)
    for value, variable in (
        (parts.host, "PGHOST"), (parts.port, "PGPORT"), (parts.username, "PGUSER"),
        (parts.password, "PGPASSWORD"), (parts.database, "PGDATABASE"),
    ):  # fmt: skip
        if value is not None:
            env[variable] = str(value)
    for key, variable in LIBPQ_QUERY.items():
        option = parts.query.get(key)
        if isinstance(option, str):
            env[variable] = option
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tool = Path(command[0]).name
        raise BackupError(f"{tool} failed: {_first_line(done.stderr) or done.returncode}")


def _first_line(error: object) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
