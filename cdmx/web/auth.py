"""Who is calling: a console session cookie (with CSRF protection) or an API bearer token."""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy import select

from cdmx.actions.audit import current_origin, do_record_failed_sign_in, record_audit
from cdmx.actions.users import do_set_availability
from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.domain.passwords import hash_password, verify_password
from cdmx.domain.states import Availability
from cdmx.web.bearer import still_bound
from cdmx.web.services import services

BEARER = {"WWW-Authenticate": "Bearer"}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@cache
def _dummy_hash() -> str:
    # Verified against when the e-mail is unknown, so timing does not reveal which exist.
    return hash_password(secrets.token_hex(16))


def authenticate(db: Database, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (recorded in the audit
    trail as ``auth.sign_in_failed``)."""
    with db.read() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        verify_password(_dummy_hash(), password)
        found = None
    else:
        found = user if verify_password(user.password_hash, password) else None
    if found is None:
        with db.write() as session:
            do_record_failed_sign_in(session, email)
    return found


def audit_signed_in(db: Database, user: User, action: str, **detail: str) -> None:
    """Record a successful sign-in (``auth.sign_in``) or token (``token.issued``)."""
    with db.write() as session:
        record_audit(
            session, action, object_type="user", object_id=user.id, actor=user,
            detail=detail or None,
        )  # fmt: skip


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def sign_in(request: Request, user: User) -> None:
    """Start a fresh console session for ``user``: no session fixation, a new CSRF token."""
    request.session.clear()
    request.session["uid"] = user.id
    csrf_token(request)


def sign_out(request: Request) -> None:
    """End the console session; its user goes offline (routing gives them nothing more),
    whatever other tabs they had open."""
    user_id = request.session.get("uid")
    request.session.clear()
    if isinstance(user_id, int):
        with services(request).db.write() as session:
            user = session.get(User, user_id)
            if user is not None:
                do_set_availability(session, user_id, Availability.OFFLINE)
                record_audit(
                    session, "auth.sign_out", object_type="user", object_id=user.id, actor=user
                )


def current_user(request: Request) -> User:
    """FastAPI dependency: the signed-in user, or 401. Session writes need the CSRF header."""
    app = services(request)
    db = app.db
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        data = app.tokens.check(header[7:].strip()) or {}
        user = load_user(db, data.get("uid"))
        # A password change invalidates the tokens issued before it.
        if user is None or not still_bound(user, data):
            raise HTTPException(401, "The token is invalid or expired.", BEARER)
        _acting_as(user, "token")
        return user
    user = load_user(db, request.session.get("uid"))
    if user is None:
        raise HTTPException(401, "Sign in first.", BEARER)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token", "")
        if not sent or not secrets.compare_digest(sent, str(request.session.get("csrf", ""))):
            raise HTTPException(403, "Missing or wrong CSRF token; reload the page.")
    _acting_as(user, "console")
    return user


def _acting_as(user: User, via: str) -> None:
    # The request's audit origin (cdmx.web.origin) now names who is acting; the same object
    # is seen by the route, whichever thread it runs in.
    origin = current_origin()
    if origin is not None:
        origin.act_as(user, via)


def load_user(db: Database, user_id: Any) -> User | None:
    if not isinstance(user_id, int):
        return None
    with db.read() as session:
        user = session.get(User, user_id)
    return user if user is not None and user.is_active else None
