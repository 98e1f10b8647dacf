"""The customer's profile in real Chromium: an agent opens it beside the thread, gives the
customer the name the team uses (WhatsApp's stays shown apart), sees it in the header and
the inbox row, and reads the customer's previous conversation, read-only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cdmx.db.engine import Database
from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_poc import agent_and_phone

pytestmark = pytest.mark.browser


def test_an_agent_renames_the_customer_and_reads_their_previous_conversation(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    agent = make_user(name="Ana López")
    page, phone, errors = agent_and_phone(browser, stack, agent, height=900)
    phone.fill("#name", "Mari")
    phone.fill("#composer", "¿Tienen la talla 6?")
    phone.click("#send")
    item = page.locator(".conversation-item").first
    expect(item).to_contain_text("Mari", timeout=5000)
    item.click()
    page.fill("#composer", "Sí, en negro y café.")
    page.keyboard.press("Enter")
    expect(phone.locator(".bubble.out .bubble-text").last).to_have_text(
        "Sí, en negro y café.", timeout=5000
    )
    page.click("#close-button")
    expect(page.locator("#conversation-status")).to_have_text("Cerrada", timeout=5000)

    # She writes again: a new conversation, with the old one in her history.
    phone.fill("#composer", "Quiero la negra")
    phone.click("#send")
    fresh = page.locator(".conversation-item", has_text="Quiero la negra")
    expect(fresh).to_be_visible(timeout=5000)
    fresh.click()
    page.click("#profile-button")
    panel = page.locator("#profile-panel")
    expect(panel).to_be_visible()
    name = panel.locator('[data-field="name"]')
    expect(name).to_have_value("Mari", timeout=5000)
    expect(panel.locator(".profile-past")).to_have_count(2)

    name.fill("María Gómez")
    name.press("Tab")
    expect(page.locator("#conversation-name")).to_have_text("María Gómez", timeout=5000)
    expect(fresh.locator(".contact-name")).to_have_text("María Gómez")
    expect(panel).to_contain_text("En WhatsApp")
    expect(panel).to_contain_text("Mari")
    screenshot(page, "profile-panel")

    # The previous one opens read-only, with what was said and who answered.
    past = panel.locator(".profile-past").nth(1)
    expect(past).to_contain_text("Ana López")
    past.click()
    dialog = page.locator("#form-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("¿Tienen la talla 6?")
    expect(dialog).to_contain_text("Sí, en negro y café.")
    expect(page.locator("#dialog-submit")).to_be_hidden()
    # The panel stays open for the next conversation.
    page.keyboard.press("Escape")
    page.reload()
    expect(page.locator("#profile-panel")).to_be_visible(timeout=5000)
    assert errors == []


def test_a_rename_is_not_undone_by_an_answer_asked_for_before_it(
    browser: Any, stack: Stack, make_user: Callable[..., User]
) -> None:
    """Opening a conversation reads it from the API; if the agent renames the customer
    while that read is still on its way, the older answer must not put the old name back."""
    import re

    from playwright.sync_api import expect

    agent = make_user(name="Ana López")
    page, phone, errors = agent_and_phone(browser, stack, agent, height=900)
    phone.fill("#name", "Mari")
    phone.fill("#composer", "¿Tienen la talla 6?")
    phone.click("#send")
    item = page.locator(".conversation-item").first
    expect(item).to_contain_text("Mari", timeout=5000)

    held: list[tuple[Any, Any]] = []

    def hold(route: Any) -> None:
        if route.request.method != "GET":
            route.continue_()
            return
        held.append((route, route.fetch()))  # answered now, delivered later

    page.route(re.compile(r"/api/v1/conversations/\d+$"), hold)
    # Marking it read republishes the conversation, which would mend a stale header on its
    # own; answered here, only the order of the two snapshots decides what the agent sees.
    page.route(
        re.compile(r"/api/v1/conversations/\d+/read$"), lambda route: route.fulfill(status=204)
    )
    item.click()
    page.wait_for_function("() => document.querySelector('#conversation-name') !== null")
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the conversation was not read"
    page.click("#profile-button")
    name = page.locator('#profile-panel [data-field="name"]')
    expect(name).to_have_value("Mari", timeout=5000)
    name.fill("María Gómez")
    name.press("Tab")
    expect(page.locator("#conversation-name")).to_have_text("María Gómez", timeout=5000)

    route, answer = held.pop()
    with page.expect_request(re.compile(r"/api/v1/conversations/\d+/read$")):
        route.fulfill(response=answer)
    page.wait_for_function(
        "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
        ".then(() => true)"
    )
    expect(page.locator("#conversation-name")).to_have_text("María Gómez")
    expect(item.locator(".contact-name")).to_have_text("María Gómez")
    assert errors == []
