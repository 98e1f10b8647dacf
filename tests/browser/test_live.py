"""The supervisor's live view in real Chromium: it changes within a second when a customer
writes and when an agent answers (over the event stream, no polling), ages each wait every
second, turns it amber past the queue's target and red past twice, and opens a waiting
customer's conversation in the console."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from cdmx.actions.queues import do_update_queue
from cdmx.db.engine import Database
from cdmx.db.tables import Queue, User
from tests.browser.conftest import Stack
from tests.browser.test_accessibility import serious
from tests.browser.test_poc import agent_and_phone, login

pytestmark = pytest.mark.browser

SECOND = 1000  # ms: how soon the view must follow what happened


def test_the_live_view_follows_a_customer_and_an_agent_within_a_second(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    with db.write() as session:
        queue_id = session.scalars(select(Queue.id).where(Queue.is_default.is_(True))).one()
        do_update_queue(session, queue_id, target_first_response_seconds=3)
    supervisor = make_user(role="supervisor", availability="away", name="Sofía Supervisora")
    agent = make_user(name="Ana López")
    page, phone, errors = agent_and_phone(browser, stack, agent, height=900)
    live = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    live.on("pageerror", lambda error: errors.append(str(error)))
    login(live, stack.app_url, supervisor)
    live.click("#admin-menu")
    live.click("#supervisor-link")
    expect(live).to_have_url(re.compile(r"/supervisor$"))
    queue = live.locator(f'#live-queues tr[data-queue-id="{queue_id}"]')
    expect(queue.locator(".live-waiting-count")).to_have_text("0", timeout=5000)
    expect(live.locator("#live-nobody")).to_be_visible()
    ana = live.locator(f'#live-agents tr[data-agent-id="{agent.id}"]')
    expect(ana).to_contain_text("Ana López")
    expect(ana).to_contain_text("0 / 8")
    assert serious(live) == []

    # María writes: the agent's console shows her, and the live view follows within a second.
    phone.fill("#composer", "¿Tienen la talla 6?")
    phone.click("#send")
    expect(page.locator(".conversation-item").first).to_contain_text("María", timeout=5000)
    waiting = live.locator("#live-waiting tbody tr")
    expect(waiting).to_have_count(1, timeout=SECOND)
    expect(queue.locator(".live-waiting-count")).to_have_text("1", timeout=SECOND)
    expect(waiting.first).to_contain_text("María")
    expect(waiting.first).to_contain_text("Ana López")
    expect(ana).to_contain_text("1 / 8")

    # The wait ages by the second; past the 3 s target amber, past 6 s red.
    wait = waiting.first.locator(".live-age")
    shown = wait.text_content()
    expect(wait).not_to_have_text(shown or "", timeout=2 * SECOND)
    expect(waiting.first).to_have_attribute("data-level", "due", timeout=5000)
    expect(waiting.first).to_have_attribute("data-level", "late", timeout=5000)
    expect(queue).to_have_attribute("data-level", "late")
    screenshot(live, "live-view")
    assert serious(live) == []  # amber and red keep their contrast

    # Ana answers: the customer no longer waits, and her reply counts, within a second.
    page.locator(".conversation-item").first.click()
    page.fill("#composer", "Sí, en negro y café.")
    page.keyboard.press("Enter")
    expect(page.locator(".message.outbound .message-text").last).to_have_text(
        "Sí, en negro y café."
    )
    expect(waiting).to_have_count(0, timeout=SECOND)
    expect(live.locator("#live-nobody")).to_be_visible()
    expect(queue.locator(".live-waiting-count")).to_have_text("0")
    expect(ana.locator("td").nth(4)).to_have_text("1")

    # She writes again: waiting again; the supervisor opens her conversation from the view.
    phone.fill("#composer", "¿Y en azul?")
    phone.click("#send")
    expect(waiting).to_have_count(1, timeout=5000)
    waiting.first.locator("a.live-open").click()
    expect(live).to_have_url(re.compile(r"/#c\d+$"))
    expect(live.locator("#conversation-name")).to_have_text("María", timeout=5000)
    expect(live.locator(".message.inbound .message-text").last).to_have_text("¿Y en azul?")
    assert errors == []


def test_an_agent_has_no_live_view(
    browser: Any, stack: Stack, make_user: Callable[..., User]
) -> None:
    from playwright.sync_api import expect

    agent = make_user(name="Ana López")
    page = browser.new_context().new_page()
    login(page, stack.app_url, agent)
    expect(page.locator("#supervisor-link")).to_have_count(0)
    page.goto(f"{stack.app_url}/supervisor")
    expect(page).to_have_url(re.compile(r"/$"))
