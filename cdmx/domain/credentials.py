"""The secrets of sessions and tokens: how they are made, what is kept of them, how long
they last. Pure: the table and its checks are in ``cdmx/actions/credentials.py`` and
``cdmx/queries/credentials.py``."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Final

SESSION_TTL: Final = timedelta(hours=12)  # the console cookie's max_age too (cdmx/app.py)
TOKEN_TTL: Final = timedelta(days=7)  # a bearer token from POST /api/v1/auth/token
# last_used_at is written at most this often per credential: a busy integration or console
# tab costs one UPDATE a minute, not one per request.
TOUCH_EVERY: Final = timedelta(minutes=1)
# A secret names its kind, so a leaked one is recognisable (and secret scanners can match).
PREFIXES: Final = {"session": "cdmxs_", "token": "cdmxt_", "integration": "cdmxi_"}
SHOWN_PREFIX: Final = 12  # characters of an integration token listed after it is made


def secret_hash(secret: str) -> str:
    """What the table keeps of a secret: its hex SHA-256. The secrets are 32 random bytes,
    so a slow hash (argon2, as for passwords) would add nothing but cost."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(kind: str) -> str:
    """A fresh secret for a credential of ``kind``: its prefix and 32 random bytes."""
    return PREFIXES[kind] + secrets.token_urlsafe(32)


def needs_touch(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether this use should be written as the credential's last use."""
    return last_used_at is None or now - last_used_at >= TOUCH_EVERY
