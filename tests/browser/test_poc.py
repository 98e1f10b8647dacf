"""The five PoC criteria, walked as people walk them: a customer on the phone page and an
agent in the console, two browser contexts in real Chromium, over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from cdmx.actions.inbox import do_store_update
from cdmx.app import create_app
from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.settings import Settings
from cdmx.workers.inbox import process_pending
from tests.browser.conftest import Stack
from tests.conftest import PASSWORD
from tests.factories import text_message
from tests.servers import free_port, serving_in_thread

pytestmark = pytest.mark.browser
CUSTOMER = "5215512345678"


def login(page: Any, base_url: str, user: User) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#conversation-list")


def agent_and_phone(
    browser: Any, stack: Stack, agent: User, *, height: int
) -> tuple[Any, Any, list[str]]:
    """The agent's console (signed in) and the customer's phone (as María), and the script
    errors either page raises."""
    page = browser.new_context(viewport={"width": 1280, "height": height}).new_page()
    phone = browser.new_context(viewport={"width": 420, "height": height}).new_page()
    errors: list[str] = []
    for each in (page, phone):
        each.on("pageerror", lambda error: errors.append(str(error)))
        each.on("console", lambda message: _csp_violation(message, errors))
    login(page, stack.app_url, agent)
    phone.goto(stack.phone_url)
    phone.fill("#wa-id", CUSTOMER)
    phone.fill("#name", "María")
    return page, phone, errors


def _csp_violation(message: Any, errors: list[str]) -> None:
    """Chromium reports what the Content-Security-Policy blocked on the page's console."""
    if "Content Security Policy" in message.text:
        errors.append(message.text)


def test_customer_and_agent_walk_the_five_criteria(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    agent = make_user(name="Ana López")
    agent_page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    phone = browser.new_context(viewport={"width": 420, "height": 800}).new_page()
    page_errors: list[str] = []
    for page in (agent_page, phone):
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        page.on("requestfailed", lambda r: page_errors.append(f"request failed: {r.url}"))
    login(agent_page, stack.app_url, agent)
    phone.goto(stack.phone_url)
    phone.fill("#wa-id", CUSTOMER)
    phone.fill("#name", "María")

    # 1. The customer writes (with markup that must stay text).
    phone.fill("#composer", "Hola, ¿tienen envíos a Coyoacán? <b>urgente</b>")
    phone.click("#send")

    # 2. The agent sees it live, no reload.
    item = agent_page.locator(".conversation-item").first
    expect(item).to_contain_text("María", timeout=5000)
    expect(item.locator(".unread-badge")).to_have_text("1")
    item.click()
    inbound = agent_page.locator(".message.inbound .message-text").first
    expect(inbound).to_have_text("Hola, ¿tienen envíos a Coyoacán? <b>urgente</b>")
    assert agent_page.locator(".message.inbound b").count() == 0  # shown as text, not HTML

    # 3. The agent answers from the console.
    agent_page.fill("#composer", "¡Sí! Llegamos mañana antes de las 2 p. m.")
    agent_page.keyboard.press("Enter")

    # 4. The customer gets it, and the agent's ticks reach "read".
    expect(phone.locator(".bubble.out .bubble-text").first).to_have_text(
        "¡Sí! Llegamos mañana antes de las 2 p. m.", timeout=5000
    )
    outbound = agent_page.locator(".message.outbound").first
    expect(outbound).to_have_attribute("data-status", "read", timeout=8000)
    screenshot(agent_page, "1-agent-replied-read")
    screenshot(phone, "1-phone-got-reply")

    # 5. The customer writes again: same conversation, same agent.
    phone.fill("#composer", "Perfecto, gracias")
    phone.click("#send")
    expect(agent_page.locator(".message.inbound .message-text").last).to_have_text(
        "Perfecto, gracias", timeout=5000
    )
    expect(agent_page.locator(".conversation-item")).to_have_count(1)
    assert agent_page.locator(".message").count() == 3
    screenshot(agent_page, "2-agent-same-conversation")
    screenshot(phone, "2-phone-conversation")
    assert page_errors == []


def test_a_tab_catches_up_after_the_server_restarts(
    browser: Any, settings: Settings, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    """The server goes away; a customer's message is stored meanwhile; when the server is
    back, the tab reconnects with Last-Event-ID and shows what it missed, no reload."""
    from playwright.sync_api import expect

    agent = make_user(name="Ana López")
    port = free_port()
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    with serving_in_thread(create_app(settings), port) as url:
        login(page, url, agent)
        expect(page.locator("#conversation-list")).to_be_visible()
        page.wait_for_timeout(500)  # the stream is open and has said hello
    expect(page.locator("#connection-banner")).to_be_visible(timeout=5000)
    with db.write() as session:
        do_store_update(session, json.dumps(text_message("¿Siguen abiertos?")).encode())
    process_pending(db)
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    with serving_in_thread(create_app(settings), port):
        item = page.locator(".conversation-item").first
        expect(item).to_contain_text("¿Siguen abiertos?", timeout=15000)
        expect(page.locator("#connection-banner")).to_be_hidden(timeout=10000)
        screenshot(page, "caught-up")
    assert navigations == []  # caught up live, not by reloading the page


def test_the_console_switches_to_english(
    browser: Any, stack: Stack, make_user: Callable[..., User]
) -> None:
    from playwright.sync_api import expect

    agent = make_user()
    page = browser.new_context().new_page()
    login(page, stack.app_url, agent)
    expect(page.locator("#tab-mine")).to_contain_text("Mías")
    page.goto(f"{stack.app_url}/?lang=en")
    expect(page.locator("#tab-mine")).to_contain_text("Mine")
    page.goto(f"{stack.app_url}/")  # the choice is remembered
    expect(page.locator("#tab-mine")).to_contain_text("Mine")
