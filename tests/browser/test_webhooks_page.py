"""The webhooks page in real Chromium: an admin adds an endpoint (a real receiver) and copies
its secret, sends a test event that arrives signed, sees it in the delivery log with the
endpoint's answer, resends it, and turns the endpoint off. Agents and supervisors cannot
open the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from standardwebhooks import Webhook

from cdmx.db.engine import Database
from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_poc import login
from tests.servers import serving_in_thread
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.browser


def test_an_admin_adds_a_webhook_tests_it_and_reads_the_log(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    receiver = Receiver(reply={"ok": True})
    admin = make_user(role="admin", name="Admin")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with serving_in_thread(receiver.app) as base:
        login(page, stack.app_url, admin)
        page.click("#admin-menu")
        page.click("#webhooks-link")
        expect(page.locator("#webhooks-empty")).to_be_visible()

        add = page.locator("#add-webhook")
        add.get_by_label("Dirección (URL)").fill(f"{base}/hook")
        add.get_by_label("Descripción").fill("Pedidos")
        all_events = add.get_by_label("Todos los eventos")
        all_events.uncheck()
        add.get_by_label("conversation.closed").check()
        add.get_by_role("button", name="Crear webhook").click()
        secret_box = page.locator("#secret-box")
        expect(secret_box).to_be_visible()
        secret = page.locator("#secret-value").input_value()
        assert secret.startswith("whsec_")
        page.locator("#secret-done").click()

        section = page.locator(".webhook")
        expect(section).to_contain_text("Pedidos")
        expect(section.locator(".webhook-events")).to_have_text("Eventos: conversation.closed")
        section.get_by_role("button", name="Enviar evento de prueba").click()
        expect(section.locator(".action-message")).to_have_text("Evento de prueba en camino.")
        deadline = 50
        while not receiver.received and deadline:
            page.wait_for_timeout(100)
            deadline -= 1
        got = receiver.received[0]
        assert Webhook(secret).verify(got.body, got.headers)["type"] == "webhook.test"

        section.locator(".delivery-log summary").click()
        row = section.locator(".log-row").first
        expect(row).to_contain_text("webhook.test", timeout=5000)
        expect(row).to_contain_text("Entregado")
        expect(row.locator(".log-response")).to_have_text('{"ok":true}')
        screenshot(page, "webhooks-log")
        row.get_by_role("button", name="Reenviar").click()
        expect(section.locator(".action-message")).to_have_text("Reenvío en camino.")
        deadline = 50
        while len(receiver.received) < 2 and deadline:
            page.wait_for_timeout(100)
            deadline -= 1
        assert receiver.ids() == [got.headers["webhook-id"]] * 2

        section.get_by_role("button", name="Desactivar").click()
        expect(page.locator(".webhook .webhook-state")).to_have_text("Desactivado")
    assert errors == []

    for role in ("agent", "supervisor"):
        other = browser.new_context().new_page()
        login(other, stack.app_url, make_user(role=role))
        other.goto(f"{stack.app_url}/admin/webhooks")
        assert other.url.rstrip("/") == stack.app_url.rstrip("/")
        expect(other.locator("#webhooks-link")).to_have_count(0)
