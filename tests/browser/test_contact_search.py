"""Finding a customer from the inbox search box, in real Chromium against the real API:
a number typed the way people write it shows the customer under "Clientes", and Enter
opens their conversation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_poc import agent_and_phone
from tests.conftest import signed
from tests.factories import text_message

pytestmark = pytest.mark.browser


def test_a_number_form_finds_the_customer_and_enter_opens_the_conversation(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    agent = make_user(name="Ana López")
    page, phone, errors = agent_and_phone(browser, stack, agent, height=860)
    phone.fill("#composer", "Hola, quiero saber de mi pedido")
    phone.click("#send")
    expect(page.locator(".conversation-item").first).to_contain_text("pedido", timeout=5000)
    page.goto(f"{stack.app_url}/")
    expect(page.locator("#conversation")).to_be_hidden()

    box = page.get_by_role("searchbox", name="Buscar en los mensajes")
    box.fill("(55) 1234-5678")
    customer = page.locator(".search-customer")
    expect(customer).to_have_count(1, timeout=5000)
    expect(customer).to_contain_text("María")
    expect(customer).to_contain_text("+52 55 1234 5678")
    expect(page.get_by_role("heading", name="Clientes")).to_be_visible()
    screenshot(page, "contact-search")
    box.press("Enter")
    expect(page.locator("#conversation")).to_be_visible()
    expect(page.locator(".message.inbound")).to_contain_text("mi pedido")
    assert errors == []


def test_a_supervisor_merges_two_contacts_from_the_dialog(
    browser: Any, stack: Stack, make_user: Callable[..., User], db: Any
) -> None:
    from playwright.sync_api import expect
    from sqlalchemy import select

    from cdmx.db.tables import Contact

    boss = make_user(role="admin", name="Sofía")
    page, phone, errors = agent_and_phone(browser, stack, boss, height=860)
    for wa_id, name in (("5215512345678", "María"), ("5215587654321", "Mary")):
        body, headers = signed(text_message(f"Hola, soy {name}", wa_id=wa_id, name=name))
        httpx.post(f"{stack.app_url}/webhooks/whatsapp", content=body, headers=headers)
    expect(page.locator(".conversation-item")).to_have_count(2, timeout=5000)
    with db.read() as session:
        ids = dict(
            (row.wa_id, row.id) for row in session.execute(select(Contact.wa_id, Contact.id))
        )
    kept, other = ids["5215512345678"], ids["5215587654321"]
    page.evaluate(
        "id => document.dispatchEvent(new CustomEvent('cdmx:merge', {detail: {contactId: id}}))",
        kept,
    )
    dialog = page.locator("#form-dialog")
    expect(dialog).to_contain_text("Unir con otro contacto")
    page.get_by_label("Buscar cliente por nombre o número").fill("8765 4321")
    option = dialog.get_by_role("option")
    expect(option).to_have_count(1, timeout=5000)
    option.focus()
    page.keyboard.press("Enter")  # keyboard picks it
    expect(dialog.locator(".merge-card")).to_have_count(2)
    expect(dialog.locator(".merge-card").nth(1)).to_contain_text("+52 55 8765 4321")
    page.evaluate(
        "() => document.addEventListener('cdmx:contact-merged',"
        " e => { window.mergedContact = e.detail.contactId; })"
    )
    dialog.get_by_role("button", name="Unir contactos").click()
    expect(page.locator("#toast")).to_contain_text("Contactos unidos")
    assert page.evaluate("() => window.mergedContact") == kept
    with db.read() as session:
        merged = session.get(Contact, other)
        assert merged is not None and merged.merged_into_id == kept
    assert errors == []
