"""Who is calling: a console session cookie (with CSRF protection), an API bearer token, or
an admin's integration token — each a revocable row of ``credentials``
(``cdmx/actions/credentials.py``), read once per request (``cdmx/queries/credentials.py``).

Sign-ins pass the throttle and the hash gate (``cdmx/web/throttle.py``) first."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache

from fastapi import HTTPException, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from cdmx.actions.audit import current_origin, do_record_failed_sign_in, record_audit
from cdmx.actions.credentials import do_open_credential, do_revoke_secret, do_touch_credential
from cdmx.actions.users import do_set_availability
from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.domain.credentials import needs_touch
from cdmx.domain.errors import Forbidden, TooManyRequests
from cdmx.domain.passwords import hash_password, verify_password
from cdmx.domain.states import Availability, Role
from cdmx.queries.credentials import Presented, find_credential
from cdmx.web.scopes import required_scope
from cdmx.web.services import services
from cdmx.web.throttle import HashGate

BEARER = {"WWW-Authenticate": "Bearer"}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_KEY = "sid"  # the session's secret, inside the signed cookie


@cache
def _dummy_hash() -> str:
    # Verified against when the e-mail is unknown, so timing does not reveal which exist.
    return hash_password(secrets.token_hex(16))


def authenticate(
    db: Database, email: str, password: str, gate: HashGate | None = None
) -> User | None:
    """The active person with this e-mail and password, or None (recorded in the audit
    trail as ``auth.sign_in_failed``). An integration's service user never signs in."""
    with db.read() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
    gate = gate or HashGate(slots=1, waiting=0)
    with gate.hashing():
        if user is None or not user.is_active or user.role == Role.INTEGRATION:
            verify_password(_dummy_hash(), password)
            found = None
        else:
            found = user if verify_password(user.password_hash, password) else None
    if found is None:
        with db.write() as session:
            do_record_failed_sign_in(session, email)
    return found


async def checked_sign_in(request: Request, email: str, password: str) -> User | None:
    """``authenticate`` behind the throttle and the hash gate: the user, None for a wrong
    password, or ``TooManyRequests`` (429) while the address or the account waits."""
    guard = services(request).sign_ins
    origin = current_origin()
    address = origin.address if origin is not None else None
    wait = guard.throttle.retry_after(address, email)
    if wait:
        raise TooManyRequests(
            "too_many_requests", f"Too many failed sign-ins; try again in {wait} s.", wait
        )
    if not guard.gate.enter():
        raise TooManyRequests("too_many_requests", "Too many sign-ins at once; try again.", 1)
    try:
        user = await run_in_threadpool(
            authenticate, services(request).db, email, password, guard.gate
        )
    finally:
        guard.gate.leave()
    if user is None:
        guard.throttle.failed(address, email)
    else:
        guard.throttle.succeeded(email)
    return user


def open_credential(db: Database, user: User, kind: str, action: str, **detail: str) -> str:
    """Record a successful sign-in (``auth.sign_in``) or token (``token.issued``) and open
    its session or token, in one transaction; the secret."""
    with db.write() as session:
        record_audit(
            session, action, object_type="user", object_id=user.id, actor=user,
            detail=detail or None,
        )  # fmt: skip
        return do_open_credential(session, user, kind)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def sign_in(request: Request, user: User, secret: str) -> None:
    """Start a fresh console session (``secret`` from ``open_credential``): no session
    fixation, a new CSRF token."""
    request.session.clear()
    request.session[SESSION_KEY] = secret
    request.session["uid"] = user.id  # for the logs' user id only; never trusted for access
    csrf_token(request)


