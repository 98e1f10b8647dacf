"""Files on local disk under CDMX_MEDIA_ROOT, handed out through short-lived signed links.

A link is ``/media/<key>?m=<message id>&exp=<unix time>&sig=<hmac>``: the app checks the
signature, the expiry and that the signed-in user may see the message's conversation before
it serves the file (``cdmx/web/media.py``). Key, message and expiry are signed with
CDMX_SECRET_KEY.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from cdmx.storage.base import URL_TTL_SECONDS, is_valid_key

CHUNK = 1024 * 1024


class LocalStore:
    """A MediaStore on the local file system."""

    def __init__(self, root: Path | str, secret_key: str, *, prefix: str = "/media") -> None:
        self.root = Path(root)
        self.prefix = prefix.rstrip("/")
        self._secret = hashlib.sha256(b"cdmx.media-url:" + secret_key.encode()).digest()

    def path(self, key: str) -> Path:
        """Where a key lives on disk; ValueError for a key that is not one of ours."""
        if not is_valid_key(key):
            raise ValueError(f"not a media key: {key!r}")
        return self.root / key

    def put_stream(self, key: str, stream: BinaryIO, content_type: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed: a reader never sees half a file.
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(stream, out, CHUNK)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def url(
        self,
        key: str,
        *,
        expires_in: int = URL_TTL_SECONDS,
        content_type: str | None = None,
        filename: str | None = None,
        owner: int | None = None,
    ) -> str:
        expires = int(time.time()) + expires_in
        owner_id = owner or 0
        signature = self.sign(key, expires, owner_id)
        return f"{self.prefix}/{key}?m={owner_id}&exp={expires}&sig={signature}"

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def sign(self, key: str, expires: int, owner: int) -> str:
        mac = hmac.new(self._secret, f"{key}\n{owner}\n{expires}".encode(), hashlib.sha256)
        return mac.hexdigest()[:40]

    def verify(self, key: str, owner: int, expires: str | None, signature: str | None) -> bool:
        """Whether a link's signature is ours (for this key and message) and still valid."""
        if not expires or not signature or not expires.isdigit():
            return False
        if int(expires) < time.time():
            return False
        return hmac.compare_digest(self.sign(key, int(expires), owner), signature)
