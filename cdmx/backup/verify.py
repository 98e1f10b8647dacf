"""Verifying a backup: restore it into a scratch place and compare with its manifest.

The database goes into a scratch SQLite file, or a scratch PostgreSQL database that is
created for the check and dropped after it; the files go into a scratch folder. Checked:
the database copy's checksum, the rows of every table, that every file the database says
is stored is in the backup, and each file's size and checksum.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from cdmx.backup.database import (
    backend_of,
    count_tables,
    database_exists,
    drop_database,
    referenced_keys,
    restore_database,
)  # fmt: skip
from cdmx.backup.errors import BackupError
from cdmx.backup.location import Location
from cdmx.backup.manifest import Manifest, read_manifest
from cdmx.backup.progress import say
from cdmx.backup.restore import compare_counts, copy_media, fetch_database
from cdmx.settings import Settings
from cdmx.storage import LocalStore


def verify_backup(
    settings: Settings, location: Location, *, scratch_url: str | None = None
) -> tuple[Manifest, list[str]]:
    """The backup's manifest and what is wrong with the backup (nothing: it restores)."""
    manifest = read_manifest(location)
    say(f"verify {location.description} (taken {manifest.created_at})")
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cdmx-verify-") as scratch:
        folder = Path(scratch)
        try:
            archive: Path | None = fetch_database(location, manifest, folder)
        except BackupError as exc:
            problems.append(str(exc))
            archive = None
        if archive is not None:
            url = _scratch_database(manifest.database.backend, settings, scratch_url, folder)
            say(f"database: restoring into {make_url(url).database}")
            try:
                restore_database(manifest.database.backend, archive, url)
                problems += compare_counts(manifest.database.tables, count_tables(url))
                missing = referenced_keys(url) - {f.key for f in manifest.files}
                if missing:
                    problems.append(
                        f"{len(missing)} files the database names are not in the backup "
                        f"(such as {min(missing)})"
                    )
            finally:
                drop_database(url)
        store = LocalStore(folder / "media", settings.secret_key or "cdmx-verify-scratch")
        problems += copy_media(location, manifest.files, store)
    return manifest, problems


def _scratch_database(
    backend: str, settings: Settings, scratch_url: str | None, folder: Path
) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'verify.db'}"
    if scratch_url:
        url = scratch_url
    elif backend_of(settings.database_url) == "postgresql":
        # A fresh name on the server the settings name, made and dropped by this check.
        server = make_url(settings.database_url)
        name = f"{str(server.database)[:45]}_verify_{secrets.token_hex(4)}"
        url = server.set(database=name).render_as_string(hide_password=False)
    else:
        raise BackupError(
            "a PostgreSQL backup is verified in a scratch PostgreSQL database: pass "
            "--scratch-url postgresql+psycopg://…/NAME (a database that does not exist yet)"
        )
    if backend_of(url) != "postgresql":
        raise BackupError("--scratch-url: must be a postgresql+psycopg:// URL")
    if database_exists(url):
        raise BackupError(
            f"--scratch-url: the database {make_url(url).database} exists; verify restores "
            "into a database it creates and drops, so name one that does not exist"
        )
    return url
