"""Meta's Graph API as the simulator serves it: /messages, message templates, fault settings."""

from __future__ import annotations

import base64
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cdmx.simulator.graph_errors import GraphError, check_path, invalid
from cdmx.simulator.state import GraphRequest, Simulator, canonical_wa_id
from cdmx.simulator.templates import (
    SAMPLE_TEMPLATES,
    TemplateRejected,
    check_and_render,
    quick_replies,
)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
MEDIA_TYPES = ("audio", "document", "image", "sticker", "video")
KNOWN_TYPES = (
    "audio", "contacts", "document", "image", "interactive", "location", "reaction",
    "sticker", "template", "text", "video",
)  # fmt: skip
TEMPLATE_PAGE_DEFAULT = 25  # Meta's page size when no limit is given [unverified]


def graph_routes() -> list[Route]:
    """The Graph API routes, plus the simulator's own fault settings."""
    return [
        Route("/_sim/faults", get_faults, methods=["GET"]),
        Route("/_sim/faults", set_faults, methods=["POST"]),
        Route("/{version}/{phone_number_id}/messages", post_messages, methods=["POST"]),
        Route("/{version}/{waba_id}/message_templates", list_templates, methods=["GET"]),
    ]


async def post_messages(request: Request) -> JSONResponse:
    """Send a message, or mark one read, the way Meta's /messages endpoint does."""
    sim: Simulator = request.app.state.simulator
    version = request.path_params["version"]
    record = GraphRequest(
        body=await _json(request),
        received_at=sim.clock(),
        version=version,
        phone_number_id=request.path_params["phone_number_id"],
    )
    sim.sent_requests.append(record)
    await sim.faults.delay()
    try:
        response = _handle_messages(request, sim, record)
    except GraphError as error:
        response = error.response()
    record.status_code = response.status_code
    return response


async def list_templates(request: Request) -> JSONResponse:
    """The business account's message templates, a page at a time (``limit``, ``after``)."""
    sim: Simulator = request.app.state.simulator
    await sim.faults.delay()
    try:
        check_path(request, sim, "waba_id", sim.config.waba_id, "get")
        query = request.query_params
        limit = _int_param(query.get("limit"), TEMPLATE_PAGE_DEFAULT, "limit")
        start = _cursor_offset(query.get("after"))
    except GraphError as error:
        return error.response()
    name, status = query.get("name"), query.get("status")
    rows = [
        t for t in SAMPLE_TEMPLATES
        if (name is None or t["name"] == name) and (status is None or t["status"] == status)
    ]  # fmt: skip
    data = rows[start : start + limit]
    body: dict[str, Any] = {"data": data}
    if data:
        # Cursors are opaque to clients; these encode the row offset, as Meta's happen to.
        before = _cursor(start)
        after = _cursor(start + len(data))
        body["paging"] = {"cursors": {"before": before, "after": after}}
        if start + len(data) < len(rows):
            next_query = f"limit={limit}&after={after}"
            body["paging"]["next"] = f"{request.url.replace(query=next_query)}"
    return JSONResponse(body)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _cursor_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return max(0, int(text.removeprefix("offset:")))
    except ValueError:
        raise invalid("Invalid parameter", details=f"Invalid cursor: {cursor!r}") from None


def _int_param(value: str | None, default: int, name: str) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise invalid(f"Param {name} must be an integer.") from None
    if number < 1:
        raise invalid(f"Param {name} must be a positive integer.")
    return number


async def get_faults(request: Request) -> JSONResponse:
    """The current fault settings."""
    sim: Simulator = request.app.state.simulator
    return JSONResponse(sim.faults.snapshot())


async def set_faults(request: Request) -> JSONResponse:
    """Change fault settings at runtime (any subset of the keys)."""
    sim: Simulator = request.app.state.simulator
    body = await _json(request)
    try:
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        sim.faults.update(body)
    except ValueError as error:
        return JSONResponse({"error": {"code": "invalid_faults", "message": str(error)}}, 400)
    return JSONResponse(sim.faults.snapshot())


