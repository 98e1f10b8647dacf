"""Labels (``/api/v1/labels``) and a conversation's labels
(``PUT /api/v1/conversations/{id}/labels``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from cdmx.actions.labels import (
    do_create_label,
    do_delete_label,
    do_set_conversation_labels,
    do_update_label,
)
from cdmx.queries.conversations import conversation_snapshot
from cdmx.queries.labels import all_labels, label_json
from cdmx.web.api.deps import DB, CurrentUser

router = APIRouter(tags=["labels"])


class NewLabel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200, description="1–50 characters, unique ignoring case")
    color: str = Field(max_length=20, description="#RRGGBB")


class LabelChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    color: str | None = Field(None, max_length=20)


class LabelSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label_ids: list[int] = Field(max_length=200)


@router.get("/labels")
def list_labels(user: CurrentUser, db: DB) -> dict[str, Any]:
    with db.read() as session:
        return {"labels": all_labels(session)}


@router.post("/labels", status_code=201)
def create_label(body: NewLabel, user: CurrentUser, db: DB) -> dict[str, Any]:
    with db.write() as session:
        return label_json(do_create_label(session, user, name=body.name, color=body.color))


@router.patch("/labels/{label_id}")
def update_label(label_id: int, body: LabelChanges, user: CurrentUser, db: DB) -> dict[str, Any]:
    with db.write() as session:
        label = do_update_label(session, user, label_id, name=body.name, color=body.color)
        return label_json(label)


@router.delete("/labels/{label_id}", status_code=204)
def delete_label(label_id: int, user: CurrentUser, db: DB) -> Response:
    with db.write() as session:
        do_delete_label(session, user, label_id)
    return Response(status_code=204)


@router.put("/conversations/{conversation_id}/labels")
def set_conversation_labels(
    conversation_id: int, body: LabelSet, user: CurrentUser, db: DB
) -> dict[str, Any]:
    """Sets the conversation's whole set of labels; 200 with its snapshot."""
    with db.write() as session:
        do_set_conversation_labels(session, user, conversation_id, body.label_ids)
        return conversation_snapshot(session, conversation_id)
