"""Every type the customer phone can send leaves as a signed webhook in Meta's shape, and
the app's own parser reads back what was sent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cdmx.simulator import SimulatorConfig, create_simulator_app
from cdmx.simulator.state import Simulator
from cdmx.simulator.webhooks import sign
from cdmx.whatsapp.content import message_content, message_context
from cdmx.whatsapp.payload import parse_update

SECRET = "phone-secret"
CUSTOMER = "5215512345678"
AUTH = {"Authorization": "Bearer sim-token"}
MESSAGES = "/v25.0/100000000000001/messages"


class World:
    def __init__(self) -> None:
        self.bodies: list[tuple[bytes, str]] = []

        def receive(request: httpx.Request) -> httpx.Response:
            self.bodies.append((request.content, request.headers["x-hub-signature-256"]))
            return httpx.Response(200)

        config = SimulatorConfig(app_secret=SECRET, webhook_url="http://app/webhooks/whatsapp")
        self.app = create_simulator_app(config, webhook_transport=httpx.MockTransport(receive))
        self.sim: Simulator = self.app.state.simulator
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(self.app), base_url="http://sim"
        )

    async def send(self, **fields: Any) -> httpx.Response:
        return await self.http.post("/phone/api/send", json={"wa_id": CUSTOMER, **fields})

    async def sent(self, **fields: Any) -> dict[str, Any]:
        """Send through the phone API; the one message item of the webhook that went out."""
        before = len(self.bodies)
        response = await self.send(**fields)
        assert response.status_code == 200, response.text
        await self.sim.wait_idle()
        [(body, signature)] = self.bodies[before:]
        assert signature == sign(SECRET, body)
        assert body.isascii()
        [message] = json.loads(body)["entry"][0]["changes"][0]["value"]["messages"]
        assert message["id"] == response.json()["wamid"]
        assert message["from"] == CUSTOMER
        [parsed] = parse_update(body).messages
        assert parsed.wamid == message["id"] and parsed.type == message["type"]
        return message

    async def business_says(self, text: str) -> str:
        payload = {"messaging_product": "whatsapp", "to": CUSTOMER, "text": {"body": text}}
        response = await self.http.post(MESSAGES, json=payload, headers=AUTH)
        await self.sim.wait_idle()
        return str(response.json()["messages"][0]["id"])


@pytest.fixture
async def world() -> AsyncIterator[World]:
    world = World()
    async with world.http, world.app.router.lifespan_context(world.app):
        yield world


async def test_text_without_a_type_keeps_the_old_shape(world: World) -> None:
    message = await world.sent(text="hola")
    assert message["type"] == "text" and message["text"] == {"body": "hola"}
    assert "context" not in message


async def test_location_defaults_to_the_zocalo_and_keeps_numbers(world: World) -> None:
    message = await world.sent(type="location")
    assert message["type"] == "location"
    assert message["location"] == {
        "latitude": 19.432608, "longitude": -99.133209, "name": "Zócalo",
        "address": "Plaza de la Constitución S/N, Centro, 06000 Ciudad de México, CDMX",
    }  # fmt: skip
    pin = await world.sent(type="location", latitude="20.6597", longitude=-103.3496)
    assert pin["location"] == {"latitude": 20.6597, "longitude": -103.3496}
    assert message_content("location", pin)["map_url"].startswith("https://www.openstreetmap")


async def test_contact_card_has_name_phone_with_wa_id_and_email(world: World) -> None:
    message = await world.sent(
        type="contacts", contact_name="Laura Martínez", contact_phone="+52 55 9876 5432",
        contact_email="laura@example.mx",
    )  # fmt: skip
    assert message["contacts"] == [
        {
            "name": {"formatted_name": "Laura Martínez", "first_name": "Laura", "last_name": "Martínez"},
            "phones": [{"phone": "+52 55 9876 5432", "wa_id": "525598765432", "type": "CELL"}],
            "emails": [{"email": "laura@example.mx", "type": "WORK"}],
        }
    ]  # fmt: skip
    [card] = message_content("contacts", message)["contacts"]
    assert card["name"] == "Laura Martínez"


async def test_reaction_to_a_business_message_and_its_removal(world: World) -> None:
    await world.sent(text="hola")
    reply = await world.business_says("¿En qué te ayudo?")
    reaction = await world.sent(type="reaction", message_id=reply, emoji="👍")
    assert reaction["reaction"] == {"message_id": reply, "emoji": "👍"}
    removal = await world.sent(type="reaction", message_id=reply, emoji="")
    assert removal["reaction"] == {"message_id": reply, "emoji": ""}
    assert message_content("reaction", removal) == {"message_id": reply, "emoji": None}


async def test_reply_quotes_the_message_in_context(world: World) -> None:
    await world.sent(text="hola")
    reply = await world.business_says("¿Qué talla?")
    message = await world.sent(text="Mediana", reply_to=reply)
    assert message["context"] == {"from": "525550000000", "id": reply}
    assert message_context(message) == {
        "reply_to": reply, "forwarded": False, "frequently_forwarded": False,
        "referred_product": None,
    }  # fmt: skip
    shown = world.sim.phone_messages(CUSTOMER)[-1]
    assert shown["context_id"] == reply


async def test_unsupported_message_carries_131051_and_the_type(world: World) -> None:
    message = await world.sent(type="unsupported", unsupported_type="poll_creation")
    assert message["type"] == "unsupported"
    assert message["unsupported"] == {"type": "poll_creation"}
    [error] = message["errors"]
    assert error["code"] == 131051
    assert error["title"] == "Message type unknown"
    assert error["error_data"] == {"details": "Message type is currently not supported."}
    assert message_content("unsupported", message) == {
        "reported_type": "poll_creation", "error_title": "Message type unknown",
    }  # fmt: skip


async def test_order_with_the_sample_items_or_one_item(world: World) -> None:
    message = await world.sent(type="order")
    order = message["order"]
    assert order["catalog_id"]
    assert [(i["product_retailer_id"], i["quantity"]) for i in order["product_items"]] == [
        ("TACO-PASTOR", 3),
        ("AGUA-HORCHATA", 1),
    ]
    content = message_content("order", message)
    assert (content["total"], content["currency"]) == (110.5, "MXN")
    one = await world.sent(
        type="order",
        text="Sin cebolla",
        items=[{"product_retailer_id": "X", "quantity": 2, "item_price": 10, "currency": "mxn"}],
    )
    assert one["order"]["product_items"] == [
        {"product_retailer_id": "X", "quantity": 2, "item_price": 10, "currency": "MXN"}
    ]
    assert one["order"]["text"] == "Sin cebolla"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "poll"}, "invalid_type"),
        ({"type": "location", "latitude": 91}, "invalid_location"),
        ({"type": "location", "longitude": "west"}, "invalid_location"),
        ({"type": "contacts", "contact_name": "Ana"}, "invalid_contact"),
        ({"type": "contacts", "contact_name": "Ana", "contact_phone": "12"}, "invalid_contact"),
        ({"type": "reaction", "emoji": "👍"}, "invalid_message_id"),
        ({"type": "reaction", "message_id": "wamid.nope", "emoji": "👍"}, "invalid_message_id"),
        ({"type": "order", "items": []}, "invalid_items"),
        ({"type": "order", "items": [{"product_retailer_id": "X", "quantity": 0, "item_price": 1}]}, "invalid_items"),
        ({"text": "hola", "reply_to": "wamid.nope"}, "invalid_reply_to"),
    ],
)  # fmt: skip
async def test_send_api_refuses_bad_fields(world: World, body: dict[str, Any], code: str) -> None:
    response = await world.send(**body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    await world.sim.wait_idle()
    assert world.bodies == []


async def test_phone_page_has_the_send_menus_and_its_modules_render_text_safely(
    world: World,
) -> None:
    html = (await world.http.get("/phone")).text
    for hook in ('id="attach"', 'id="attach-menu"', 'id="sheet"', 'id="sheet-send"',
                 'id="bubble-menu"', 'data-action="reply"', 'data-action="unreact"',
                 'id="reply-bar"', 'data-kind="location"', 'data-kind="contacts"',
                 'data-kind="order"', 'data-kind="unsupported"'):  # fmt: skip
        assert hook in html, hook
    for name in ("phone-actions.js", "phone-content.js"):
        script = await world.http.get(f"/phone/static/{name}")
        assert script.status_code == 200
        assert "innerHTML" not in script.text and "insertAdjacentHTML" not in script.text
        assert "http://" not in script.text and "https://" not in script.text
