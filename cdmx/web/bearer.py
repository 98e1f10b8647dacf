"""One-time sign-in links: signed, expiring, and bound to the user's password.

Choosing a password through a link changes the password, which ends the link. That makes
it one-time without storing it anywhere. (API bearer tokens are revocable rows of
``credentials`` since 0015: ``cdmx/actions/credentials.py``.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from cdmx.db.tables import User

LINK_TTL_SECONDS = 72 * 3600


class TokenSigner:
    """Issues and checks sign-in links (a password change invalidates earlier ones)."""

    def __init__(self, secret_key: str) -> None:
        self._links = URLSafeTimedSerializer(secret_key, salt="cdmx.sign-in-link")

    def issue_link(self, user: User) -> str:
        """The token of a one-time link to choose a password (``/welcome/<token>``)."""
        return self._links.dumps(_binding(user))

    def check_link(self, token: str) -> dict[str, Any] | None:
        return _loads(self._links, token, LINK_TTL_SECONDS)


def sign_in_link(signer: TokenSigner, base_url: str, user: User) -> dict[str, str]:
    """``{"sign_in_link", "sign_in_link_expires_at"}`` for ``user``: shown once to the
    admin, who passes it on; it works once, for LINK_TTL_SECONDS."""
    expires = datetime.now(UTC) + timedelta(seconds=LINK_TTL_SECONDS)
    return {
        "sign_in_link": f"{base_url.rstrip('/')}/welcome/{signer.issue_link(user)}",
        "sign_in_link_expires_at": expires.isoformat().replace("+00:00", "Z"),
    }


def still_bound(user: User | None, data: dict[str, Any]) -> bool:
    """Whether ``user`` still has the password the link was issued under."""
    return user is not None and user.id == data.get("uid") and _binding(user) == data


def _binding(user: User) -> dict[str, Any]:
    return {"uid": user.id, "pw": user.password_hash[-12:]}


def _loads(serializer: URLSafeTimedSerializer, token: str, max_age: int) -> dict[str, Any] | None:
    try:
        data = serializer.loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) else None
