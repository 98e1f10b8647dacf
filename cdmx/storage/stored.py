"""A file in the media store: storing a local file (sniffed, thumbnailed) and what came of it.

Shared by the media fetcher (a customer's download) and an agent's upload; the action that
records it on the message takes the ``StoredFile`` this returns.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from cdmx.storage.base import MediaStore, new_key
from cdmx.storage.filetype import EXTENSIONS, HEAD_BYTES, recorded_type, sniff
from cdmx.storage.thumbnails import Thumbnail, image_thumbnail, video_poster


@dataclass(frozen=True)
class StoredFile:
    """A file in the media store, with what was learnt about it while storing it."""

    key: str
    mime_type: str
    size: int
    sha256: str  # hex
    filename: str | None = None
    thumbnail_key: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def keys(self) -> list[str]:
        return [k for k in (self.key, self.thumbnail_key) if k]


def store_file(
    store: MediaStore,
    path: Path,
    sha256_hex: str,
    *,
    declared_type: str | None,
    kind: str,
    filename: str | None = None,
) -> StoredFile:
    """Sniff, thumbnail and store a local file (blocking; run it in a thread)."""
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    sniffed = sniff(head, filename)
    mime = recorded_type(sniffed, declared_type)
    thumbnail: Thumbnail | None = None
    if kind in ("image", "sticker") and mime.startswith("image/"):
        thumbnail = image_thumbnail(path)
    elif kind == "video":
        thumbnail = video_poster(path)
    key = new_key(EXTENSIONS.get(mime, ""))
    with path.open("rb") as f:
        store.put_stream(key, f, mime)
    thumbnail_key = None
    if thumbnail is not None:
        thumbnail_key = (
            key.rsplit(".", 1)[0]
            + "_t"
            + (".png" if thumbnail.content_type == "image/png" else ".jpg")
        )
        store.put_stream(thumbnail_key, io.BytesIO(thumbnail.data), thumbnail.content_type)
    return StoredFile(
        key=key, mime_type=mime, size=path.stat().st_size, sha256=sha256_hex,
        filename=filename, thumbnail_key=thumbnail_key,
        width=thumbnail.width if thumbnail else None,
        height=thumbnail.height if thumbnail else None,
    )  # fmt: skip


def hash_file(path: Path) -> str:
    """The hex sha256 of a file, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()
