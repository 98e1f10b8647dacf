"""The media store's side of a backup: every file it holds, copied with its checksum.

The stores themselves know only single keys; listing them (a walk of CDMX_MEDIA_ROOT, or
the bucket's objects) lives here, the one place that needs it. Only names the stores make
(``new_key``) are taken: a half-written ``.part-`` file or something an operator left in
the folder is not media.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from cdmx.backup.errors import TargetNotEmpty
from cdmx.storage import LocalStore, MediaStore
from cdmx.storage.base import is_valid_key
from cdmx.storage.s3 import S3Store  # boto3 itself is imported by an S3Store's constructor


@dataclass(frozen=True)
class MediaFile:
    """One file of the media store as the manifest records it."""

    key: str
    size: int
    sha256: str


class HashingReader:
    """Reads through to ``raw``, keeping the sha256 and the size of what passed."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    @property
    def stream(self) -> BinaryIO:
        """This reader where a binary file is asked for (it has the one method used)."""
        return cast(BinaryIO, self)

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()


def store_keys(store: MediaStore) -> Iterator[str]:
    """Every key in the store, in a stable order."""
    if isinstance(store, LocalStore):
        root = store.root
        if not root.is_dir():
            return
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(files):
                key = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
                if is_valid_key(key):
                    yield key
        return
    assert isinstance(store, S3Store)
    pages = store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket)
    for page in pages:
        for item in page.get("Contents", []):
            if is_valid_key(item["Key"]):
                yield item["Key"]


def ensure_store_empty(store: MediaStore, description: str) -> None:
    """Raise TargetNotEmpty when the store holds any file; an S3 bucket that does not exist
    yet is created (a local folder is made by the first file)."""
    if isinstance(store, LocalStore):
        if store.root.exists() and any(p.is_file() for p in store.root.rglob("*")):
            raise TargetNotEmpty(
                f"the media store {description} is not empty: restore into an empty one"
            )
        return
    assert isinstance(store, S3Store)
    client: Any = store.client
    bucket = store.bucket
    try:
        client.head_bucket(Bucket=bucket)
    except client.exceptions.ClientError:
        region = client.meta.region_name
        if region and region != "us-east-1":
            client.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
            )
        else:
            client.create_bucket(Bucket=bucket)
        return
    if client.list_objects_v2(Bucket=bucket, MaxKeys=1).get("KeyCount", 0):
        raise TargetNotEmpty(
            f"the media store {description} is not empty: restore into an empty one"
        )


def describe_store(store: MediaStore) -> str:
    """The store as an operator names it: its folder or its bucket."""
    if isinstance(store, LocalStore):
        return str(store.root)
    assert isinstance(store, S3Store)
    return f"s3://{store.bucket}"


def content_type(key: str) -> str:
    """The type a restored file is stored with, from the extension its key was given."""
    return mimetypes.guess_type(key)[0] or "application/octet-stream"
