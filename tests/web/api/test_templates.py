"""The template API: list for the picker, sync from (simulated) Meta, start a conversation,
and a template reply in a conversation whose 24-hour window has closed."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cdmx.actions.replies import do_send_message
from cdmx.actions.templates import do_sync_templates, template_message_for
from cdmx.app import create_app
from cdmx.db.engine import Database
from cdmx.db.tables import Channel, Conversation, Template, User
from cdmx.settings import Settings
from cdmx.simulator import SimulatorConfig, create_simulator_app
from cdmx.simulator.state import Simulator
from cdmx.simulator.templates import SAMPLE_TEMPLATES
from cdmx.web.api import templates as templates_api
from tests.conftest import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    WABA_ID,
    GraphRecorder,
    bearer,
    eventually,
    signed,
)
from tests.factories import text_message


def with_template_routes(app: FastAPI) -> FastAPI:
    """The app with the template routes, whether or not the API already includes them."""
    if not any(getattr(r, "path", "") == "/api/v1/templates" for r in app.routes):
        app.include_router(templates_api.router, prefix="/api/v1")
    return app


async def _ok(request: Request) -> Response:
    return Response(status_code=200)


class Meta:
    """The app with the simulator as its Graph API."""

    def __init__(self, client: httpx.AsyncClient, sim: Simulator) -> None:
        self.client = client
        self.sim = sim


@pytest.fixture
async def meta(settings: Settings, db: Database) -> AsyncIterator[Meta]:
    config = SimulatorConfig(
        app_secret=APP_SECRET, webhook_url="http://app/webhooks/whatsapp",
        access_token=ACCESS_TOKEN, phone_number_id=PHONE_NUMBER_ID, waba_id=WABA_ID,
    )  # fmt: skip
    receiver = Starlette(routes=[Route("/webhooks/whatsapp", _ok, methods=["POST"])])
    sim_app = create_simulator_app(config, webhook_transport=httpx.ASGITransport(receiver))
    sim: Simulator = sim_app.state.simulator
    await sim.start()
    app = with_template_routes(create_app(settings, graph_transport=httpx.ASGITransport(sim_app)))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Meta(http, sim)
    await sim.stop()


async def synced(meta: Meta, make_user: Callable[..., User]) -> dict[str, str]:
    supervisor = await bearer(meta.client, make_user(role="supervisor"))
    response = await meta.client.post("/api/v1/templates/sync", headers=supervisor)
    assert response.status_code == 200, response.text
    return supervisor


async def templates(meta: Meta, auth: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await meta.client.get("/api/v1/templates", params=params, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["templates"]  # type: ignore[no-any-return]


async def test_sync_is_for_supervisors_and_admins(
    meta: Meta, make_user: Callable[..., User]
) -> None:
    agent = await bearer(meta.client, make_user())
    response = await meta.client.post("/api/v1/templates/sync", headers=agent)
    assert response.status_code == 403
    admin = await bearer(meta.client, make_user(role="admin"))
    response = await meta.client.post("/api/v1/templates/sync", headers=admin)
    assert response.json() == {"synced": len(SAMPLE_TEMPLATES), "removed": 0}


async def test_listing_gives_the_picker_its_variables(
    meta: Meta, make_user: Callable[..., User], db: Database
) -> None:
    await synced(meta, make_user)
    agent = await bearer(meta.client, make_user())
    rows = await templates(meta, agent)
    assert len(rows) == len(SAMPLE_TEMPLATES)
    by_key = {(t["name"], t["language"]): t for t in rows}
    cita = by_key[("recordatorio_cita", "es_MX")]
    assert {"id", "name", "language", "category", "status", "parameter_format", "components",
            "variables", "preview"} <= set(cita)  # fmt: skip
    assert cita["parameter_format"] == "positional"
    assert cita["variables"]["header"]["format"] == "TEXT"
    assert cita["variables"]["header"]["params"] == ["1"]
    assert cita["variables"]["body"] == ["1", "2", "3"]
    assert cita["preview"].startswith("Hola {{1}}, te recordamos tu cita el {{2}}")
    pedido = by_key[("estado_pedido", "es_MX")]
    assert pedido["parameter_format"] == "named"
    assert pedido["variables"]["body"] == ["first_name", "order_id"]
    assert pedido["variables"]["buttons"][0] | {"phone_number": None} == {
        "index": 0, "type": "URL", "text": "Rastrear pedido", "phone_number": None,
        "url": "https://tienda.example.com/rastreo/{{1}}", "params": ["1"],
    }  # fmt: skip
    assert by_key[("promo_imagen", "es_MX")]["variables"]["header"]["format"] == "IMAGE"
    assert by_key[("oferta_pausada", "es_MX")]["sendable"] is False

    approved = await templates(meta, agent, status="APPROVED", language="en_US")
    assert {(t["name"], t["language"]) for t in approved} == {
        ("hello_world", "en_US"), ("estado_pedido", "en_US"),
    }  # fmt: skip
    with db.read() as session:
        number_id = session.scalar(select(Channel.id))
    assert len(await templates(meta, agent, number_id=number_id)) == len(SAMPLE_TEMPLATES)
    missing = await meta.client.get("/api/v1/templates?number_id=999", headers=agent)
    assert missing.status_code == 404

    # A template deleted in WhatsApp Manager leaves the list (and shows with status=DELETED).
    with db.write() as session:
        do_sync_templates(session, WABA_ID, copy.deepcopy(SAMPLE_TEMPLATES[1:]))
    assert len(await templates(meta, agent)) == len(SAMPLE_TEMPLATES) - 1
    assert [t["name"] for t in await templates(meta, agent, status="DELETED")] == ["bienvenida"]


async def test_sync_failure_is_a_clear_502(
    settings: Settings, db: Database, make_user: Callable[..., User]
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        error = {"message": "Invalid OAuth access token", "type": "OAuthException", "code": 190}
        return httpx.Response(401, json={"error": error})

    app = with_template_routes(create_app(settings, graph_transport=httpx.MockTransport(refuse)))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            admin = await bearer(http, make_user(role="admin"))
            response = await http.post("/api/v1/templates/sync", headers=admin)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "template_sync_failed"
    assert "Invalid OAuth access token" in response.json()["error"]["message"]


async def test_start_a_conversation_by_template_reaches_the_customer(
    meta: Meta, make_user: Callable[..., User]
) -> None:
    await synced(meta, make_user)
    agent = make_user()
    auth = await bearer(meta.client, agent)
    [cita] = [t for t in await templates(meta, auth) if t["name"] == "recordatorio_cita"]
    body = {
        "number_id": 1, "wa_id": "+52 (55) 1234-5678", "name": "Ana", "template_id": cita["id"],
        "params": {"header": {"text": "Polanco"},
                   "body": {"1": "Ana", "2": "12 de marzo", "3": "10:00"}},
        "local_id": "start-1",
    }  # fmt: skip
    response = await meta.client.post("/api/v1/conversations", json=body, headers=auth)
    assert response.status_code == 202, response.text
    conversation, message = response.json()["conversation"], response.json()["message"]
    assert conversation["contact"]["wa_id"] == "5215512345678"
    assert conversation["contact"]["name"] == "Ana"
    assert (conversation["status"], conversation["assignee_id"]) == ("assigned", agent.id)
    assert (message["type"], message["status"], message["local_id"]) == (
        "template", "queued", "start-1",
    )  # fmt: skip
    assert message["text"].startswith("Tu cita en Polanco\nHola Ana, te recordamos")
    assert message["summary"].startswith("📋 recordatorio_cita: Hola Ana")

    async def sent() -> Any:
        url = f"/api/v1/conversations/{conversation['id']}/messages"
        [row] = (await meta.client.get(url, headers=auth)).json()["messages"]
        return row if row["wamid"] else None

    row = await eventually(sent)
    assert row["status"] in ("sent", "delivered", "read")
    [on_phone] = meta.sim.messages_for("5215512345678")
    assert on_phone["wamid"] == row["wamid"]
    assert on_phone["text"].startswith("Tu cita en Polanco\nHola Ana, te recordamos")

    # The same POST again (a retry) is the same message, not a second one.
    again = await meta.client.post("/api/v1/conversations", json=body, headers=auth)
    assert again.status_code == 202 and again.json()["message"]["id"] == message["id"]


async def test_bad_values_answer_422_with_a_problem_per_field(
    meta: Meta, make_user: Callable[..., User]
) -> None:
    await synced(meta, make_user)
    auth = await bearer(meta.client, make_user())
    [promo] = [t for t in await templates(meta, auth) if t["name"] == "promo_imagen"]
    body = {
        "number_id": 1, "wa_id": "5215512345678", "template_id": promo["id"],
        "params": {"body": {"2": "x" * 1025}, "buttons": {"0": "DEMASIADO-LARGO-1"}},
    }  # fmt: skip
    response = await meta.client.post("/api/v1/conversations", json=body, headers=auth)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_template"
    assert error["message"] == "Encabezado: Falta el enlace (https://…) o el id del archivo."
    expected = {
        "header": "Falta el enlace (https://…) o el id del archivo",
        "body.1": "Requerido",
        "body.2": "Máximo 1,024 caracteres (tiene 1,025)",
        "buttons.0": "Máximo 15 caracteres (tiene 17)",
    }
    # ``fields`` is in the answer once the error handler passes it on (cdmx/web/errors.py).
    assert error.get("fields", expected) == expected
    assert meta.sim.messages_for("5215512345678") == []


async def test_paused_or_unknown_templates_are_refused(
    meta: Meta, make_user: Callable[..., User]
) -> None:
    await synced(meta, make_user)
    auth = await bearer(meta.client, make_user())
    [paused] = [t for t in await templates(meta, auth) if t["name"] == "oferta_pausada"]
    body = {"number_id": 1, "wa_id": "5215512345678", "template_id": paused["id"],
            "params": {"body": {"1": "Ana"}}}  # fmt: skip
    response = await meta.client.post("/api/v1/conversations", json=body, headers=auth)
    assert (response.status_code, response.json()["error"]["code"]) == (
        409,
        "template_not_approved",
    )
    response = await meta.client.post(
        "/api/v1/conversations", json={**body, "template_id": 9999}, headers=auth
    )
    assert response.status_code == 404
    response = await meta.client.post(
        "/api/v1/conversations", json={**body, "number_id": 9999}, headers=auth
    )
    assert response.status_code == 404


async def test_template_reply_goes_out_when_the_window_has_closed(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User], graph: GraphRecorder
) -> None:
    agent = make_user()
    auth = await bearer(client, agent)
    body, headers = signed(text_message("Hola", name="María"))
    assert (
        await client.post("/webhooks/whatsapp", content=body, headers=headers)
    ).status_code == 200

    def conversation_id() -> int | None:
        with db.read() as session:
            return session.scalar(select(Conversation.id))

    cid = await eventually(conversation_id)
    with db.write() as session:
        do_sync_templates(session, WABA_ID, copy.deepcopy(SAMPLE_TEMPLATES))
        session.execute(
            update(Conversation).values(last_inbound_at=datetime.now(UTC) - timedelta(hours=25))
        )
    free_text = await client.post(
        f"/api/v1/conversations/{cid}/messages", json={"type": "text", "text": "¿Sigues ahí?"},
        headers=auth,
    )  # fmt: skip
    assert free_text.status_code == 409  # the window is closed

    with db.write() as session:
        template = session.scalar(select(Template.id).where(Template.name == "estado_pedido",
                                                            Template.language == "es_MX"))  # fmt: skip
        values = {"body": {"first_name": "María", "order_id": "A-9"}, "buttons": {"0": "A-9"}}
        outgoing = template_message_for(session, cid, template, values)
        user = session.get(User, agent.id)
        assert user is not None
        do_send_message(session, user, cid, outgoing, local_id="tpl-1", template=True)

    await eventually(lambda: graph.requests)
    sent = graph.requests[0]["body"]
    assert sent["type"] == "template"
    assert sent["to"] == "+5215512345678"
    assert sent["template"] == {
        "name": "estado_pedido",
        "language": {"code": "es_MX"},
        "components": [
            {"type": "body", "parameters": [
                {"type": "text", "text": "María", "parameter_name": "first_name"},
                {"type": "text", "text": "A-9", "parameter_name": "order_id"},
            ]},
            {"type": "button", "sub_type": "url", "index": "0",
             "parameters": [{"type": "text", "text": "A-9"}]},
        ],
    }  # fmt: skip
    messages = (await client.get(f"/api/v1/conversations/{cid}/messages", headers=auth)).json()
    mine = messages["messages"][-1]
    assert (mine["type"], mine["local_id"]) == ("template", "tpl-1")
    assert mine["text"].startswith("Hola María, tu pedido A-9 va en camino.")
