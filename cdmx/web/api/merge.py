"""Merging two contacts that are one person (``POST /api/v1/contacts/{id}/merge``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cdmx.actions.merge import do_merge_contacts
from cdmx.queries.contact_search import contact_json
from cdmx.web.api.deps import DB, CurrentUser

router = APIRouter(tags=["contacts"])


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    other_id: int = Field(description="The contact merged into this one (it keeps its number)")


@router.post("/contacts/{contact_id}/merge")
def merge_contacts(
    contact_id: int, body: MergeRequest, user: CurrentUser, db: DB
) -> dict[str, Any]:
    """Supervisors and admins: ``other_id`` becomes part of this contact's history. Answers
    the kept contact with ``merged``: the ids of every contact merged into it."""
    with db.write() as session:
        kept = do_merge_contacts(session, user, contact_id, body.other_id)
        return contact_json(session, user, kept)
