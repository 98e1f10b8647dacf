"""Sessions and tokens: opened at sign-in, checked on every request, revoked from the server.

Every credential is a row of ``credentials`` keyed by the SHA-256 of a random secret that
only its holder has (inside the signed session cookie, or as a bearer token). Revoking one
sets ``revoked_at``, so a copied cookie or a leaked token stops working at once, on every
instance: signing out revokes the session; a password change or a deactivation revokes all
of the user's sessions and tokens (``do_revoke_user_credentials``).

Why a table rather than a per-user epoch in a signed cookie: the request already reads the
user row, and the credential's row joins it in the same indexed read (``cdmx/queries/
credentials.py``), so revocation costs no extra statement; an epoch could only end all of a
user's sessions at once, never the one a copied cookie names.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from cdmx.actions.audit import record_audit
from cdmx.db.tables import CREDENTIALS, Credential, User
from cdmx.domain.credentials import SESSION_TTL, TOKEN_TTL, new_secret, secret_hash


def do_open_credential(
    session: Session,
    user: User,
    kind: str,
    *,
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> str:
    """A new session (``kind="session"``) or bearer token (``"token"``) for ``user``; the
    secret, which only the caller ever sees."""
    now = now or datetime.now(UTC)
    secret = new_secret(kind)
    ttl = SESSION_TTL if kind == "session" else TOKEN_TTL
    session.add(
        Credential(
            kind=kind, token_hash=secret_hash(secret), user_id=user.id, created_at=now,
            expires_at=expires_at or now + ttl,
            # Used as it is made: its first requests within TOUCH_EVERY write nothing.
            last_used_at=now,
        )
    )  # fmt: skip
    session.flush()
    return secret


def do_revoke_secret(session: Session, secret: str, now: datetime | None = None) -> int | None:
    """Revoke the credential this secret opens (sign-out, ``DELETE /api/v1/auth/token``);
    its id, or None when there was none still open."""
    revoked = session.execute(
        update(CREDENTIALS)
        .where(CREDENTIALS.c.token_hash == secret_hash(secret), CREDENTIALS.c.revoked_at.is_(None))
        .values(revoked_at=now or datetime.now(UTC))
        .returning(CREDENTIALS.c.id)
    ).scalar()
    return None if revoked is None else int(revoked)


def do_revoke_user_credentials(
    session: Session, user_id: int, reason: str, now: datetime | None = None
) -> int:
    """End every open session and token of ``user_id`` (a password change, a
    deactivation); how many. Audited as one ``token.revoked`` row naming the user."""
    result = session.execute(
        update(CREDENTIALS)
        .where(CREDENTIALS.c.user_id == user_id, CREDENTIALS.c.revoked_at.is_(None))
        .values(revoked_at=now or datetime.now(UTC))
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        record_audit(
            session, "token.revoked", object_type="user", object_id=user_id,
            detail={"reason": reason, "revoked": count},
        )  # fmt: skip
    return count


def do_touch_credential(session: Session, credential_id: int, now: datetime) -> None:
    """Record that the credential was used now (callers do it at most once a TOUCH_EVERY)."""
    session.execute(
        update(CREDENTIALS).where(CREDENTIALS.c.id == credential_id).values(last_used_at=now)
    )
