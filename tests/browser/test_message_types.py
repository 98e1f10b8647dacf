"""Every inbound message type, as the agent sees it: a customer on the phone page sends a
location, a contact card, a reply, a reaction (and takes it back), an unsupported message
and an order; the types the phone cannot send arrive as signed Meta webhooks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_poc import login
from tests.conftest import signed
from tests.factories import envelope

pytestmark = pytest.mark.browser
CUSTOMER = "5215512345678"


def _pages(browser: Any) -> tuple[Any, Any, list[str]]:
    agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    phone = browser.new_context(viewport={"width": 420, "height": 900}).new_page()
    errors: list[str] = []
    for page in (agent, phone):
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    return agent, phone, errors


def _phone_attach(phone: Any, kind: str) -> None:
    phone.click("#attach")
    phone.click(f'#attach-menu [data-kind="{kind}"]')
    phone.click("#sheet-send")


def _tap_bubble(phone: Any, text: str, action: str) -> None:
    phone.locator(".bubble.out", has_text=text).click()
    phone.click(f"#bubble-menu {action}")


def test_the_customer_sends_every_phone_type_and_the_agent_sees_each(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    agent_page, phone, errors = _pages(browser)
    login(agent_page, stack.app_url, make_user(name="Ana López"))
    phone.goto(stack.phone_url)
    phone.fill("#wa-id", CUSTOMER)
    phone.fill("#name", "María")

    phone.fill("#composer", "Hola, quiero hacer un pedido")
    phone.click("#send")
    agent_page.locator(".conversation-item").first.click()
    question = "¿Qué te gustaría pedir? Menú: https://example.mx/menu."
    agent_page.fill("#composer", question)
    agent_page.keyboard.press("Enter")
    expect(phone.locator(".bubble.out")).to_have_count(1, timeout=5000)
    agent_bubble = agent_page.locator(".message.outbound").first
    expect(agent_bubble).to_have_attribute(
        "data-wamid", phone.locator(".bubble.out").get_attribute("data-wamid")
    )
    # The agent's own link is a safe link that opens in a new tab.
    link = agent_bubble.locator("a.message-link")
    expect(link).to_have_attribute("href", "https://example.mx/menu")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_attribute("target", "_blank")

    # A location: name, address, coordinates and a map link the agent can open.
    _phone_attach(phone, "location")
    location = agent_page.locator('.message.inbound[data-type="location"]')
    expect(location.locator(".card-title")).to_have_text("📍 Zócalo", timeout=5000)
    expect(location).to_contain_text("Plaza de la Constitución S/N")
    expect(location.locator(".location-coords")).to_have_text("19.432608, -99.133209")
    expect(location.locator("a.card-action")).to_have_text("Abrir mapa")
    href = location.locator("a.card-action").get_attribute("href") or ""
    assert href.startswith("https://www.openstreetmap.org/?mlat=19.432608&mlon=-99.133209")

    # A contact card: name, phone and e-mail.
    _phone_attach(phone, "contacts")
    card = agent_page.locator('.message.inbound[data-type="contacts"] .contact-card')
    expect(card.locator(".card-title")).to_have_text("👤 Laura Martínez", timeout=5000)
    expect(card.locator(".contact-phone")).to_contain_text("+52 55 9876 5432")
    expect(card.locator(".contact-email")).to_have_text("laura@example.mx")

    # A reply quoting the agent's message: the quote shows the original, and leads to it.
    _tap_bubble(phone, "¿Qué te gustaría pedir?", '[data-action="reply"]')
    expect(phone.locator("#reply-bar")).to_be_visible()
    phone.fill("#composer", "Unos tacos, por favor")
    phone.click("#send")
    reply = agent_page.locator(".message.inbound", has_text="Unos tacos, por favor")
    expect(reply.locator(".quote .quote-text")).to_have_text(question, timeout=5000)
    expect(reply.locator(".quote .quote-author")).to_have_text("Ana López")
    reply.locator(".quote").click()
    expect(agent_bubble).to_have_class("message outbound flash")

    # A reaction lands on the agent's bubble, not as a bubble of its own; removing it clears it.
    _tap_bubble(phone, "¿Qué te gustaría pedir?", '[data-emoji="👍"]')
    expect(agent_bubble.locator(".reaction")).to_have_text("👍", timeout=5000)
    _tap_bubble(phone, "¿Qué te gustaría pedir?", '[data-emoji="❤️"]')
    expect(agent_bubble.locator(".reaction")).to_have_text("❤️", timeout=5000)
    assert agent_page.locator('.message[data-type="reaction"]').count() == 0
    screenshot(agent_page, "1-agent-location-contact-reply-reaction")
    screenshot(phone, "1-phone")
    _tap_bubble(phone, "¿Qué te gustaría pedir?", '[data-action="unreact"]')
    expect(agent_bubble.locator(".reaction")).to_have_count(0, timeout=5000)

    # An unsupported message names what it was and Meta's title.
    _phone_attach(phone, "unsupported")
    expect(agent_page.locator('.message.inbound[data-type="unsupported"]')).to_contain_text(
        "Mensaje no compatible: poll_creation — Message type unknown", timeout=5000
    )

    # An order: each item with quantity × price, and the total in pesos.
    _phone_attach(phone, "order")
    order = agent_page.locator('.message.inbound[data-type="order"] .order-card')
    expect(order.locator(".order-item")).to_have_count(2, timeout=5000)
    expect(order.locator(".order-item").first).to_contain_text("3 × TACO-PASTOR")
    expect(order.locator(".order-item").first).to_contain_text("$25.00")
    expect(order.locator(".order-total")).to_have_text("Total: $110.50")
    screenshot(agent_page, "2-agent-unsupported-order")
    screenshot(phone, "2-phone")

    assert errors == []

    # After a reload (which aborts the event stream) the thread is drawn the same way.
    agent_page.reload()
    expect(agent_page.locator('.message.inbound[data-type="order"]')).to_be_visible(timeout=5000)
    expect(agent_page.locator(".message.outbound .reaction")).to_have_count(0)
    expect(agent_page.locator(".message.inbound .quote")).to_have_count(1)


def _message(kind: str, wamid: str, fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "from": CUSTOMER, "id": wamid, "timestamp": str(int(time.time())), "type": kind,
        **fields, **extra,
    }  # fmt: skip


def _post(stack: Stack, *messages: dict[str, Any]) -> None:
    for message in messages:
        payload = envelope(
            {"contacts": [{"profile": {"name": "María"}, "wa_id": CUSTOMER}], "messages": [message]}
        )
        body, headers = signed(payload)
        response = httpx.post(f"{stack.app_url}/webhooks/whatsapp", content=body, headers=headers)
        assert response.status_code == 200


def test_the_types_only_meta_sends_render_as_a_person_expects(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    agent_page, _, errors = _pages(browser)
    login(agent_page, stack.app_url, make_user(name="Ana López"))
    referral = {
        "source_url": "https://fb.me/anuncio-tacos", "source_id": "120000000000001",
        "source_type": "ad", "headline": "2×1 en tacos al pastor", "body": "Solo este martes",
        "media_type": "image", "image_url": "https://example.mx/ad.jpg", "ctwa_clid": "ARAkLk",
    }  # fmt: skip
    _post(
        stack,
        _message(
            "text",
            "wamid.T1",
            {"text": {"body": "Vi su anuncio <b>hoy</b> javascript:alert(1)"}},
            referral=referral,
        ),
    )
    agent_page.locator(".conversation-item").first.click()
    panel = agent_page.locator("#referral-panel")
    expect(panel).to_contain_text("Llegó desde un anuncio", timeout=5000)
    expect(panel.locator(".referral-headline")).to_have_text("2×1 en tacos al pastor")
    expect(panel.locator("a.referral-link")).to_have_attribute(
        "href", "https://fb.me/anuncio-tacos"
    )
    first = agent_page.locator('.message[data-wamid="wamid.T1"]')
    expect(first.locator(".message-text")).to_have_text(
        "Vi su anuncio <b>hoy</b> javascript:alert(1)"
    )
    assert first.locator("a, b").count() == 0

    _post(
        stack,
        _message("image", "wamid.M1", {"image": {"id": "1", "mime_type": "image/jpeg", "caption": "Mi ticket"}}),
        _message("document", "wamid.M2", {"document": {"id": "2", "mime_type": "application/pdf", "filename": "factura.pdf"}}),
        _message("audio", "wamid.M3", {"audio": {"id": "3", "mime_type": "audio/ogg; codecs=opus", "voice": True}}),
        _message("sticker", "wamid.M4", {"sticker": {"id": "4", "mime_type": "image/webp", "animated": False}}),
        _message("interactive", "wamid.I1", {"interactive": {"type": "list_reply", "list_reply": {"id": "suc-3", "title": "Sucursal Roma", "description": "Álvaro Obregón 120"}}}),
        _message("interactive", "wamid.I2", {"interactive": {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{\"fecha\": \"2026-03-02\", \"personas\": 4, \"flow_token\": \"x\"}"}}}),
        _message("button", "wamid.B1", {"button": {"payload": "CONFIRMAR", "text": "Confirmar cita"}}),
        _message("text", "wamid.F1", {"text": {"body": "Mira esto"}}, context={"forwarded": True}),
        _message("text", "wamid.F2", {"text": {"body": "Cadena"}}, context={"frequently_forwarded": True}),
        _message("text", "wamid.Q1", {"text": {"body": "¿Y esto?"}}, context={"from": "525550000000", "id": "wamid.NOT-LOADED"}),
        _message("edit", "wamid.E1", {"edit": {"original_message_id": "wamid.F1", "message": {"type": "text", "text": {"body": "Mira esto, corregido"}}}}),
        _message("revoke", "wamid.R1", {"revoke": {"original_message_id": "wamid.F2"}}),
        _message("system", "wamid.S1", {"system": {"body": "User María changed from 5215512345678 to 5215598765432", "type": "user_changed_number", "wa_id": "5215598765432"}}),
    )  # fmt: skip

    def bubble(wamid: str) -> Any:
        return agent_page.locator(f'.message[data-wamid="{wamid}"]')

    expect(agent_page.locator(".system-notice")).to_have_text(
        "El cliente cambió su número a +5215598765432", timeout=8000
    )
    expect(bubble("wamid.M1").locator(".media-placeholder")).to_contain_text("Foto")
    expect(bubble("wamid.M1").locator(".message-text")).to_have_text("Mi ticket")
    expect(bubble("wamid.M2").locator(".media-filename")).to_have_text("factura.pdf")
    expect(bubble("wamid.M3")).to_contain_text("Nota de voz")
    expect(bubble("wamid.M4")).to_contain_text("Sticker")
    expect(bubble("wamid.I1").locator(".message-choice")).to_have_text("Eligió: Sucursal Roma")
    expect(bubble("wamid.I1")).to_contain_text("Álvaro Obregón 120")
    expect(bubble("wamid.I2").locator(".flow-fields")).to_contain_text("personas")
    assert "flow_token" not in bubble("wamid.I2").inner_text()
    expect(bubble("wamid.B1")).to_contain_text("Tocó el botón: Confirmar cita")
    expect(bubble("wamid.F1").locator(".forwarded")).to_have_text("↪ Reenviado")
    expect(bubble("wamid.F1").locator(".message-text")).to_have_text("Mira esto, corregido")
    expect(bubble("wamid.F1").locator(".edited")).to_have_text("editado")
    expect(bubble("wamid.F2").locator(".message-text")).to_have_text(
        "🚫 El cliente eliminó este mensaje"
    )
    expect(bubble("wamid.Q1").locator(".quote")).to_have_text("Mensaje original no disponible")
    assert (
        agent_page.locator('.message[data-type="edit"], .message[data-type="revoke"]').count() == 0
    )
    screenshot(agent_page, "meta-only-types")
    assert errors == []
