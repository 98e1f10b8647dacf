"""What every upload route shares: the media store, the early refusal of an oversized body,
and deleting files no row refers to any more."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from cdmx.storage.base import MediaStore
from cdmx.storage.filetype import MAX_UPLOAD_BYTES, human_size
from cdmx.web.errors import error_response
from cdmx.web.services import services

FORM_OVERHEAD = 64 * 1024  # the caption, the local id and the multipart boundaries


def media_store(request: Request) -> MediaStore:
    store: MediaStore = services(request).media_store
    return store


def refuse_oversized(request: Request) -> JSONResponse | None:
    """413 for an upload whose declared length is over the largest limit, before reading it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + FORM_OVERHEAD:
        return error_response(
            413, "file_too_large",
            f"The file is {human_size(int(declared))}; WhatsApp accepts files of at most "
            f"{human_size(MAX_UPLOAD_BYTES)} (documents).",
        )  # fmt: skip
    return None


def discard_keys(store: MediaStore, keys: list[str]) -> None:
    """Delete files no row refers to any more (best effort: an orphan file is harmless)."""
    for key in keys:
        try:
            store.delete(key)
        except Exception:
            pass
