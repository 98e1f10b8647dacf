"""The agent's composer in real Chromium: replying to a quoted message, reacting and taking
the reaction back, the "+" menu's forms (buttons checked against Meta's limits, a location),
the 24-hour window lock, and — once their backends land — templates and attachments."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, User
from tests.browser.conftest import Stack
from tests.browser.test_poc import agent_and_phone

pytestmark = pytest.mark.browser


def _start(browser: Any, stack: Stack, agent: User, text: str) -> tuple[Any, Any, list[str]]:
    """A customer writes; the agent (logged in) opens the conversation."""
    from playwright.sync_api import expect

    page, phone, errors = agent_and_phone(browser, stack, agent, height=900)
    phone.fill("#composer", text)
    phone.click("#send")
    item = page.locator(".conversation-item").first
    expect(item).to_contain_text("María", timeout=5000)
    item.click()
    expect(page.locator(".message.inbound .message-text").first).to_have_text(text, timeout=5000)
    expect(page.locator("#composer")).to_be_enabled()
    return page, phone, errors


def _sent(stack: Stack, kind: str) -> list[dict[str, Any]]:
    return [r.body for r in stack.simulator.sent_requests if r.body.get("type") == kind]


def _wait_for(page: Any, check: Callable[[], bool], timeout_ms: int = 5000) -> None:
    for _ in range(timeout_ms // 100):
        if check():
            return
        page.wait_for_timeout(100)
    assert check()


def _action(page: Any, bubble: Any, action: str) -> None:
    bubble.hover()
    bubble.locator(f'.message-action[data-action="{action}"]').click()


def test_the_agent_replies_quoting_a_message_and_reacts_then_unreacts(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    page, _, errors = _start(
        browser, stack, make_user(name="Ana López"), "¿Tienen tortas de pierna?"
    )
    inbound = page.locator(".message.inbound").first
    wamid = inbound.get_attribute("data-wamid")

    _action(page, inbound, "reply")
    expect(page.locator("#reply-bar")).to_be_visible()
    expect(page.locator("#reply-text")).to_have_text("¿Tienen tortas de pierna?")
    expect(page.locator("#reply-author")).to_have_text("María")
    screenshot(page, "1-quoting")
    page.fill("#composer", "Sí, de pierna y de milanesa")
    page.keyboard.press("Enter")
    expect(page.locator("#reply-bar")).to_be_hidden()
    reply = page.locator(".message.outbound", has_text="Sí, de pierna y de milanesa")
    expect(reply.locator(".quote .quote-text")).to_have_text("¿Tienen tortas de pierna?")
    expect(reply).to_have_attribute("data-status", "read", timeout=8000)
    _wait_for(page, lambda: bool(_sent(stack, "text")))
    assert _sent(stack, "text")[-1]["context"] == {"message_id": wamid}

    _action(page, inbound, "react")
    page.click('#reaction-picker [data-emoji="❤️"]')
    expect(inbound.locator('.reaction[data-from="outbound"]')).to_have_text("❤️", timeout=5000)
    # The bubble shows it at once; the outbox sends it a moment later.
    _wait_for(page, lambda: bool(_sent(stack, "reaction")))
    assert _sent(stack, "reaction")[-1]["reaction"] == {"message_id": wamid, "emoji": "❤️"}
    screenshot(page, "2-reacted")
    _action(page, inbound, "react")
    expect(page.locator('#reaction-picker [data-emoji="❤️"]')).to_have_class(
        "reaction-choice selected"
    )
    page.click('#reaction-picker [data-action="unreact"]')
    expect(inbound.locator(".reaction")).to_have_count(0, timeout=5000)
    _wait_for(page, lambda: len(_sent(stack, "reaction")) >= 2)
    assert _sent(stack, "reaction")[-1]["reaction"] == {"message_id": wamid, "emoji": ""}
    assert page.locator('.message[data-type="reaction"]').count() == 0
    assert errors == []


def test_buttons_are_checked_before_sending_and_a_location_is_sent(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    page, _, errors = _start(browser, stack, make_user(name="Ana López"), "¿Qué sucursal me queda?")
    outbound = page.locator(".message.outbound")

    page.click("#composer-plus")
    page.click('#composer-menu [data-kind="buttons"]')
    dialog = page.locator("#form-dialog")
    expect(dialog).to_be_visible()
    page.fill('[data-field="body"]', "¿Quieres recoger o que te lo llevemos?")
    title = page.locator('[data-field="buttons.0.title"]')
    title.fill("Recoger en la sucursal Roma")  # 27 characters: Meta allows 20
    page.fill('[data-field="buttons.1.title"]', "Envío a domicilio")
    expect(dialog.locator(".counter.over")).to_have_text("27/20")
    page.click("#dialog-submit")
    error = dialog.locator(".field.invalid .field-error")
    expect(error).to_have_text("Máximo 20 caracteres")
    expect(title).to_be_focused()
    screenshot(page, "1-button-title-too-long")
    page.wait_for_timeout(300)
    assert outbound.count() == 0
    assert _sent(stack, "interactive") == []

    title.fill("Recoger")
    expect(error).to_have_count(0)
    page.click("#dialog-submit")
    expect(dialog).to_be_hidden()
    bubble = page.locator('.message.outbound[data-type="interactive"]')
    expect(bubble.locator(".sent-option")).to_have_text(["Recoger", "Envío a domicilio"])
    _wait_for(page, lambda: bool(_sent(stack, "interactive")))
    buttons = _sent(stack, "interactive")[0]["interactive"]["action"]["buttons"]
    assert [b["reply"]["title"] for b in buttons] == ["Recoger", "Envío a domicilio"]

    page.click("#composer-plus")
    page.click('#composer-menu [data-kind="location"]')
    page.fill('[data-field="latitude"]', "19.4326")
    page.fill('[data-field="longitude"]', "-199")
    page.fill('[data-field="name"]', "Zócalo")
    page.click("#dialog-submit")
    expect(dialog.locator(".field.invalid .field-error")).to_have_text("Un número entre -180 y 180")
    page.fill('[data-field="longitude"]', "-99.1332")
    page.click("#dialog-submit")
    location = page.locator('.message.outbound[data-type="location"]')
    expect(location.locator(".card-title")).to_have_text("📍 Zócalo", timeout=5000)
    _wait_for(page, lambda: bool(_sent(stack, "location")))
    assert _sent(stack, "location")[0]["location"]["longitude"] == -99.1332

    # A file WhatsApp would refuse is refused here, before any upload.
    page.set_input_files(
        "#file-input",
        files=[
            {"name": "grande.png", "mimeType": "image/png", "buffer": b"\0" * (5 * 1024 * 1024 + 1)}
        ],
    )
    expect(page.locator("#toast")).to_contain_text("grande.png es demasiado grande")
    expect(dialog).to_be_hidden()
    screenshot(page, "2-buttons-and-location-sent")
    assert errors == []


def test_a_closed_window_locks_free_text_and_offers_templates(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    page, _, errors = _start(browser, stack, make_user(name="Ana López"), "Hola")
    with db.write() as session:
        session.execute(
            update(Conversation).values(last_inbound_at=datetime.now(UTC) - timedelta(hours=25))
        )
    page.reload()
    expect(page.locator(".message.inbound")).to_have_count(1, timeout=5000)
    expect(page.locator("#composer")).to_be_disabled()
    expect(page.locator("#composer-note")).to_contain_text(
        "La ventana de 24 horas está cerrada; se necesita una plantilla"
    )
    expect(page.locator("#template-prompt")).to_be_visible()
    expect(page.locator("#record-button")).to_be_disabled()
    # Quoting and reacting are free-form too: no actions on the bubbles.
    page.locator(".message.inbound").hover()
    expect(page.locator(".message-action").first).to_be_hidden()
    page.click("#composer-plus")
    expect(page.locator('#composer-menu [data-kind="template"]')).to_be_enabled()
    expect(page.locator('#composer-menu [data-kind="buttons"]')).to_be_disabled()
    page.keyboard.press("Escape")
    screenshot(page, "1-locked")
    page.click("#template-prompt")
    expect(page.locator("#form-dialog")).to_be_visible()
    expect(page.locator("#dialog-title")).to_have_text("Enviar una plantilla")
    expect(page.locator(".template-search, #template-search").first).to_be_visible()
    screenshot(page, "2-template-picker")
    assert errors == []


def test_the_template_picker_fills_the_preview_and_shows_field_errors(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    page, _, errors = _start(browser, stack, make_user(name="Ana López"), "Hola")
    templates = page.evaluate("fetch('/api/v1/templates?status=APPROVED').then((r) => r.json())")[
        "templates"
    ]
    with_body = [t for t in templates if t.get("variables", {}).get("body")]
    if not with_body:
        pytest.skip("no approved template with body variables (sync the simulator's first)")
    template = with_body[0]
    page.click("#composer-plus")
    page.click('#composer-menu [data-kind="template"]')
    page.fill(".template-search", template["name"][:4])
    page.click(f'.template-item[data-template-id="{template["id"]}"]')
    body_inputs = page.locator('[data-field^="body."]')
    expect(body_inputs).to_have_count(len(template["variables"]["body"]))
    page.click("#dialog-submit")
    expect(page.locator(".field.invalid .field-error").first).to_have_text("Requerido")
    for index in range(body_inputs.count()):
        body_inputs.nth(index).fill(f"Valor {index + 1}")
    for other in page.locator('[data-field="header"], [data-field^="buttons."]').all():
        other.fill(
            "https://example.mx/promo.jpg" if other.get_attribute("type") == "url" else "abc"
        )
    expect(page.locator(".template-preview")).to_contain_text("Valor 1")
    screenshot(page, "1-filled")
    page.click("#dialog-submit")
    expect(page.locator("#form-dialog")).to_be_hidden(timeout=5000)
    expect(page.locator('.message.outbound[data-type="template"]')).to_have_count(1, timeout=5000)
    assert errors == []


def test_the_agent_sends_an_image_with_a_caption_and_a_voice_note(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    page, _, errors = _start(browser, stack, make_user(name="Ana López"), "¿Me mandas la foto?")
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cf000000030101007a3e9fb70000000049454e44ae426082"
    )
    page.set_input_files(
        "#file-input", files=[{"name": "menu.png", "mimeType": "image/png", "buffer": png}]
    )
    dialog = page.locator("#form-dialog")
    expect(dialog.locator(".attach-preview img")).to_be_visible()
    page.fill('[data-field="caption"]', "Nuestro menú")
    page.click("#dialog-submit")
    image = page.locator('.message.outbound[data-type="image"]')
    expect(image.locator(".message-text")).to_have_text("Nuestro menú", timeout=5000)
    # Sent at least: the simulator may already have delivered it.
    expect(image).to_have_attribute("data-status", re.compile("sent|delivered|read"), timeout=10000)

    page.click("#record-button")
    expect(page.locator("#recorder-bar")).to_be_visible()
    page.wait_for_timeout(1200)
    page.click("#recorder-stop")
    page.click("#recorder-send")
    voice = page.locator('.message.outbound[data-type="audio"]')
    expect(voice).to_have_count(1, timeout=5000)
    screenshot(page, "media-sent")
    assert errors == []
