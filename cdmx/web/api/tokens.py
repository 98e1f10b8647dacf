"""POST /api/v1/auth/token: e-mail and password in, a bearer token out;
DELETE /api/v1/auth/token: the token that calls it is revoked."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from cdmx.actions.audit import current_origin, record_audit
from cdmx.actions.credentials import do_revoke_secret
from cdmx.domain.credentials import TOKEN_TTL
from cdmx.domain.errors import ActionError
from cdmx.web.api.deps import DB, CurrentUser
from cdmx.web.auth import bearer_secret, checked_sign_in, open_credential

router = APIRouter(tags=["auth"])


class TokenRequest(BaseModel):
    email: str
    password: str


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = int(TOKEN_TTL.total_seconds())


class BadCredentials(ActionError):
    status_code = 401


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    responses={
        401: {"description": "`bad_credentials`: wrong e-mail or password"},
        429: {"description": "`too_many_requests`: wait `Retry-After` seconds"},
    },
)
async def issue_token(body: TokenRequest, request: Request, db: DB) -> TokenResponse:
    """Exchange a user's e-mail and password for a bearer token (revocable: a password
    change, a deactivation or ``DELETE /api/v1/auth/token`` ends it). Failed attempts are
    throttled: 429 ``too_many_requests`` with ``Retry-After``."""
    if (origin := current_origin()) is not None:
        origin.via = "token"  # for the audit trail: a program asks, not the console
    user = await checked_sign_in(request, body.email, body.password)
    if user is None:
        raise BadCredentials("bad_credentials", "Wrong e-mail or password.")
    secret = await run_in_threadpool(open_credential, db, user, "token", "token.issued")
    return TokenResponse(access_token=secret)


@router.delete("/auth/token")
def revoke_token(request: Request, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Revoke the bearer token this request carries (sign a program out)."""
    secret = bearer_secret(request)
    if secret is None:
        raise BadCredentials("not_a_token", "Send the token to revoke as a bearer token.")
    with db.write() as session:
        revoked = do_revoke_secret(session, secret)
        record_audit(
            session, "token.revoked", object_type="token", object_id=revoked,
            detail={"reason": "revoked_by_holder"},
        )  # fmt: skip
    return {"revoked": True}
