"""Integration tokens: an admin makes one for a system (named, with scopes and an optional
expiry), sees its secret once, and revokes it at once.

Each token acts as its own service user — a ``users`` row with the role ``integration``,
which can sign in nowhere — so what the token does is that user's: the author of the
messages and notes it sends, the actor in the audit trail. The service user stays after a
revocation, as the author of what it wrote."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.actions.audit import record_audit
from cdmx.db.tables import Credential, User
from cdmx.domain.credentials import SHOWN_PREFIX, new_secret, secret_hash
from cdmx.domain.errors import Forbidden, Invalid, NotFound
from cdmx.domain.scopes import unknown_scopes
from cdmx.domain.states import Availability, Role
from cdmx.queries.integrations import integration_token_json

MAX_NAME = 100
SERVICE_DOMAIN = "integrations.invalid"  # .invalid never resolves: no mail can reach it


def do_create_integration_token(
    session: Session,
    admin: User,
    *,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[dict[str, Any], str]:
    """The new token's JSON and its secret (shown once: only its hash is kept)."""
    _require_admin(admin)
    now = now or datetime.now(UTC)
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise Invalid("invalid_name", f"A token needs a name of 1 to {MAX_NAME} characters.")
    if not scopes:
        raise Invalid("invalid_scopes", "Choose at least one scope.")
    if unknown := unknown_scopes(scopes):
        raise Invalid("unknown_scope", f"Unknown scope: {', '.join(unknown)}.")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise Invalid("invalid_expiry", "expires_at needs a time zone (…Z or ±hh:mm).")
        if expires_at <= now:
            raise Invalid("invalid_expiry", "expires_at must be in the future.")
    service = User(
        email=f"token-{secrets.token_hex(8)}@{SERVICE_DOMAIN}", name=name,
        role=Role.INTEGRATION, password_hash="!", availability=Availability.OFFLINE,
        is_active=True, capacity=0, created_at=now,
    )  # fmt: skip
    session.add(service)
    session.flush()
    secret = new_secret("integration")
    token = Credential(
        kind="integration", token_hash=secret_hash(secret), user_id=service.id, name=name,
        prefix=secret[:SHOWN_PREFIX], scopes=sorted(set(scopes)), created_by_id=admin.id,
        created_at=now, expires_at=expires_at, last_used_at=None, revoked_at=None,
    )  # fmt: skip
    session.add(token)
    session.flush()
    shown = integration_token_json(token, admin.name, now)
    record_audit(
        session, "token.created", object_type="token", object_id=token.id,
        after={k: shown[k] for k in ("name", "prefix", "scopes", "expires_at")}, actor=admin,
    )  # fmt: skip
    return shown, secret


def do_revoke_integration_token(
    session: Session, admin: User, token_id: int, now: datetime | None = None
) -> dict[str, Any]:
    """Revoke the token: its next request is refused (401). Revoking twice changes nothing."""
    _require_admin(admin)
    token = session.scalar(
        select(Credential)
        .where(Credential.id == token_id, Credential.kind == "integration")
        .with_for_update()
    )
    if token is None:
        raise NotFound("token_not_found", f"No integration token {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = now or datetime.now(UTC)
        session.flush()
        record_audit(
            session, "token.revoked", object_type="token", object_id=token.id,
            before={"name": token.name, "prefix": token.prefix},
            detail={"reason": "revoked_by_admin"}, actor=admin,
        )  # fmt: skip
    creator = session.get(User, token.created_by_id) if token.created_by_id else None
    return integration_token_json(token, creator.name if creator else None)


def _require_admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise Forbidden("admins_only", "Only an admin can manage integration tokens.")