def sign_out(request: Request) -> None:
    """End the console session — on the server, so a copy of the cookie stops working too;
    its user goes offline (routing gives them nothing more), whatever other tabs they had."""
    secret = request.session.get(SESSION_KEY)
    request.session.clear()
    if not isinstance(secret, str):
        return
    db = services(request).db
    presented = present(db, secret)
    with db.write() as session:
        do_revoke_secret(session, secret)
        if presented is not None:
            user = presented.user
            do_set_availability(session, user.id, Availability.OFFLINE)
            record_audit(
                session, "auth.sign_out", object_type="user", object_id=user.id, actor=user
            )


def present(db: Database, secret: str) -> Presented | None:
    """The open credential of ``secret`` (one indexed read), its use written at most once
    a minute (``cdmx.domain.credentials.TOUCH_EVERY``)."""
    now = datetime.now(UTC)
    with db.read() as session:
        found = find_credential(session, secret, now)
    if found is not None and needs_touch(found.last_used_at, now):
        with db.write() as session:
            do_touch_credential(session, found.id, now)
    return found


def session_user(request: Request) -> User | None:
    """The person whose open console session the request's cookie names, or None."""
    secret = request.session.get(SESSION_KEY)
    if not isinstance(secret, str):
        return None
    presented = present(services(request).db, secret)
    if presented is None or presented.kind != "session":
        return None
    return presented.user


def current_user(request: Request) -> User:
    """FastAPI dependency: the signed-in user, or 401. Session writes need the CSRF header;
    an integration token needs the route's scope (403 ``insufficient_scope``)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        presented = present(services(request).db, header[7:].strip())
        if presented is None or presented.kind == "session":
            raise HTTPException(401, "The token is invalid, expired or revoked.", BEARER)
        user = presented.user
        if presented.kind == "integration":
            user = _integration(request, presented)
        _acting_as(request, user, "token")
        return user
    found = session_user(request)
    if found is None:
        raise HTTPException(401, "Sign in first.", BEARER)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token", "")
        if not sent or not secrets.compare_digest(sent, str(request.session.get("csrf", ""))):
            raise HTTPException(403, "Missing or wrong CSRF token; reload the page.")
    _acting_as(request, found, "console")
    return found


def credential_check(request: Request) -> Callable[[], bool]:
    """Whether the session or token this request came with is still open, asked again
    later (an event stream asks at each keep-alive): one indexed read a call."""
    secret = bearer_secret(request) or request.session.get(SESSION_KEY)
    db = services(request).db

    def still_open() -> bool:
        return isinstance(secret, str) and present(db, secret) is not None

    return still_open


def bearer_secret(request: Request) -> str | None:
    """The bearer token the request carries, if any."""
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _integration(request: Request, presented: Presented) -> User:
    """An integration token's service user, with an admin's reach narrowed to its scopes:
    the route's scope must be among them. The role the routes see is admin (a detached copy,
    never saved); its own row keeps ``integration``, which can sign in nowhere."""
    route = request.scope.get("route")
    needed = required_scope(request.method, getattr(route, "path_format", ""))
    if needed is None or needed not in presented.scopes:
        what = f"the scope {needed}" if needed else "a person's sign-in"
        raise Forbidden("insufficient_scope", f"This token may not do this: it needs {what}.")
    service = presented.user
    return User(
        id=service.id, email=service.email, name=service.name, role=Role.ADMIN,
        password_hash="", availability=Availability.OFFLINE, is_active=True,
        capacity=0, created_at=service.created_at, last_seen_at=None,
    )  # fmt: skip


def _acting_as(request: Request, user: User, via: str) -> None:
    # The request's audit origin (cdmx.web.origin) now names who is acting; the same object
    # is seen by the route, whichever thread it runs in. The logs name them too.
    request.scope["cdmx.user_id"] = user.id
    origin = current_origin()
    if origin is not None:
        origin.act_as(user, via)


def load_user(db: Database, user_id: object) -> User | None:
    """The active person with this id (a sign-in link's), or None."""
    if not isinstance(user_id, int):
        return None
    with db.read() as session:
        user = session.get(User, user_id)
    if user is None or not user.is_active or user.role == Role.INTEGRATION:
        return None
    return user
