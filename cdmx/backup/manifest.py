"""``manifest.json``: what a backup holds, written last so that a backup without one is known
to be unfinished.

    {"format": "cdmx-backup", "version": 1, "created_at": "2026-12-04T02:13:00+00:00",
     "cdmx_version": "0.1.0",
     "database": {"backend": "sqlite", "file": "database/cdmx.sqlite3", "size": 1234,
                  "sha256": "…", "revision": "0012", "tables": {"messages": 10, …}},
     "media": {"store": "local", "count": 2, "bytes": 5678,
               "files": [{"key": "2026/05/3f….jpg", "size": 1234, "sha256": "…"}, …]}}
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from typing import Any

from cdmx.backup.database import DatabaseCopy
from cdmx.backup.errors import BackupError
from cdmx.backup.location import Location
from cdmx.backup.media import MediaFile

NAME = "manifest.json"
FORMAT = "cdmx-backup"
VERSION = 1


@dataclass(frozen=True)
class Manifest:
    """The parsed manifest of one backup."""

    created_at: str
    cdmx_version: str
    database: DatabaseCopy
    database_file: str
    database_size: int
    database_sha256: str
    media_store: str
    files: tuple[MediaFile, ...]

    @property
    def media_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "created_at": self.created_at,
            "cdmx_version": self.cdmx_version,
            "database": {
                "backend": self.database.backend,
                "file": self.database_file,
                "size": self.database_size,
                "sha256": self.database_sha256,
                "revision": self.database.revision,
                "tables": self.database.tables,
            },
            "media": {
                "store": self.media_store,
                "count": len(self.files),
                "bytes": self.media_bytes,
                "files": [asdict(f) for f in self.files],
            },
        }


def write_manifest(location: Location, manifest: Manifest) -> None:
    """Store the manifest: the last file of a backup."""
    body = json.dumps(manifest.to_json(), indent=1, ensure_ascii=False).encode()
    location.put_stream(NAME, io.BytesIO(body))


def read_manifest(location: Location) -> Manifest:
    """The manifest of the backup at ``location``; BackupError when there is none, or it
    is not one this version can read."""
    try:
        with location.open(NAME) as f:
            data = json.loads(f.read())
    except BackupError:
        raise BackupError(
            f"{location.description}: no {NAME}, so not a backup (or one that did not finish)"
        ) from None
    except ValueError:
        raise BackupError(f"{location.description}: {NAME} is not valid JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"{location.description}: {NAME} is not a cdmx backup's manifest")
    if data.get("version") != VERSION:
        raise BackupError(
            f"{location.description}: backup format {data.get('version')} is not readable "
            f"by this version (it reads {VERSION})"
        )
    try:
        database, media = data["database"], data["media"]
        return Manifest(
            created_at=str(data["created_at"]),
            cdmx_version=str(data.get("cdmx_version", "")),
            database=DatabaseCopy(
                backend=str(database["backend"]),
                revision=database.get("revision"),
                tables={str(k): int(v) for k, v in database["tables"].items()},
            ),
            database_file=str(database["file"]),
            database_size=int(database["size"]),
            database_sha256=str(database["sha256"]),
            media_store=str(media["store"]),
            files=tuple(
                MediaFile(key=str(f["key"]), size=int(f["size"]), sha256=str(f["sha256"]))
                for f in media["files"]
            ),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise BackupError(f"{location.description}: {NAME} is incomplete") from None
