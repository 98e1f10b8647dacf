"""Taking a backup: the database first, then the media store, then the manifest.

In that order because a file is in the store before the row that names it is committed:
every file the database copy names is still there when the store is copied after it (files
added meanwhile are copied too, and do no harm). The server keeps running throughout.
"""

from __future__ import annotations

import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from cdmx import __version__
from cdmx.backup.database import FILE_NAMES, dump_database
from cdmx.backup.location import Location
from cdmx.backup.manifest import Manifest, write_manifest
from cdmx.backup.media import HashingReader, MediaFile, describe_store, store_keys
from cdmx.backup.progress import Progress, megabytes, say
from cdmx.settings import Settings
from cdmx.storage import LocalStore, build_store


def take_backup(settings: Settings, location: Location) -> Manifest:
    """Write a backup of the configured database and media store to ``location``."""
    location.ensure_empty()
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    say(f"backup to {location.description}")
    with tempfile.TemporaryDirectory(prefix="cdmx-backup-") as scratch:
        archive = Path(scratch) / "database"
        started = time.monotonic()
        say("database: copying a consistent snapshot")
        copy = dump_database(settings.database_url, archive)
        name = FILE_NAMES[copy.backend]
        with archive.open("rb") as f:
            reader = HashingReader(f)
            location.put_stream(name, reader.stream)
        rows = sum(copy.tables.values())
        say(
            f"database: {rows} rows in {len(copy.tables)} tables, {megabytes(reader.size)} "
            f"in {time.monotonic() - started:.1f} s"
        )
    store = build_store(settings)
    keys = list(store_keys(store))
    progress = Progress("media", len(keys))
    files: list[MediaFile] = []
    for key in keys:
        try:
            source = store.open(key)
        except FileNotFoundError:  # deleted since the listing (media retention): not needed
            progress.advance()
            continue
        with closing(source):
            media = HashingReader(source)
            location.put_stream(f"media/{key}", media.stream)
        files.append(MediaFile(key=key, size=media.size, sha256=media.sha256))
        progress.advance(1, media.size)
    progress.finish()
    manifest = Manifest(
        created_at=created_at, cdmx_version=__version__, database=copy, database_file=name,
        database_size=reader.size, database_sha256=reader.sha256,
        media_store="local" if isinstance(store, LocalStore) else describe_store(store),
        files=tuple(files),
    )  # fmt: skip
    write_manifest(location, manifest)
    return manifest
