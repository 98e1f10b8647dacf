"""``X-Hub-Signature-256``: HMAC-SHA256 of the raw body, keyed with the app secret."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(body: bytes, app_secret: str) -> str:
    """The header value Meta would send for ``body``."""
    return PREFIX + hmac.digest(app_secret.encode(), body, hashlib.sha256).hex()


def verify(body: bytes, header: str | None, app_secret: str) -> bool:
    """True when ``header`` is a valid signature of exactly these bytes."""
    if not header or not app_secret or not header.startswith(PREFIX):
        return False
    expected = sign(body, app_secret).encode()
    # Compare bytes: compare_digest on a str with non-ASCII characters raises TypeError.
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "replace"))
