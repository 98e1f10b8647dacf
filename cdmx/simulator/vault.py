"""The simulated Meta's store of media files, by media id.

Media ids last 7 days for customers' files and 30 days for uploads, as on Meta; after that
``GET /{media-id}`` answers error 100, like an unknown id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

INBOUND_SECONDS = 7 * 24 * 3600
UPLOAD_SECONDS = 30 * 24 * 3600


@dataclass
class MediaFile:
    """One file the simulated Meta holds."""

    id: str
    data: bytes
    mime_type: str
    created_at: float
    lifetime: float
    filename: str | None = None

    @property
    def sha256_hex(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def sha256_b64(self) -> str:
        return base64.b64encode(hashlib.sha256(self.data).digest()).decode()


class MediaVault:
    """The files of the simulated Meta, by media id."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.files: dict[str, MediaFile] = {}
        self._secret = secrets.token_bytes(16)
        self.downloads = 0

    def add(
        self, data: bytes, mime_type: str, *, filename: str | None = None, inbound: bool = False
    ) -> MediaFile:
        media_id = str(secrets.randbelow(9 * 10**15) + 10**15)
        lifetime = INBOUND_SECONDS if inbound else UPLOAD_SECONDS
        file = MediaFile(media_id, data, mime_type, self.clock(), lifetime, filename)
        self.files[media_id] = file
        return file

    def get(self, media_id: str) -> MediaFile | None:
        file = self.files.get(media_id)
        if file is None or self.clock() - file.created_at > file.lifetime:
            return None
        return file

    def age(self, media_id: str, seconds: float) -> None:
        """Pretend a file is ``seconds`` older (tests: the 7-day limit)."""
        self.files[media_id].created_at -= seconds

    def sign(self, media_id: str, expires: int) -> str:
        return hmac.new(self._secret, f"{media_id}:{expires}".encode(), "sha256").hexdigest()
