"""Media both ways in real Chromium: a customer sends a photo, a PDF and a voice note through
the phone's API and the agent sees each replace its placeholder live; the agent sends an image
and a document from the console and the simulated Meta receives them by id."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_poc import login
from tests.media_helpers import HAS_FFMPEG, jpeg, ogg_voice, pdf, png

pytestmark = pytest.mark.browser
CUSTOMER = "5215512345678"

# Counts every media placeholder ever drawn in a bubble, so the test can tell that a file was
# shown first as a placeholder and then replaced live (not drawn already stored, not reloaded).
WATCH_PLACEHOLDERS = """
window.__placeholders = [];
new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (!(node instanceof Element)) continue;
      const found = node.matches(".media-placeholder") ? [node]
        : [...node.querySelectorAll(".media-placeholder")];
      for (const box of found) {
        const message = box.closest(".message");
        window.__placeholders.push(message ? message.dataset.type : "?");
      }
    }
  }
}).observe(document, {childList: true, subtree: true});
"""

LOADS = """async (url) => (await fetch(url, {credentials: "same-origin"})).status"""


def _send_file(stack: Stack, name: str, data: bytes, mime: str, **fields: str) -> dict[str, Any]:
    response = httpx.post(
        f"{stack.phone_url}/api/media",
        data={"wa_id": CUSTOMER, "name": "María", **fields},
        files={"file": (name, data, mime)},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _sent(stack: Stack, kind: str) -> list[dict[str, Any]]:
    return [r.body for r in stack.simulator.sent_requests if r.body.get("type") == kind]


def _wait_for(page: Any, check: Callable[[], bool], timeout_ms: int = 8000) -> None:
    for _ in range(timeout_ms // 100):
        if check():
            return
        page.wait_for_timeout(100)
    assert check()


def test_photos_documents_and_voice_notes_go_both_ways(
    browser: Any,
    stack: Stack,
    make_user: Callable[..., User],
    screenshot: Any,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    agent = make_user(name="Ana López")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH_PLACEHOLDERS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    navigations: list[str] = []
    login(page, stack.app_url, agent)

    # The customer opens the chat with a line of text, and the agent opens it.
    response = httpx.post(
        f"{stack.phone_url}/api/send",
        json={"wa_id": CUSTOMER, "name": "María", "text": "Les mando la foto y la factura"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    item = page.locator(".conversation-item").first
    expect(item).to_contain_text("María", timeout=5000)
    item.click()
    expect(page.locator(".message.inbound .message-text").first).to_have_text(
        "Les mando la foto y la factura", timeout=5000
    )
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    # Meta is slow to hand out the files: the placeholders are on screen for a while.
    stack.simulator.faults.latency_ms = 700
    _send_file(stack, "foto.jpg", jpeg(320, 240), "image/jpeg", caption="Así llegó la caja")
    _send_file(stack, "factura-0042.pdf", pdf(), "application/pdf")
    if HAS_FFMPEG:
        _send_file(stack, "nota.ogg", ogg_voice(tmp_path), "audio/ogg", voice="true")

    image = page.locator('.message.inbound[data-type="image"]')
    img = image.locator("img").first
    expect(img).to_be_visible(timeout=10000)
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle(), timeout=10000
    )
    assert img.evaluate("(img) => img.naturalWidth") > 0
    expect(image).to_contain_text("Así llegó la caja")

    document = page.locator('.message.inbound[data-type="document"]')
    card = document.locator("a.document-card")
    expect(card).to_be_visible(timeout=10000)
    expect(card).to_contain_text("factura-0042.pdf")
    assert card.get_attribute("download") == "factura-0042.pdf"
    href = card.get_attribute("href")
    assert href
    assert page.evaluate(LOADS, href) == 200

    placeholders: list[str] = page.evaluate("window.__placeholders")
    assert "image" in placeholders
    assert "document" in placeholders
    if HAS_FFMPEG:
        audio = page.locator('.message.inbound[data-type="audio"] audio')
        expect(audio).to_have_count(1, timeout=10000)
        _wait_for(page, lambda: bool(audio.get_attribute("src")))
        assert page.evaluate(LOADS, audio.get_attribute("src")) == 200
        assert "audio" in page.evaluate("window.__placeholders")
    stack.simulator.faults.latency_ms = 0
    assert navigations == []  # replaced live, never by reloading the page
    screenshot(page, "1-agent-sees-customer-media")

    # The agent sends an image and a document from the console.
    picture = png(48, 48)
    page.set_input_files(
        "#file-input", files=[{"name": "catalogo.png", "mimeType": "image/png", "buffer": picture}]
    )
    dialog = page.locator("#form-dialog")
    expect(dialog.locator(".attach-preview img")).to_be_visible()
    page.click("#dialog-submit")
    expect(dialog).to_be_hidden(timeout=5000)
    expect(page.locator('.message.outbound[data-type="image"]')).to_have_count(1, timeout=5000)

    brochure = pdf()
    page.set_input_files(
        "#file-input",
        files=[{"name": "cotizacion.pdf", "mimeType": "application/pdf", "buffer": brochure}],
    )
    expect(dialog).to_be_visible()
    page.click("#dialog-submit")
    expect(dialog).to_be_hidden(timeout=5000)
    expect(page.locator('.message.outbound[data-type="document"]')).to_have_count(1, timeout=5000)

    _wait_for(page, lambda: bool(_sent(stack, "image")) and bool(_sent(stack, "document")))
    (image_body,) = _sent(stack, "image")
    (document_body,) = _sent(stack, "document")
    vault = stack.simulator.media
    image_file = vault.get(image_body["image"]["id"])
    document_file = vault.get(document_body["document"]["id"])
    assert image_file is not None
    assert image_file.data == picture
    assert image_file.mime_type == "image/png"
    assert document_file is not None
    assert document_file.data == brochure
    assert document_file.mime_type == "application/pdf"
    assert "link" not in image_body["image"]
    assert "link" not in document_body["document"]
    assert document_body["document"].get("filename") == "cotizacion.pdf"
    screenshot(page, "2-agent-sent-media")

    # The customer's phone shows what the business sent.
    phone = browser.new_context(viewport={"width": 420, "height": 900}).new_page()
    phone.goto(stack.phone_url)
    phone.fill("#wa-id", CUSTOMER)
    sent_img = phone.locator('.bubble.out[data-type="image"] img')
    expect(sent_img).to_have_count(1, timeout=5000)
    phone.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=sent_img.element_handle(), timeout=5000
    )
    expect(phone.locator('.bubble.out[data-type="document"] a')).to_contain_text("cotizacion.pdf")
    screenshot(phone, "3-phone-got-media")
    assert errors == []


def test_the_phone_page_sends_and_shows_files(browser: Any, stack: Stack, screenshot: Any) -> None:
    from playwright.sync_api import expect

    phone = browser.new_context(viewport={"width": 420, "height": 900}).new_page()
    errors: list[str] = []
    phone.on("pageerror", lambda error: errors.append(str(error)))
    outside: list[str] = []
    phone.on(
        "request",
        lambda r: (
            None if r.url.startswith(stack.phone_url.rsplit("/", 1)[0]) else outside.append(r.url)
        ),
    )
    phone.goto(stack.phone_url)
    phone.fill("#wa-id", CUSTOMER)
    phone.fill("#name", "María")

    phone.click("#attach")
    expect(phone.locator('#attach-menu [data-file="photo"]')).to_be_visible()
    phone.set_input_files(
        "#photo-input",
        files=[{"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": jpeg(200, 150)}],
    )
    img = phone.locator('.bubble.in[data-type="image"] img')
    expect(img).to_have_count(1, timeout=5000)
    phone.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle(), timeout=5000
    )
    phone.set_input_files(
        "#document-input",
        files=[{"name": "<b>factura</b>.pdf", "mimeType": "application/pdf", "buffer": pdf()}],
    )
    link = phone.locator('.bubble.in[data-type="document"] a.bubble-document')
    expect(link).to_contain_text("<b>factura</b>.pdf", timeout=5000)  # text, not markup
    assert phone.locator(".bubble b").count() == 0

    phone.click("#record")
    expect(phone.locator("#record")).to_have_attribute("aria-pressed", "true")
    phone.wait_for_timeout(1000)
    phone.click("#record")
    expect(phone.locator('.bubble.in[data-type="audio"] audio')).to_have_count(1, timeout=5000)
    kinds = {m["type"] for m in stack.simulator.phone_messages(CUSTOMER)}
    assert {"image", "document", "audio"} <= kinds
    screenshot(phone, "phone-sent-files")
    assert errors == []
    assert outside == []
