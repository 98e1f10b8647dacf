"""WhatsApp numbers (channels): list them; admins connect numbers and replace tokens."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from cdmx.actions.channels import (
    channel_json,
    do_add_channel,
    do_set_channel_queue,
    do_set_channel_token,
)
from cdmx.db.tables import Channel
from cdmx.web.api.deps import DB, AdminUser, CurrentUser
from cdmx.web.services import services

router = APIRouter(tags=["numbers"])


@router.get("/numbers")
def list_numbers(user: CurrentUser, db: DB) -> dict[str, Any]:
    """Every connected number with its health ("needs_attention" when Meta refuses its token)."""
    with db.read() as session:
        channels = session.scalars(select(Channel).order_by(Channel.id)).all()
        return {"numbers": [channel_json(c) for c in channels]}


class NewNumber(BaseModel):
    phone_number_id: str = Field(description="Meta's id of the number (not the number itself)")
    display_phone_number: str = Field(description="The number as agents see it, e.g. 525550000000")
    business_account_id: str = ""
    access_token: str | None = Field(None, description="Stored encrypted; never shown again")
    provider: Literal["meta", "aws"] = "meta"
    rate_per_second: float | None = None


@router.post("/numbers", status_code=201)
def add_number(body: NewNumber, request: Request, user: AdminUser, db: DB) -> dict[str, Any]:
    """Connect another WhatsApp number; webhooks for it are routed by its phone_number_id."""
    with db.write() as session:
        channel = do_add_channel(session, services(request).sealer, **body.model_dump())
        return channel_json(channel)


class NumberChanges(BaseModel):
    queue_id: int = Field(description="The queue this number's new conversations join")


@router.patch("/numbers/{number_id}")
def update_number(number_id: int, body: NumberChanges, user: AdminUser, db: DB) -> dict[str, Any]:
    """Send a number's new conversations to another queue (open ones stay in theirs)."""
    with db.write() as session:
        return channel_json(do_set_channel_queue(session, number_id, body.queue_id))


class NewToken(BaseModel):
    access_token: str


@router.put("/numbers/{number_id}/token")
def replace_token(
    number_id: int, body: NewToken, request: Request, user: AdminUser, db: DB
) -> dict[str, Any]:
    """Replace a number's token; paused sends resume with nothing lost."""
    with db.write() as session:
        channel = do_set_channel_token(
            session, services(request).sealer, number_id, body.access_token
        )
        return channel_json(channel)