def _handle_messages(request: Request, sim: Simulator, record: GraphRequest) -> JSONResponse:
    check_path(request, sim, "phone_number_id", sim.config.phone_number_id, "post")
    body = record.body
    if not isinstance(body, dict) or "messaging_product" not in body:
        raise invalid("The parameter messaging_product is required.")
    if body["messaging_product"] != "whatsapp":
        got = body["messaging_product"]
        raise invalid(f'Param messaging_product must be one of {{WHATSAPP}} - got "{got}".')
    if body.get("status") == "read":
        return _mark_read(sim, body)
    fault = sim.faults.check_send()
    if fault is not None:
        raise GraphError.from_fault(fault)
    to = body.get("to")
    if not isinstance(to, str) or not to.strip():
        raise invalid("The parameter to is required.")
    wa_id = canonical_wa_id(to)
    if not 8 <= len(wa_id) <= 15:
        raise invalid("Invalid parameter", details=f"Invalid phone number in 'to': {to!r}")
    if body.get("recipient_type", "individual") != "individual":
        raise invalid("Param recipient_type must be individual (groups are not simulated).")
    # Meta treats a missing type as text.
    kind = body.get("type", "text")
    if kind not in KNOWN_TYPES:
        allowed = ", ".join(t.upper() for t in KNOWN_TYPES)
        raise invalid(f'Param type must be one of {{{allowed}}} - got "{kind}".')
    text, category = _content(kind, body.get(kind))
    context = body.get("context")
    opaque = body.get("biz_opaque_callback_data")
    message = sim.accept_outbound(
        wa_id,
        type=kind,
        text=text,
        version=record.version,
        category=category,
        context_id=context.get("message_id") if isinstance(context, dict) else None,
        biz_opaque_callback_data=opaque if isinstance(opaque, str) else None,
    )
    if kind in MEDIA_TYPES or kind == "interactive":
        # The phone shows a file by its id, and draws the buttons or list to tap.
        message.content = {kind: body.get(kind)}
    elif kind == "template" and (replies := quick_replies(body["template"])):
        message.content = {"template": {"quick_replies": replies}}  # the buttons to tap
    return JSONResponse(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": wa_id}],
            "messages": [{"id": message.wamid}],
        },
        # Queued only once the response is on its way, so statuses trail the wamid.
        background=BackgroundTask(sim.schedule_statuses, message),
    )


def _mark_read(sim: Simulator, body: dict[str, Any]) -> JSONResponse:
    message_id = body.get("message_id")
    if not isinstance(message_id, str) or not message_id:
        raise invalid("The parameter message_id is required.")
    typing = isinstance(body.get("typing_indicator"), dict)
    # Unknown but wamid-shaped ids are accepted: the app may replay ids from fixtures.
    if not sim.business_reads(message_id, typing=typing) and not message_id.startswith("wamid."):
        raise invalid("Invalid parameter", details=f"Invalid message_id: {message_id!r}")
    return JSONResponse({"success": True})


def _content(kind: str, obj: Any) -> tuple[str, str]:
    """The text the customer will see and the pricing category, or a GraphError."""
    if kind == "contacts":
        if not isinstance(obj, list) or not obj:
            raise invalid("The parameter contacts is required.")
        names = [str(_dig(card, "name", "formatted_name") or "") for card in obj]
        return "👤 " + ", ".join(names), "service"
    if not isinstance(obj, dict):
        raise invalid(f"The parameter {kind} is required.")
    if kind == "text":
        body = obj.get("body")
        if not isinstance(body, str) or not body:
            raise invalid("The parameter text['body'] is required.")
        if len(body) > TEXT_LIMIT:
            raise invalid(
                f"Param text['body'] must be at most {TEXT_LIMIT} characters long.",
                details=f"The text body has {len(body)} characters; the limit is {TEXT_LIMIT}.",
            )
        return body, "service"
    if kind == "template":
        return _template_text(obj)
    if kind in MEDIA_TYPES:
        if not obj.get("id") and not obj.get("link"):
            raise invalid(f"Param {kind} must contain either id or link.")
        caption = obj.get("caption")
        if isinstance(caption, str) and len(caption) > CAPTION_LIMIT:
            raise invalid(f"Param {kind}['caption'] must be at most {CAPTION_LIMIT} characters.")
        label = obj.get("filename") if kind == "document" else None
        return str(caption or label or f"[{kind}]"), "service"
    if kind == "location":
        if "latitude" not in obj or "longitude" not in obj:
            raise invalid("The parameters location['latitude'] and ['longitude'] are required.")
        place = obj.get("name") or obj.get("address") or f"{obj['latitude']}, {obj['longitude']}"
        return f"📍 {place}", "service"
    if kind == "reaction":
        if not isinstance(obj.get("message_id"), str):
            raise invalid("The parameter reaction['message_id'] is required.")
        return str(obj.get("emoji", "")), "service"
    # interactive: the body and the choices; the phone draws them to tap (its content).
    body = obj.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise invalid("The parameter interactive['body']['text'] is required.")
    buttons = _dig(obj, "action", "buttons")
    if not isinstance(buttons, list):
        buttons = []
    choices = [f"[{_dig(button, 'reply', 'title') or ''}]" for button in buttons]
    return "\n".join([body["text"], *choices]), "service"


def _template_text(obj: dict[str, Any]) -> tuple[str, str]:
    try:
        return check_and_render(obj)
    except TemplateRejected as error:
        raise GraphError(error.code, error.message, details=error.details) from None


def _dig(value: Any, *keys: str) -> Any:
    """value[k1][k2]…, or None as soon as a level is not a dict: bodies are untrusted."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None
