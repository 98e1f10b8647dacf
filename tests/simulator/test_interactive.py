"""A customer taps a reply button or a list row on the phone: the app gets Meta's
`button_reply` / `list_reply` webhook, signed, quoting the business message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from cdmx.whatsapp.payload import parse_update
from tests.simulator.test_inbound import AUTH, CUSTOMER, MESSAGES, World

BUTTONS = {
    "type": "button",
    "body": {"text": "¿Confirmas tu pedido?"},
    "action": {
        "buttons": [
            {"type": "reply", "reply": {"id": "si", "title": "Sí"}},
            {"type": "reply", "reply": {"id": "no", "title": "No"}},
        ]
    },
}
LIST = {
    "type": "list",
    "body": {"text": "Elige tu sucursal"},
    "action": {
        "button": "Ver sucursales",
        "sections": [
            {
                "title": "CDMX",
                "rows": [
                    {"id": "roma", "title": "Roma Norte", "description": "Álvaro Obregón 100"},
                    {"id": "coyo", "title": "Coyoacán"},
                ],
            }
        ],
    },
}


@pytest.fixture
async def world() -> AsyncIterator[World]:
    world = World()
    async with world.http, world.app.router.lifespan_context(world.app):
        yield world


async def _business_sends(world: World, interactive: dict[str, Any]) -> str:
    await world.sent(text="hola")  # opens the service window
    payload = {
        "messaging_product": "whatsapp",
        "to": CUSTOMER,
        "type": "interactive",
        "interactive": interactive,
    }
    response = await world.http.post(MESSAGES, json=payload, headers=AUTH)
    assert response.status_code == 200, response.text
    await world.sim.wait_idle()
    return str(response.json()["messages"][0]["id"])


async def test_the_phone_gets_the_interactive_object_to_draw(world: World) -> None:
    wamid = await _business_sends(world, LIST)
    response = await world.http.get("/phone/api/messages", params={"wa_id": CUSTOMER})
    [shown] = [m for m in response.json()["messages"] if m["wamid"] == wamid]
    assert shown["type"] == "interactive"
    assert shown["content"] == {"interactive": LIST}


async def test_a_tapped_reply_button_is_a_button_reply(world: World) -> None:
    wamid = await _business_sends(world, BUTTONS)
    message = await world.sent(
        type="interactive", reply_type="button_reply", reply_id="si", title="Sí", reply_to=wamid
    )
    assert message["type"] == "interactive"
    assert message["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "si", "title": "Sí"},
    }
    assert message["context"] == {"from": world.sim.config.display_phone_number, "id": wamid}
    body, _ = world.bodies[-1]
    [parsed] = parse_update(body).messages
    assert parsed.type == "interactive"
    assert parsed.summary == "↩ Sí"


async def test_a_chosen_list_row_is_a_list_reply(world: World) -> None:
    wamid = await _business_sends(world, LIST)
    message = await world.sent(
        type="interactive",
        reply_type="list_reply",
        reply_id="roma",
        title="Roma Norte",
        description="Álvaro Obregón 100",
        reply_to=wamid,
    )
    assert message["interactive"] == {
        "type": "list_reply",
        "list_reply": {"id": "roma", "title": "Roma Norte", "description": "Álvaro Obregón 100"},
    }
    assert message["context"]["id"] == wamid
    body, _ = world.bodies[-1]
    [parsed] = parse_update(body).messages
    assert parsed.type == "interactive"
    assert parsed.summary == "↩ Roma Norte"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"reply_type": "nfm_reply", "reply_id": "x", "title": "x"}, "invalid_reply_type"),
        ({"reply_id": "", "title": "x"}, "invalid_reply_id"),
        ({"reply_id": "x", "title": " "}, "invalid_title"),
    ],
)
async def test_bad_taps_are_refused(world: World, fields: dict[str, Any], code: str) -> None:
    wamid = await _business_sends(world, BUTTONS)
    response = await world.send(type="interactive", reply_to=wamid, **fields)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


async def test_a_tap_must_answer_a_message_of_the_chat(world: World) -> None:
    response = await world.send(type="interactive", reply_id="si", title="Sí")
    assert response.json()["error"]["code"] == "invalid_reply_to"
    response = await world.send(
        type="interactive", reply_id="si", title="Sí", reply_to="wamid.nope"
    )
    assert response.json()["error"]["code"] == "invalid_reply_to"


async def test_a_template_s_quick_replies_can_be_tapped_with_the_payload_sent(
    world: World,
) -> None:
    payload = {
        "messaging_product": "whatsapp", "to": CUSTOMER, "type": "template",
        "template": {
            "name": "encuesta_csat", "language": {"code": "es_MX"},
            "components": [{
                "type": "button", "sub_type": "quick_reply", "index": "0",
                "parameters": [{"type": "payload", "payload": "csat:7:5"}],
            }],
        },
    }  # fmt: skip
    response = await world.http.post(MESSAGES, json=payload, headers=AUTH)
    assert response.status_code == 200, response.text
    await world.sim.wait_idle()
    wamid = str(response.json()["messages"][0]["id"])
    shown = await world.http.get("/phone/api/messages", params={"wa_id": CUSTOMER})
    [template] = [m for m in shown.json()["messages"] if m["wamid"] == wamid]
    # The payload sent with a button, else (as Meta does) the button's text.
    assert template["content"] == {"template": {"quick_replies": [
        {"index": "0", "text": "5 Excelente", "payload": "csat:7:5"},
        {"index": "1", "text": "3 Regular", "payload": "3 Regular"},
        {"index": "2", "text": "1 Mala", "payload": "1 Mala"},
    ]}}  # fmt: skip
    message = await world.sent(type="button", payload="csat:7:5", text="5 Excelente",
                               reply_to=wamid)  # fmt: skip
    assert message["type"] == "button"
    assert message["button"] == {"payload": "csat:7:5", "text": "5 Excelente"}
    assert message["context"]["id"] == wamid
    refused = await world.send(type="button", text="5 Excelente")
    assert refused.json()["error"]["code"] == "invalid_reply_to"
