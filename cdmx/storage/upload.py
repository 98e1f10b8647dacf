"""An agent's upload, from the request's spooled file to the media store.

Copied once to a temporary file on disk while hashing (never whole in memory), sniffed from
its bytes, converted to OGG/Opus when it is a voice note the browser recorded in another
format, checked against WhatsApp's limit for its type, thumbnailed and stored.
"""

from __future__ import annotations

import hashlib
import tempfile
import unicodedata
from pathlib import Path
from typing import BinaryIO

from cdmx.storage.base import MediaStore
from cdmx.storage.filetype import (
    HEAD_BYTES,
    LIMITS,
    RECORDED_TYPES,
    MediaRefused,
    check_outbound,
    human_size,
    sniff,
)
from cdmx.storage.stored import StoredFile, hash_file, store_file
from cdmx.storage.thumbnails import ConversionUnavailable, to_ogg_opus

CHUNK = 1024 * 1024


def clean_filename(name: str | None) -> str | None:
    """A file name fit to show and to send: no folders, no control characters, ≤ 200 chars."""
    if not name:
        return None
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[:200] or None


def prepare_upload(
    store: MediaStore, source: BinaryIO, filename: str | None, *, voice: bool = False
) -> tuple[StoredFile, str]:
    """Store an uploaded file; returns it and its WhatsApp type, or raises MediaRefused."""
    name = clean_filename(filename)
    with tempfile.TemporaryDirectory(prefix="cdmx-upload-") as folder:
        path = Path(folder) / "upload"
        digest = _copy(source, path)
        with path.open("rb") as f:
            sniffed = sniff(f.read(HEAD_BYTES), name)
        size = path.stat().st_size
        if voice:
            if sniffed.mime_type not in RECORDED_TYPES:
                raise MediaRefused(
                    415, "unsupported_media_type",
                    "A voice note must be audio recorded as WebM, OGG or MP4.",
                )  # fmt: skip
            if size > LIMITS["audio"]:
                raise MediaRefused(
                    413, "file_too_large",
                    f"The recording is {human_size(size)}; WhatsApp accepts audio of at most "
                    f"{human_size(LIMITS['audio'])}.",
                )  # fmt: skip
            if not (sniffed.mime_type == "audio/ogg" and sniffed.opus):
                converted = Path(folder) / "voice.ogg"
                try:
                    to_ogg_opus(path, converted)
                except ConversionUnavailable:
                    raise MediaRefused(
                        422, "voice_conversion_unavailable",
                        "This server cannot convert recorded voice notes to OGG/Opus "
                        "(ffmpeg is not installed); record in a browser that records OGG/Opus, "
                        "or ask the administrator to install ffmpeg.",
                    ) from None  # fmt: skip
                except ValueError as exc:
                    raise MediaRefused(
                        422, "invalid_recording", f"The recording could not be read: {exc}"
                    ) from None
                path = converted
                digest = hash_file(path)
                with path.open("rb") as f:
                    sniffed = sniff(f.read(HEAD_BYTES))
                size = path.stat().st_size
            name = None
        kind = check_outbound(sniffed, size, voice=voice)
        if kind != "document":
            name = None if voice else name
        stored = store_file(
            store, path, digest, declared_type=sniffed.mime_type, kind=kind, filename=name
        )
        return stored, kind


def _copy(source: BinaryIO, target: Path) -> str:
    digest = hashlib.sha256()
    source.seek(0)
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


__all__ = ["clean_filename", "prepare_upload"]
