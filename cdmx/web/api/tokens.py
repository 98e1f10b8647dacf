"""POST /api/v1/auth/token: e-mail and password in, a bearer token out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from cdmx.actions.audit import current_origin
from cdmx.domain.errors import ActionError
from cdmx.web.api.deps import DB
from cdmx.web.auth import audit_signed_in, authenticate
from cdmx.web.bearer import TOKEN_TTL_SECONDS
from cdmx.web.services import services

router = APIRouter(tags=["auth"])


class TokenRequest(BaseModel):
    email: str
    password: str


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = TOKEN_TTL_SECONDS


class BadCredentials(ActionError):
    status_code = 401


@router.post("/auth/token", response_model=TokenResponse)
async def issue_token(body: TokenRequest, request: Request, db: DB) -> TokenResponse:
    """Exchange a user's e-mail and password for a bearer token."""
    if (origin := current_origin()) is not None:
        origin.via = "token"  # for the audit trail: a program asks, not the console
    user = await run_in_threadpool(authenticate, db, body.email, body.password)
    if user is None:
        raise BadCredentials("bad_credentials", "Wrong e-mail or password.")
    await run_in_threadpool(audit_signed_in, db, user, "token.issued")
    return TokenResponse(access_token=services(request).tokens.issue(user))
