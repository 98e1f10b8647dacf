"""The customer phone page: its HTML, its JSON API and its live event stream (SSE)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from cdmx.simulator.inbound import InboundError, build_inbound
from cdmx.simulator.phone_api import DEFAULT_NAME, DEFAULT_WA_ID, error_response, wa_id_from
from cdmx.simulator.state import Simulator, on_phone

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
HEARTBEAT_SECONDS = 15.0


def phone_routes() -> list[BaseRoute]:
    """The phone page, its API and its static files."""
    return [
        Route("/", home),
        Route("/phone", page),
        Route("/phone/api/send", api_send, methods=["POST"]),
        Route("/phone/api/messages", api_messages),
        Route("/phone/api/read", api_read, methods=["POST"]),
        Route("/phone/api/events", api_events),
        Mount("/phone/static", StaticFiles(directory=HERE / "static"), name="phone-static"),
    ]


async def home(request: Request) -> Response:
    """Send visitors of the bare address to the phone."""
    return RedirectResponse("/phone", status_code=307)


async def page(request: Request) -> Response:
    """The phone page itself."""
    sim: Simulator = request.app.state.simulator
    context = {
        "default_wa_id": DEFAULT_WA_ID,
        "default_name": DEFAULT_NAME,
        "business_number": sim.config.display_phone_number,
    }
    return TEMPLATES.TemplateResponse(request, "phone.html", context)


async def api_send(request: Request) -> JSONResponse:
    """The customer sends a message: `{wa_id, name, type?, reply_to?, …}` → `{wamid, wa_id}`.

    `type` defaults to "text" (`{text}`); the others are location (`latitude, longitude,
    name, address`), contacts (`contact_name, contact_phone, contact_email`), reaction
    (`message_id, emoji`; "" removes it), order (`items, catalog_id, text`), interactive (a
    tap on a reply button or list row: `reply_type` button_reply|list_reply, `reply_id`,
    `title`, `description`, and `reply_to` the business message), button (a tap on a
    template's quick-reply button: `payload`, `text`, `reply_to`) and unsupported
    (`unsupported_type`). `reply_to` quotes a message of the chat (Meta's `context.id`).
    """
    sim: Simulator = request.app.state.simulator
    body = await _json(request)
    wa_id = wa_id_from(body.get("wa_id"))
    name = body.get("name") or DEFAULT_NAME
    reply_to = body.get("reply_to") or None
    if wa_id is None:
        return error_response("invalid_wa_id", "wa_id must be a phone number of 8 to 15 digits")
    try:
        inbound = build_inbound(body.get("type"), body)
    except InboundError as exc:
        return error_response(exc.code, str(exc))
    if not isinstance(name, str) or len(name) > 256:
        return error_response("invalid_name", "name must be text of at most 256 characters")
    if reply_to is not None and not (isinstance(reply_to, str) and sim.in_chat(wa_id, reply_to)):
        return error_response(
            "invalid_reply_to", "reply_to must be the wamid of a message in this chat"
        )
    if not all(sim.in_chat(wa_id, target) for target in inbound.targets):
        return error_response("invalid_message_id", "message_id must be a message in this chat")
    # Do not wait for the app: the page must not hang while webhooks are being retried.
    wamid = await sim.customer_sends(wa_id, name, inbound, context_id=reply_to, wait=False)
    return JSONResponse({"wamid": wamid, "wa_id": wa_id})


async def api_messages(request: Request) -> JSONResponse:
    """The chat as the customer's phone shows it."""
    sim: Simulator = request.app.state.simulator
    wa_id = wa_id_from(request.query_params.get("wa_id"))
    if wa_id is None:
        return error_response("invalid_wa_id", "wa_id must be a phone number of 8 to 15 digits")
    return JSONResponse({"messages": sim.phone_messages(wa_id)})


async def api_read(request: Request) -> JSONResponse:
    """The customer is looking at the chat: the replies on screen become read."""
    sim: Simulator = request.app.state.simulator
    body = await _json(request)
    wa_id = wa_id_from(body.get("wa_id"))
    if wa_id is None:
        return error_response("invalid_wa_id", "wa_id must be a phone number of 8 to 15 digits")
    await sim.customer_reads(wa_id, wait=False, only_delivered=True)
    return JSONResponse({"ok": True})


async def api_events(request: Request) -> Response:
    """A Server-Sent Events stream of the chat: a snapshot, then each change."""
    sim: Simulator = request.app.state.simulator
    wa_id = wa_id_from(request.query_params.get("wa_id"))
    if wa_id is None:
        return error_response("invalid_wa_id", "wa_id must be a phone number of 8 to 15 digits")
    return StreamingResponse(
        event_stream(sim, wa_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def event_stream(
    sim: Simulator, wa_id: str, *, heartbeat: float = HEARTBEAT_SECONDS
) -> AsyncIterator[str]:
    """The SSE frames for one phone page; ends when the simulator stops."""
    queue = sim.subscribe(wa_id)
    try:
        # A full snapshot first, so a (re)connecting page never misses what happened between
        # loading and subscribing; bubbles are keyed by wamid, so repeats are harmless.
        yield _frame("snapshot", {"messages": sim.phone_messages(wa_id)})
        while True:
            try:
                event, data = await asyncio.wait_for(queue.get(), heartbeat)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if event == "close":
                return
            if event == "message" and not on_phone(data):
                continue
            yield _frame(event, data)
    finally:
        sim.unsubscribe(wa_id, queue)


def _frame(event: str, data: Any) -> str:
    # json.dumps never emits a raw newline, so one data: line is always enough.
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
