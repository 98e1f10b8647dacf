"""Where a backup is kept: a folder on disk, or a prefix in an S3 bucket.

Names inside a backup are relative paths with ``/`` (``manifest.json``,
``database/cdmx.sqlite3``, ``media/2026/05/3f….jpg``); a name cannot climb out of its
location.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Protocol, cast

from cdmx.backup.errors import BackupError, TargetNotEmpty
from cdmx.settings import Settings

CHUNK = 1024 * 1024


class Location(Protocol):
    """A place that holds the files of one backup."""

    description: str

    def ensure_empty(self) -> None:
        """Raise TargetNotEmpty when something is already stored there."""

    def put_stream(self, name: str, stream: BinaryIO) -> None:
        """Store everything readable from ``stream`` as ``name``."""

    def open(self, name: str) -> BinaryIO:
        """The file ``name`` for reading; BackupError when it is missing."""


def open_location(spec: str, settings: Settings) -> Location:
    """``s3://bucket/prefix`` or a folder path, as a Location."""
    if spec.startswith("s3://"):
        bucket, _, prefix = spec.removeprefix("s3://").partition("/")
        if not bucket:
            raise BackupError(f"{spec}: name a bucket, as in s3://bucket/prefix")
        return S3Location(bucket, prefix.strip("/"), settings)
    return DirectoryLocation(Path(spec))


def _checked(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"not a name inside a backup: {name!r}")
    return path


class DirectoryLocation:
    """A backup in a folder of the local file system."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.description = str(root)

    def ensure_empty(self) -> None:
        if self.root.exists() and (not self.root.is_dir() or any(self.root.iterdir())):
            raise TargetNotEmpty(f"{self.root} is not empty: give each backup a folder of its own")

    def put_stream(self, name: str, stream: BinaryIO) -> None:
        target = self.root / _checked(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(stream, out, CHUNK)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, name: str) -> BinaryIO:
        try:
            return (self.root / _checked(name)).open("rb")
        except FileNotFoundError:
            raise BackupError(f"{self.root}: {name} is missing from the backup") from None


class S3Location:
    """A backup under a prefix of an S3 bucket (S3_ENDPOINT_URL and AWS_REGION apply)."""

    def __init__(self, bucket: str, prefix: str, settings: Settings) -> None:
        from cdmx.storage.s3 import S3Store  # boto3 is only needed with S3

        # The media store's client: the same endpoint, region and signature settings.
        store = S3Store(
            bucket, region=settings.aws_region or None,
            endpoint_url=settings.s3_endpoint_url or None,
        )  # fmt: skip
        self.client: Any = store.client
        self.bucket = bucket
        self.prefix = prefix
        self.description = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"

    def _key(self, name: str) -> str:
        path = str(_checked(name))
        return f"{self.prefix}/{path}" if self.prefix else path

    def ensure_empty(self) -> None:
        listing = self.client.list_objects_v2(
            Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else "", MaxKeys=1
        )
        if listing.get("KeyCount", 0):
            raise TargetNotEmpty(
                f"{self.description} is not empty: give each backup a prefix of its own"
            )

    def put_stream(self, name: str, stream: BinaryIO) -> None:
        self.client.upload_fileobj(
            stream, self.bucket, self._key(name),
            ExtraArgs={"ServerSideEncryption": "AES256"},
        )  # fmt: skip

    def open(self, name: str) -> BinaryIO:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
        except self.client.exceptions.NoSuchKey:
            raise BackupError(f"{self.description}: {name} is missing from the backup") from None
        return cast(BinaryIO, response["Body"])
