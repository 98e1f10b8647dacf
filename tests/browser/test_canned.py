"""Quick replies in real Chromium: an agent writes a personal one on the Respuestas rápidas
page; in the console "/" at the start of the box lists it, the keyboard alone picks it,
the box holds its text filled for this customer and this agent, and only Enter sends it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from cdmx.db.engine import Database
from cdmx.db.tables import Message, User
from tests.browser.conftest import Stack
from tests.browser.test_poc import agent_and_phone

pytestmark = pytest.mark.browser

TEMPLATE = "Hola {{contact.first_name}}, soy {{agent.name}}"


def test_an_agent_writes_a_quick_reply_and_sends_it_with_the_keyboard(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    agent = make_user(name="Ana López")
    page, phone, errors = agent_and_phone(browser, stack, agent, height=900)

    # The page, from the top bar: an agent's replies are personal (shared ones need a
    # supervisor), and the variables are listed as a hint.
    page.click("#canned-link")
    expect(page.locator("h1")).to_have_text("Respuestas rápidas")
    expect(page.locator("#canned-variables")).to_contain_text("{{contact.first_name}}")
    expect(page.locator("#canned-personal")).to_be_checked()
    expect(page.locator("#canned-personal")).to_be_disabled()
    expect(page.locator("#canned-status")).to_have_text("Aún no hay respuestas rápidas.")
    page.fill("#canned-shortcut", "Saludo")
    page.fill("#canned-text", TEMPLATE)
    page.click("#canned-submit")
    row = page.locator('.canned-row[data-shortcut="saludo"]')
    expect(row.locator(".canned-shortcut-cell")).to_have_text("/saludo", timeout=5000)
    expect(row.locator(".canned-text-cell")).to_have_text(TEMPLATE)
    expect(row.locator(".canned-scope-cell")).to_have_text("Personal")
    expect(row.get_by_text("Editar")).to_be_visible()
    expect(page.locator("#canned-status")).to_have_text("Respuesta rápida /saludo creada.")
    screenshot(page, "1-page")

    # A customer writes; the agent opens the conversation.
    page.click("text=← Volver a la consola")
    page.wait_for_selector("#conversation-list")
    phone.fill("#name", "María González")
    phone.fill("#composer", "Buenas tardes, ¿me ayudan con mi pedido?")
    phone.click("#send")
    item = page.locator(".conversation-item").first
    expect(item).to_contain_text("María", timeout=5000)
    item.click()
    composer = page.locator("#composer")
    expect(composer).to_be_enabled()
    expect(composer).to_have_attribute("aria-controls", "canned-list")

    # "/sal" lists it, with its text already filled for María and Ana.
    composer.focus()
    page.keyboard.type("/sal")
    popup = page.locator("#canned-popup")
    expect(popup).to_be_visible()
    options = page.locator("#canned-list [role=option]")
    expect(options).to_have_count(1, timeout=5000)
    expect(options.first.locator(".canned-option-shortcut")).to_have_text("/saludo")
    expect(options.first.locator(".canned-option-text")).to_have_text("Hola María, soy Ana López")
    screenshot(page, "2-canned-list")

    page.keyboard.press("ArrowDown")
    option_id = options.first.get_attribute("id")
    expect(composer).to_have_attribute("aria-activedescendant", option_id or "")
    expect(options.first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(popup).to_be_hidden()
    expect(composer).to_have_value("Hola María, soy Ana López")
    expect(composer).not_to_have_attribute("aria-activedescendant", option_id or "")
    expect(page.locator(".message.outbound")).to_have_count(0)  # chosen is not sent

    # The agent reads it, then Enter sends it and the customer gets it.
    page.keyboard.press("Enter")
    expect(phone.locator(".bubble.out .bubble-text").last).to_have_text(
        "Hola María, soy Ana López", timeout=5000
    )
    expect(composer).to_have_value("")
    with db.read() as session:
        sent = session.scalars(select(Message.text).where(Message.direction == "outbound")).all()
    assert "Hola María, soy Ana López" in sent
    assert errors == []


def test_the_list_narrows_closes_and_points_to_the_page_when_nothing_matches(
    browser: Any, stack: Stack, make_user: Callable[..., User]
) -> None:
    from playwright.sync_api import expect

    agent = make_user(name="Ana López")
    page, phone, errors = agent_and_phone(browser, stack, agent, height=900)
    phone.fill("#composer", "Hola")
    phone.click("#send")
    item = page.locator(".conversation-item").first
    expect(item).to_contain_text("María", timeout=5000)
    item.click()
    composer = page.locator("#composer")
    expect(composer).to_be_enabled()

    # Nothing written yet: the list says where to write them.
    composer.focus()
    page.keyboard.type("/")
    empty = page.locator("#canned-empty")
    expect(empty).to_have_text(
        "Sin respuestas rápidas; créalas en Respuestas rápidas", timeout=5000
    )
    expect(empty.locator("a")).to_have_attribute("href", "/canned")
    # Escape closes it and it stays closed while the text starts with that "/".
    page.keyboard.press("Escape")
    expect(page.locator("#canned-popup")).to_be_hidden()
    page.keyboard.type("x")
    expect(page.locator("#canned-popup")).to_be_hidden()
    expect(composer).to_have_value("/x")
    assert errors == []


def test_a_supervisor_shares_one_for_a_queue_edits_it_and_deletes_it_after_asking(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    from tests.browser.test_poc import login

    supervisor = make_user(role="supervisor", name="Sofía Ruiz")
    agent = make_user(name="Ana López")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, stack.app_url, supervisor)
    page.goto(f"{stack.app_url}/canned")
    expect(page.locator("#canned-status")).to_have_text("Aún no hay respuestas rápidas.")

    # Shared: the queue select wakes when "Personal" is unticked.
    expect(page.locator("#canned-queue")).to_be_disabled()
    page.uncheck("#canned-personal")
    expect(page.locator("#canned-queue")).to_be_enabled()
    queue_name = page.locator("#canned-queue option").nth(1).text_content() or ""
    page.select_option("#canned-queue", index=1)
    page.fill("#canned-shortcut", "horario")
    page.fill("#canned-text", "Atendemos de 9 a 18 h, {{contact.name}}.")
    page.click("#canned-submit")
    row = page.locator('.canned-row[data-shortcut="horario"]')
    expect(row.locator(".canned-scope-cell")).to_have_text(queue_name.strip(), timeout=5000)

    # Edit the text in the row.
    row.locator("summary").click()
    row.locator("textarea[name=text]").fill("Atendemos de 9 a 19 h, {{contact.name}}.")
    row.locator(".canned-edit button[type=submit]").click()
    expect(page.locator("#canned-status")).to_have_text("Respuesta rápida /horario guardada.")
    expect(row.locator(".canned-text-cell")).to_have_text(
        "Atendemos de 9 a 19 h, {{contact.name}}."
    )

    # The queue's agent sees it but may not change it.
    other = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    other.on("pageerror", lambda error: errors.append(str(error)))
    login(other, stack.app_url, agent)
    other.goto(f"{stack.app_url}/canned")
    theirs = other.locator('.canned-row[data-shortcut="horario"]')
    expect(theirs.locator(".canned-scope-cell")).to_have_text(queue_name.strip(), timeout=5000)
    expect(theirs.locator("summary")).to_have_count(0)
    expect(theirs.get_by_role("button")).to_have_count(0)

    # Delete asks first; "Cancelar" keeps it, "Sí, eliminar" removes it.
    row.get_by_role("button", name="Eliminar /horario").click()
    expect(row.locator(".row-confirm")).to_contain_text("¿Eliminar /horario?")
    screenshot(page, "delete-asks")
    row.get_by_role("button", name="Cancelar").click()
    expect(row.locator(".row-confirm")).to_be_hidden()
    row.get_by_role("button", name="Eliminar /horario").click()
    row.get_by_role("button", name="Sí, eliminar").click()
    expect(page.locator("#canned-status")).to_have_text("Respuesta rápida /horario eliminada.")
    expect(page.locator(".canned-row")).to_have_count(0)
    assert errors == []
