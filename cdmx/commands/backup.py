"""``cdmx backup``, ``cdmx backup verify`` and ``cdmx restore``: backups that restore.

Exit status: 0 done; 1 the backup could not be taken, read or restored, or verify found a
problem; 2 a wrong setting; 3 the restore's database or media store (or the backup's
destination) is not empty, and nothing was written.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cdmx.settings import load_settings

LOCATION = "a folder, or s3://bucket/prefix"


def register(subparsers: Any) -> None:
    """Add the ``backup`` and ``restore`` commands to the ``cdmx`` parser."""
    backup = subparsers.add_parser(
        "backup",
        help="back up the database and the media store (while the server runs)",
        description="Write a consistent snapshot of the database (CDMX_DATABASE_URL) and of "
        "the media store (CDMX_MEDIA_ROOT or S3_BUCKET_MEDIA), with a manifest of checksums, "
        "to an empty folder or S3 prefix. The server may keep running.",
    )
    backup.add_argument("--to", metavar="DIR|s3://BUCKET/PREFIX", help=f"where: {LOCATION}")
    backup.set_defaults(func=_backup)
    backup_sub = backup.add_subparsers(dest="backup_command")
    verify = backup_sub.add_parser(
        "verify",
        help="restore a backup into a scratch place and compare it with its manifest",
        description="Restore a backup into a scratch database (a temporary SQLite file, or a "
        "PostgreSQL database created for the check and dropped after it) and a scratch "
        "folder, and compare the rows of every table and every file's checksum with the "
        "manifest. Exit status 1 when anything differs.",
    )
    verify.add_argument("--from", dest="source", required=True, metavar="DIR|s3://BUCKET/PREFIX")
    verify.add_argument(
        "--scratch-url", metavar="URL",
        help="for a PostgreSQL backup: a database that does not exist yet, to restore into "
        "and drop (default: a new one beside CDMX_DATABASE_URL's)",
    )  # fmt: skip
    verify.set_defaults(func=_verify)

    restore = subparsers.add_parser(
        "restore",
        help="restore a backup into an empty database and media store",
        description="Restore a backup into the database CDMX_DATABASE_URL names (created "
        "when it does not exist; refused with exit status 3 when it has any table) and the "
        "media store the media settings name (refused with exit status 3 when it holds any "
        "file). Start `cdmx serve` afterwards: it applies newer migrations.",
    )
    restore.add_argument("--from", dest="source", required=True, metavar="DIR|s3://BUCKET/PREFIX")
    restore.set_defaults(func=_restore)


def _backup(args: argparse.Namespace) -> int:
    from cdmx.backup.location import open_location
    from cdmx.backup.progress import megabytes
    from cdmx.backup.snapshot import take_backup

    if not args.to:
        print("cdmx backup: --to is required (a folder, or s3://bucket/prefix)", file=sys.stderr)
        return 2
    settings = load_settings()

    def run() -> None:
        manifest = take_backup(settings, open_location(args.to, settings))
        rows = sum(manifest.database.tables.values())
        print(
            f"backup written to {args.to}: {rows} rows, {len(manifest.files)} files "
            f"({megabytes(manifest.media_bytes)})"
        )

    return _reporting(run)


def _restore(args: argparse.Namespace) -> int:
    from cdmx.backup.location import open_location
    from cdmx.backup.restore import restore_backup

    settings = load_settings()

    def run() -> None:
        manifest = restore_backup(settings, open_location(args.source, settings))
        print(
            f"restored the backup of {manifest.created_at}: "
            f"{sum(manifest.database.tables.values())} rows, {len(manifest.files)} files; "
            "start `cdmx serve` (it applies newer migrations)"
        )

    return _reporting(run)


def _verify(args: argparse.Namespace) -> int:
    from cdmx.backup.location import open_location
    from cdmx.backup.verify import verify_backup

    settings = load_settings()
    problems: list[str] = []

    def run() -> None:
        manifest, found = verify_backup(
            settings, open_location(args.source, settings), scratch_url=args.scratch_url
        )
        problems.extend(found)
        for problem in found:
            print(f"cdmx backup verify: {problem}", file=sys.stderr)
        if not found:
            print(
                f"backup verified: {len(manifest.database.tables)} tables, "
                f"{sum(manifest.database.tables.values())} rows and {len(manifest.files)} "
                "files restore as the manifest says"
            )

    status = _reporting(run)
    return status or (1 if problems else 0)


def _reporting(work: Any) -> int:
    """Run ``work``; a BackupError is one line on stderr and its exit status, and so is a
    full disk, a refused folder or an S3 error (exit status 1), never a traceback."""
    from cdmx.backup.errors import BackupError

    try:
        work()
    except BackupError as exc:
        print(f"cdmx: {exc}", file=sys.stderr)
        return exc.exit_status
    except OSError as exc:
        print(f"cdmx: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except Exception as exc:
        if not type(exc).__module__.startswith(("botocore", "boto3", "s3transfer")):
            raise
        print(f"cdmx: S3: {_first_line(exc)}", file=sys.stderr)
        return 1
    return 0


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
