"""Message templates: list them for the picker, sync them from Meta, start a conversation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from cdmx.actions.templates import do_start_conversation
from cdmx.domain.errors import ActionError, Forbidden
from cdmx.domain.states import Role
from cdmx.queries.conversations import conversation_snapshot
from cdmx.queries.messages import message_snapshot
from cdmx.queries.templates import list_templates
from cdmx.web.api.deps import DB, CurrentUser
from cdmx.web.services import services
from cdmx.whatsapp.errors import GraphError

router = APIRouter(tags=["templates"])


class UpstreamFailed(ActionError):
    """Meta (or the simulator) refused or did not answer."""

    status_code = 502


@router.get("/templates")
def get_templates(
    user: CurrentUser,
    db: DB,
    status: str | None = None,
    language: str | None = None,
    number_id: int | None = None,
) -> dict[str, Any]:
    """Templates with their variables; ``number_id`` keeps those of that number's account."""
    with db.read() as session:
        rows = list_templates(session, status=status, language=language, number_id=number_id)
    return {"templates": rows}


@router.post("/templates/sync")
async def sync_templates(user: CurrentUser, request: Request) -> dict[str, Any]:
    """Fetch every template of the business account(s) from Meta now (admins, supervisors)."""
    if user.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise Forbidden("forbidden", "Only admins and supervisors can sync templates.")
    # The sync is the template worker's (create_app injects it): the web only asks for one.
    try:
        result = await services(request).sync_templates()
    except GraphError as exc:
        raise UpstreamFailed(
            "template_sync_failed", f"WhatsApp did not list the templates: {exc.message}"
        ) from exc
    return {"synced": result.synced, "removed": result.removed}


class NewConversation(BaseModel):
    """Write first to a phone number, with a template (the only thing WhatsApp allows)."""

    number_id: int = Field(description="The WhatsApp number (channel) to write from")
    wa_id: str = Field(max_length=40, description="The customer's phone, any format")
    name: str | None = Field(None, max_length=200)
    template_id: int
    params: dict[str, Any] | None = Field(None, description="header, body and buttons values")
    local_id: str | None = Field(None, max_length=64)


@router.post("/conversations", status_code=202)
def start_conversation(body: NewConversation, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Find or open the conversation with this number, assigned to the caller, and send the
    template (202: queued for sending)."""
    with db.write() as session:
        conversation, message = do_start_conversation(
            session, user, channel_id=body.number_id, wa_id=body.wa_id, name=body.name,
            template_id=body.template_id, values=body.params, local_id=body.local_id,
        )  # fmt: skip
        return {
            "conversation": conversation_snapshot(session, conversation.id),
            "message": message_snapshot(session, message),
        }
