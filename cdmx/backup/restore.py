"""Restoring a backup into the database and media store the settings name, both empty.

Nothing is written until both targets are known to be empty and the database copy matches
its checksum. The restored database is at the schema revision of the backup; ``cdmx serve``
(or ``cdmx migrate``) brings it up to the running version's.
"""

from __future__ import annotations

import tempfile
from contextlib import closing
from pathlib import Path

from cdmx.backup.database import (
    backend_of,
    count_tables,
    ensure_database_empty,
    restore_database,
)  # fmt: skip
from cdmx.backup.errors import BackupError
from cdmx.backup.location import Location
from cdmx.backup.manifest import Manifest, read_manifest
from cdmx.backup.media import (
    HashingReader,
    MediaFile,
    content_type,
    describe_store,
    ensure_store_empty,
)  # fmt: skip
from cdmx.backup.progress import Progress, say
from cdmx.settings import Settings
from cdmx.storage import MediaStore, build_store


def restore_backup(settings: Settings, location: Location) -> Manifest:
    """Restore the backup at ``location``; BackupError (TargetNotEmpty for a target that
    holds something) when it cannot, or when what was restored does not match."""
    manifest = read_manifest(location)
    url = settings.database_url
    if manifest.database.backend != backend_of(url):
        raise BackupError(
            f"CDMX_DATABASE_URL: the backup is of a {manifest.database.backend} database, "
            f"this URL names a {backend_of(url)} one"
        )
    store = build_store(settings)
    ensure_database_empty(url)
    ensure_store_empty(store, describe_store(store))
    say(f"restore from {location.description} (taken {manifest.created_at})")
    with tempfile.TemporaryDirectory(prefix="cdmx-restore-") as scratch:
        archive = fetch_database(location, manifest, Path(scratch))
        say("database: restoring")
        restore_database(manifest.database.backend, archive, url)
    problems = copy_media(location, manifest.files, store)
    problems += compare_counts(manifest.database.tables, count_tables(url))
    if problems:
        raise BackupError("restored, but: " + "; ".join(problems))
    return manifest


def fetch_database(location: Location, manifest: Manifest, folder: Path) -> Path:
    """The database copy of the backup as a local file, checked against the manifest."""
    target = folder / "database"
    with closing(location.open(manifest.database_file)) as source, target.open("wb") as out:
        reader = HashingReader(source)
        while chunk := reader.read(1024 * 1024):
            out.write(chunk)
    if reader.sha256 != manifest.database_sha256 or reader.size != manifest.database_size:
        raise BackupError(
            f"{manifest.database_file} does not match its checksum: the backup is damaged"
        )
    return target


def copy_media(location: Location, files: tuple[MediaFile, ...], store: MediaStore) -> list[str]:
    """Copy the backup's files into ``store``; what did not match or was missing."""
    problems: list[str] = []
    progress = Progress("media", len(files))
    for file in files:
        name = f"media/{file.key}"
        try:
            source = location.open(name)
        except BackupError:
            problems.append(f"{name} is missing")
            progress.advance()
            continue
        with closing(source):
            reader = HashingReader(source)
            store.put_stream(file.key, reader.stream, content_type(file.key))
        if reader.sha256 != file.sha256 or reader.size != file.size:
            problems.append(f"{name} does not match its checksum")
        progress.advance(1, reader.size)
    progress.finish()
    return problems


def compare_counts(expected: dict[str, int], found: dict[str, int]) -> list[str]:
    """A sentence for each table whose rows differ from the manifest's."""
    return [
        f"table {table}: {expected.get(table, 0)} rows in the manifest, "
        f"{found.get(table, 0)} restored"
        for table in sorted(set(expected) | set(found))
        if expected.get(table) != found.get(table)
    ]
