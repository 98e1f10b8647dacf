"""The media store interface, and how keys are made.

Keys are ``<yyyy>/<mm>/<32 random hex><ext>``: unguessable, spread over folders, and never
derived from anything a customer sent (a file name cannot climb out of the store).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import BinaryIO, Protocol

# How long a link handed to a browser works. Long enough for a page of thumbnails to load
# and a lightbox to open; the console refetches the thread for older links.
URL_TTL_SECONDS = 3600


class MediaStore(Protocol):
    """Stores files by key. Blocking calls: workers run them in a thread."""

    def put_stream(self, key: str, stream: BinaryIO, content_type: str) -> None:
        """Store everything readable from ``stream`` under ``key`` (replacing it)."""

    def open(self, key: str) -> BinaryIO:
        """The stored file for reading; FileNotFoundError when it is not there."""

    def url(
        self,
        key: str,
        *,
        expires_in: int = URL_TTL_SECONDS,
        content_type: str | None = None,
        filename: str | None = None,
        owner: int | None = None,
    ) -> str:
        """A short-lived link a browser can fetch the file from (``owner``: the message id)."""

    def delete(self, key: str) -> None:
        """Remove the file; no error when it is already gone."""


def new_key(extension: str = "", *, now: datetime | None = None) -> str:
    """A fresh, unguessable key such as ``2026/05/3f…9a.jpg``."""
    now = now or datetime.now(UTC)
    extension = extension if extension.startswith(".") or not extension else "." + extension
    return f"{now:%Y/%m}/{secrets.token_hex(16)}{extension}"


def is_valid_key(key: str) -> bool:
    """Whether ``key`` has the shape ``new_key`` makes (no dots to climb, no odd bytes)."""
    parts = key.split("/")
    if len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()):
        return False
    name = parts[2]
    stem, _, ext = name.partition(".")
    return (
        len(stem) >= 32
        and all(c in "0123456789abcdef_t" for c in stem)
        and (not ext or (ext.isalnum() and len(ext) <= 8))
    )
