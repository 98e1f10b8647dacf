"""A customer's profile and history (``/api/v1/contacts/{id}``), and the custom fields
admins define for contacts (``/api/v1/contact-fields``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from cdmx.actions.profile import do_create_contact_field, do_delete_contact_field, do_update_profile
from cdmx.queries.contacts import contact_fields, contact_history, profile_json, shown_contact
from cdmx.web.api.deps import DB, CurrentUser

router = APIRouter(tags=["contacts"])

ContactId = Path(ge=1, le=2**63 - 1)


class ProfileChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=400, description="empty or null: WhatsApp's name")
    email: str | None = Field(None, max_length=400)
    notes: str | None = Field(None, max_length=10_000)
    attributes: dict[str, str | None] | None = Field(
        None, description="contact field key → value; null removes it"
    )


class NewContactField(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(max_length=64, description="a-z, 0-9 and _")
    label: str = Field(max_length=100)


@router.get("/contacts/{contact_id}")
def get_contact(user: CurrentUser, db: DB, contact_id: int = ContactId) -> dict[str, Any]:
    """The customer's profile; a contact merged into another answers as that one."""
    with db.read() as session:
        return profile_json(session, shown_contact(session, user, contact_id))


@router.patch("/contacts/{contact_id}")
def update_contact(
    body: ProfileChanges, user: CurrentUser, db: DB, contact_id: int = ContactId
) -> dict[str, Any]:
    with db.write() as session:
        contact = do_update_profile(session, user, contact_id, body.model_dump(exclude_unset=True))
        return profile_json(session, contact)


@router.get("/contacts/{contact_id}/conversations")
def get_contact_conversations(
    user: CurrentUser, db: DB, contact_id: int = ContactId
) -> dict[str, Any]:
    """Every conversation of the customer, newest first, with ``handled_by`` and ``ended``."""
    with db.read() as session:
        return {"conversations": contact_history(session, shown_contact(session, user, contact_id))}


@router.get("/contact-fields")
def list_contact_fields(user: CurrentUser, db: DB) -> dict[str, Any]:
    with db.read() as session:
        return {"fields": contact_fields(session)}


@router.post("/contact-fields", status_code=201)
def create_contact_field(body: NewContactField, user: CurrentUser, db: DB) -> dict[str, Any]:
    with db.write() as session:
        field = do_create_contact_field(session, user, body.key, body.label)
        return {"id": field.id, "key": field.key, "label": field.label}


@router.delete("/contact-fields/{field_id}", status_code=204)
def delete_contact_field(field_id: int, user: CurrentUser, db: DB) -> Response:
    with db.write() as session:
        do_delete_contact_field(session, user, field_id)
    return Response(status_code=204)
