"""What every upload route shares: the media store and deleting files no row refers to any
more. An oversized body is refused while it streams, by ``cdmx.web.limits``."""

from __future__ import annotations

from fastapi import Request

from cdmx.storage.base import MediaStore
from cdmx.web.services import services

FORM_OVERHEAD = 64 * 1024  # the caption, the local id and the multipart boundaries


def media_store(request: Request) -> MediaStore:
    store: MediaStore = services(request).media_store
    return store


def discard_keys(store: MediaStore, keys: list[str]) -> None:
    """Delete files no row refers to any more (best effort: an orphan file is harmless)."""
    for key in keys:
        try:
            store.delete(key)
        except Exception:
            pass
