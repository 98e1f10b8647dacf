"""Who a request's secret belongs to: one indexed read per request (the credential's row
joined to its user's), whatever the kind of credential."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.db.tables import Credential, User
from cdmx.domain.credentials import secret_hash


@dataclass(frozen=True, slots=True)
class Presented:
    """A credential that is still good, and whose it is."""

    id: int
    kind: str  # session | token | integration
    user: User
    scopes: frozenset[str]
    last_used_at: datetime | None


def find_credential(session: Session, secret: str, now: datetime) -> Presented | None:
    """The open credential ``secret`` opens — not revoked, not expired, of an active user —
    or None."""
    row = session.execute(
        select(
            User, Credential.id, Credential.kind, Credential.scopes, Credential.expires_at,
            Credential.last_used_at, Credential.revoked_at,
        )
        .join(User, User.id == Credential.user_id)
        .where(Credential.token_hash == secret_hash(secret))
    ).first()  # fmt: skip
    if row is None:
        return None
    user, credential_id, kind, scopes, expires_at, last_used_at, revoked_at = row
    if revoked_at is not None or (expires_at is not None and expires_at <= now):
        return None
    if not user.is_active:
        return None
    return Presented(credential_id, kind, user, frozenset(scopes or ()), last_used_at)
