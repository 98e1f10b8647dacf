"""Saved inbox views (``/api/v1/views``): each user's own named filters and order."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from cdmx.actions.views import MAX_NAME, do_create_view, do_delete_view, do_update_view
from cdmx.queries.views import saved_views, view_json
from cdmx.web.api.deps import DB, CurrentUser

router = APIRouter(tags=["saved views"])

Id = Field(None, ge=1, le=2**63 - 1)


class ViewFilters(BaseModel):
    """The list's query as ``GET /conversations`` takes it; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    view: Literal["mine", "queue", "all"] | None = None
    status: Literal["queued", "assigned", "snoozed", "closed"] | None = None
    queue_id: int | None = Id
    label_id: int | None = Id
    assignee_id: int | None = Id
    order: Literal["recent", "unread", "waiting"] | None = None


class NewView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_NAME)
    filters: ViewFilters = Field(default_factory=ViewFilters)


class ViewChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=MAX_NAME)
    filters: ViewFilters | None = None


@router.get("/views")
def list_views(user: CurrentUser, db: DB) -> dict[str, Any]:
    """The caller's own saved views, by name."""
    with db.read() as session:
        return {"views": saved_views(session, user)}


@router.post("/views", status_code=201)
def create_view(body: NewView, user: CurrentUser, db: DB) -> dict[str, Any]:
    with db.write() as session:
        item = do_create_view(session, user, name=body.name, filters=body.filters.model_dump())
        return view_json(item)


@router.patch("/views/{view_id}")
def update_view(view_id: int, body: ViewChanges, user: CurrentUser, db: DB) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if body.name is not None:
        changes["name"] = body.name
    if body.filters is not None:
        changes["filters"] = body.filters.model_dump()
    with db.write() as session:
        return view_json(do_update_view(session, user, view_id, **changes))


@router.delete("/views/{view_id}", status_code=204)
def delete_view(view_id: int, user: CurrentUser, db: DB) -> Response:
    with db.write() as session:
        do_delete_view(session, user, view_id)
    return Response(status_code=204)
