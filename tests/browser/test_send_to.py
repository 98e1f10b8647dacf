""" "Enviar a…" in real Chromium: an admin adds an action on the Webhooks page; an agent sends
a customer's conversation to it (a small receiver standing in for the order system), first
meeting a failure shown with the system's answer, then "Reintentar" — and sees the
reference the system returned as a note in the thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from standardwebhooks import Webhook

from cdmx.db.engine import Database
from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_poc import agent_and_phone, login
from tests.servers import serving_in_thread
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.browser


def test_an_agent_sends_a_conversation_to_the_order_system_and_sees_the_reference(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    receiver = Receiver(reply={"reference": "4512", "url": "https://pedidos.example.com/4512"})
    receiver.answer = lambda _: 503 if len(receiver.received) == 1 else 200
    admin = make_user(role="admin", name="Admin", availability="away")
    with serving_in_thread(receiver.app) as base:
        boss = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        login(boss, stack.app_url, admin)
        boss.goto(f"{stack.app_url}/admin/webhooks")
        add = boss.locator("#add-action")
        add.get_by_label("Nombre").fill("Pedidos")
        add.get_by_label("Dirección (URL)").fill(f"{base}/hook")
        add.get_by_role("button", name="Crear acción").click()
        expect(boss.locator("#secret-box")).to_be_visible()
        secret = boss.locator("#secret-value").input_value()
        boss.locator("#secret-done").click()
        expect(boss.locator(".action-row")).to_contain_text("Enviar a Pedidos")

        page, phone, errors = agent_and_phone(
            browser, stack, make_user(name="Ana López"), height=900
        )
        phone.fill("#composer", "Quiero dos cajas de tamales")
        phone.click("#send")
        item = page.locator(".conversation-item").first
        expect(item).to_contain_text("María", timeout=5000)
        item.click()
        expect(page.locator("#composer")).to_be_focused(timeout=5000)
        send_to = page.locator("#send-to-button")
        expect(send_to).to_be_visible()
        send_to.click()
        dialog = page.locator("#form-dialog")
        dialog.get_by_role("button", name="Enviar a Pedidos").click()
        failure = dialog.locator(".sendto-failure")
        expect(failure).to_contain_text("Pedidos respondió HTTP 503:", timeout=12000)
        expect(failure.locator(".sendto-response")).to_have_text("answer 503")
        screenshot(page, "send-to-failure")
        failure.get_by_role("button", name="Reintentar").click()
        expect(dialog).to_be_hidden(timeout=12000)
        expect(page.locator("#toast")).to_contain_text("Enviado a Pedidos: 4512")
        note = page.locator(".internal-note .note-text")
        expect(note).to_have_text(
            "Enviado a Pedidos: 4512 — https://pedidos.example.com/4512", timeout=5000
        )
        expect(note.locator("a")).to_have_attribute("href", "https://pedidos.example.com/4512")
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # a retry, not a new push
    payload = Webhook(secret).verify(second.body, second.headers)
    assert [m["text"] for m in payload["data"]["messages"]] == ["Quiero dos cajas de tamales"]
    assert errors == []
