"""Bearer tokens for the API: signed, expiring, and bound to the user's password."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from cdmx.db.tables import User

TOKEN_TTL_SECONDS = 7 * 24 * 3600


class TokenSigner:
    """Issues and checks bearer tokens (a password change invalidates earlier ones)."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="cdmx.api-token")

    def issue(self, user: User) -> str:
        return self._serializer.dumps({"uid": user.id, "pw": user.password_hash[-12:]})

    def check(self, token: str) -> dict[str, Any] | None:
        try:
            data = self._serializer.loads(token, max_age=TOKEN_TTL_SECONDS)
        except (SignatureExpired, BadSignature):
            return None
        return data if isinstance(data, dict) else None
