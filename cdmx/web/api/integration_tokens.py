"""Integration tokens (``/api/v1/integration-tokens``, admins): named API tokens with
scopes and an optional expiry, for the business's systems; the secret is shown once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from cdmx.actions.integrations import do_create_integration_token, do_revoke_integration_token
from cdmx.domain.scopes import SCOPES
from cdmx.queries.integrations import integration_tokens
from cdmx.web.api.deps import DB, AdminUser

router = APIRouter(tags=["integration tokens"])

TokenId = Path(ge=1, le=2**63 - 1)


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200, description="1–100 characters, e.g. the system's name")
    scopes: list[str] = Field(max_length=len(SCOPES), description=", ".join(SCOPES))
    expires_at: datetime | None = Field(None, description="ISO 8601 with a zone; null: never")


@router.get("/integration-tokens")
def list_tokens(user: AdminUser, db: DB) -> dict[str, Any]:
    """Every integration token (never the secrets), and the scopes one can have."""
    with db.read() as session:
        return {"integration_tokens": integration_tokens(session), "scopes": SCOPES}


@router.post("/integration-tokens", status_code=201)
def create_token(body: NewToken, user: AdminUser, db: DB) -> dict[str, Any]:
    """The new token with its ``token`` (``cdmxi_…``): shown this once."""
    with db.write() as session:
        shown, secret = do_create_integration_token(
            session, user, name=body.name, scopes=body.scopes, expires_at=body.expires_at
        )
        return {**shown, "token": secret}


@router.delete("/integration-tokens/{token_id}")
def revoke_token(user: AdminUser, db: DB, token_id: int = TokenId) -> dict[str, Any]:
    """Revoke the token at once (its next request is 401); the revoked token."""
    with db.write() as session:
        return do_revoke_integration_token(session, user, token_id)
