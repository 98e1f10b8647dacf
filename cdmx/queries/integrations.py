"""Integration tokens as the admins see them: never the secret, only its first characters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from cdmx.db.tables import Credential, User
from cdmx.queries.serialize import iso


def token_status(token: Credential, now: datetime) -> str:
    """``active``, ``expired`` or ``revoked``."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def integration_token_json(
    token: Credential, created_by: str | None, now: datetime | None = None
) -> dict[str, Any]:
    """One token: what it may do, whose service user it acts as, when it was last used."""
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "scopes": sorted(token.scopes or ()),
        "service_user_id": token.user_id,
        "created_by": created_by,
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "last_used_at": iso(token.last_used_at),
        "revoked_at": iso(token.revoked_at),
        "status": token_status(token, now or datetime.now(UTC)),
    }


def integration_tokens(session: Session) -> list[dict[str, Any]]:
    """Every integration token, the newest first (one read)."""
    creator = aliased(User)
    rows = session.execute(
        select(Credential, creator.name)
        .outerjoin(creator, creator.id == Credential.created_by_id)
        .where(Credential.kind == "integration")
        .order_by(Credential.id.desc())
    ).all()
    now = datetime.now(UTC)
    return [integration_token_json(token, name, now) for token, name in rows]
