"""The simulator's templates: listed a page at a time, and sends checked as Meta checks them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cdmx.simulator.templates import SAMPLE_TEMPLATES
from cdmx.whatsapp.errors import AuthFailed, Permanent
from cdmx.whatsapp.graph import GraphClient
from tests.simulator.test_graph import AUTH, CONFIG, MESSAGES, World

TEMPLATES = "/v25.0/200000000000001/message_templates"
CUSTOMER = "5215512345678"


async def send(world: World, template: dict[str, Any]) -> httpx.Response:
    payload = {"messaging_product": "whatsapp", "to": CUSTOMER, "type": "template"}
    return await world.graph.post(MESSAGES, json={**payload, "template": template}, headers=AUTH)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    running = World(CONFIG)
    await running.sim.start()
    yield running
    await running.graph.aclose()
    await running.sim.stop()


def error_of(response: httpx.Response) -> tuple[int, str, str | None]:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    return error["code"], error["message"], (error.get("error_data") or {}).get("details")


async def test_catalog_has_the_shapes_a_picker_meets(world: World) -> None:
    response = await world.graph.get(TEMPLATES, params={"limit": 100}, headers=AUTH)
    data = response.json()["data"]
    assert {t["parameter_format"] for t in data} == {"POSITIONAL", "NAMED"}
    assert {t["language"] for t in data} == {"es_MX", "en_US"}
    assert "PAUSED" in {t["status"] for t in data}
    kinds = {
        (c["type"], c.get("format")) for t in data for c in t["components"] if c["type"] == "HEADER"
    }
    assert {("HEADER", "TEXT"), ("HEADER", "IMAGE"), ("HEADER", "DOCUMENT")} <= kinds
    buttons = {b["type"] for t in data for c in t["components"] for b in c.get("buttons", [])}
    assert {"QUICK_REPLY", "URL", "COPY_CODE", "PHONE_NUMBER"} <= buttons
    assert "next" not in response.json()["paging"]


async def test_listing_pages_with_limit_and_after(world: World) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    pages = 0
    while True:
        body = (await world.graph.get(TEMPLATES, params=params, headers=AUTH)).json()
        pages += 1
        assert len(body["data"]) <= 3
        seen += [f"{t['name']}/{t['language']}" for t in body["data"]]
        if "next" not in body["paging"]:
            break
        assert "after=" in body["paging"]["next"]
        params = {"limit": 3, "after": body["paging"]["cursors"]["after"]}
    assert pages == -(-len(SAMPLE_TEMPLATES) // 3)
    assert seen == [f"{t['name']}/{t['language']}" for t in SAMPLE_TEMPLATES]


async def test_bad_paging_parameters_get_error_100(world: World) -> None:
    for params in ({"limit": "x"}, {"limit": 0}, {"after": "%%%"}):
        response = await world.graph.get(TEMPLATES, params=params, headers=AUTH)
        assert response.json()["error"]["code"] == 100, params


async def test_graph_client_follows_every_page(world: World) -> None:
    client = GraphClient("http://graph", "v25.0", transport=httpx.ASGITransport(world.app))
    try:
        page, after = await client.list_templates("200000000000001", "sim-token")
        assert after is None and len(page) == len(SAMPLE_TEMPLATES)  # one page of 100
        templates = await client.all_templates("200000000000001", "sim-token")
        assert [t["id"] for t in templates] == [t["id"] for t in SAMPLE_TEMPLATES]
        with pytest.raises(AuthFailed):
            await client.all_templates("200000000000001", "wrong")
        with pytest.raises(Permanent):
            await client.all_templates("999", "sim-token")
    finally:
        await client.aclose()


async def test_graph_client_pages_with_small_pages(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cdmx.whatsapp.graph.TEMPLATE_PAGE_SIZE", 2)
    client = GraphClient("http://graph", "v25.0", transport=httpx.ASGITransport(world.app))
    try:
        templates = await client.all_templates("200000000000001", "sim-token")
    finally:
        await client.aclose()
    assert len(templates) == len(SAMPLE_TEMPLATES)
    assert len({t["id"] for t in templates}) == len(SAMPLE_TEMPLATES)


async def test_name_in_another_language_gets_132001(world: World) -> None:
    response = await send(world, {"name": "bienvenida", "language": {"code": "en_US"}})
    code, message, details = error_of(response)
    assert code == 132001
    assert (
        "does not exist" in message
        and details == "template name (bienvenida) does not exist in en_US"
    )
    response = await send(world, {"name": "bienvenida", "language": {"code": "es"}})
    assert error_of(response)[0] == 132001  # the exact locale, not a prefix of it


async def test_wrong_parameter_count_gets_132000(world: World) -> None:
    template = {
        "name": "bienvenida", "language": {"code": "es_MX"},
        "components": [{"type": "body", "parameters": [
            {"type": "text", "text": "Ana"}, {"type": "text", "text": "sobra"},
        ]}],
    }  # fmt: skip
    code, _, details = error_of(await send(world, template))
    assert code == 132000 and details is not None and details.startswith("body:")
    template["components"] = []
    assert error_of(await send(world, template))[0] == 132000


async def test_named_template_without_parameter_name_gets_error_100(world: World) -> None:
    template = {
        "name": "estado_pedido", "language": {"code": "es_MX"},
        "components": [
            {"type": "body", "parameters": [
                {"type": "text", "text": "Ana"}, {"type": "text", "text": "A-1"},
            ]},
            {"type": "button", "sub_type": "url", "index": "0",
             "parameters": [{"type": "text", "text": "A-1"}]},
        ],
    }  # fmt: skip
    code, message, details = error_of(await send(world, template))
    assert (code, message, details) == (
        100,
        "(#100) Invalid parameter",
        "Parameter name is missing or empty",
    )
    for parameter, name in zip(
        template["components"][0]["parameters"], ("first_name", "order_id"), strict=True
    ):
        parameter["parameter_name"] = name
    response = await send(world, template)
    assert response.status_code == 200, response.text
    [message_sent] = world.sim.messages_for(CUSTOMER)
    assert message_sent["text"] == (
        "Hola Ana, tu pedido A-1 va en camino.\n"
        "[Rastrear pedido: https://tienda.example.com/rastreo/A-1]\n[Llamar]"
    )


async def test_url_button_without_its_suffix_gets_132000(world: World) -> None:
    template = {
        "name": "estado_pedido", "language": {"code": "en_US"},
        "components": [{"type": "body", "parameters": [
            {"type": "text", "text": "Ann", "parameter_name": "first_name"},
            {"type": "text", "text": "7", "parameter_name": "order_id"},
        ]}],
    }  # fmt: skip
    assert error_of(await send(world, template))[0] == 132000


async def test_paused_template_gets_132015(world: World) -> None:
    template = {
        "name": "oferta_pausada", "language": {"code": "es_MX"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}],
    }  # fmt: skip
    assert error_of(await send(world, template))[0] == 132015


async def test_media_header_needs_its_media(world: World) -> None:
    body = {"type": "body", "parameters": [{"type": "text", "text": "F-1"}]}
    template: dict[str, Any] = {
        "name": "factura", "language": {"code": "es_MX"}, "components": [body],
    }  # fmt: skip
    code, _, details = error_of(await send(world, template))
    assert (
        code == 132012 and details == "header: Format mismatch, expected DOCUMENT, received UNKNOWN"
    )
    header = {
        "type": "header",
        "parameters": [
            {"type": "document", "document": {"link": "https://x/f.pdf", "filename": "F-1.pdf"}}
        ],
    }
    template["components"] = [header, body]
    response = await send(world, template)
    assert response.status_code == 200, response.text
    [message] = world.sim.messages_for(CUSTOMER)
    assert message["text"].startswith("[Document: F-1.pdf]\nAdjuntamos tu factura F-1.")


async def test_template_reaches_a_customer_outside_the_window(world: World) -> None:
    template = {
        "name": "recordatorio_cita", "language": {"code": "es_MX"},
        "components": [
            {"type": "header", "parameters": [{"type": "text", "text": "Roma"}]},
            {"type": "body", "parameters": [
                {"type": "text", "text": "Ana"}, {"type": "text", "text": "lunes"},
                {"type": "text", "text": "9:00"},
            ]},
        ],
    }  # fmt: skip
    response = await send(world, template)
    assert response.status_code == 200, response.text
    await world.sim.wait_idle()
    [message] = world.sim.messages_for(CUSTOMER)
    assert message["status"] == "delivered"
    assert message["text"].startswith("Tu cita en Roma\nHola Ana")
    assert message["text"].endswith("[Confirmar]\n[Cambiar cita]")
