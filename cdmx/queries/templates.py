"""Templates as the picker and the API read them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdmx.db.tables import Channel, Template
from cdmx.domain.errors import NotFound
from cdmx.queries.serialize import iso
from cdmx.whatsapp.templates import parse_variables


def template_json(row: Template) -> dict[str, Any]:
    """A template with its variables and a preview of its body (placeholders kept)."""
    variables = parse_variables(row.components, row.parameter_format)
    return {
        "id": row.id,
        "name": row.name,
        "language": row.language,
        "category": row.category,
        "status": row.status,
        "parameter_format": row.parameter_format,
        "components": row.components or [],
        "variables": variables.to_json(),
        "preview": variables.body_text,
        "sendable": row.status == "APPROVED" and not variables.unsupported,
        "business_account_id": row.business_account_id,
        "synced_at": iso(row.synced_at),
    }


def list_templates(
    session: Session,
    *,
    status: str | None = None,
    language: str | None = None,
    number_id: int | None = None,
) -> list[dict[str, Any]]:
    """Templates by name and language; deleted ones only when ``status=DELETED`` is asked."""
    query = select(Template).order_by(Template.name, Template.language, Template.id)
    if status:
        query = query.where(Template.status == status.upper())
    else:
        query = query.where(Template.status != "DELETED")
    if language:
        query = query.where(Template.language == language)
    if number_id is not None:
        channel = session.get(Channel, number_id)
        if channel is None:
            raise NotFound("number_not_found", f"There is no WhatsApp number {number_id}.")
        query = query.where(Template.business_account_id == channel.business_account_id)
    return [template_json(row) for row in session.scalars(query)]


def business_accounts(session: Session) -> list[str]:
    """The business accounts of the connected numbers, each once."""
    rows = session.scalars(select(Channel.business_account_id).distinct())
    return sorted(waba for waba in rows if waba)
