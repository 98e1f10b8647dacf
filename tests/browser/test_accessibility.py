"""axe-core (the axe-playwright-python package carries it; nothing is downloaded) finds no
serious or critical violation on the sign-in page, the console with a conversation and the
customer's profile open, and every admin page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_poc import agent_and_phone, login

pytestmark = pytest.mark.browser

ADMIN_PAGES = (
    "/admin/users",
    "/admin/queues",
    "/admin/numbers",
    "/admin/labels",
    "/admin/webhooks",
    "/admin/audit",
    "/reports",
    "/canned",
)


def serious(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_sign_in_page(browser: Any, stack: Stack) -> None:
    page = browser.new_context().new_page()
    page.goto(f"{stack.app_url}/login")
    page.wait_for_selector("form")
    assert serious(page) == []


def test_the_console_with_a_conversation_and_the_profile_open(
    browser: Any, stack: Stack, make_user: Callable[..., User]
) -> None:
    from playwright.sync_api import expect

    page, phone, _ = agent_and_phone(browser, stack, make_user(name="Ana López"), height=900)
    phone.fill("#composer", "Hola, ¿me ayudan?")
    phone.click("#send")
    item = page.locator(".conversation-item").first
    expect(item).to_contain_text("María", timeout=5000)
    assert serious(page) == []
    item.click()
    expect(page.locator("#thread .message")).not_to_have_count(0, timeout=5000)
    page.click("#profile-button")
    expect(page.locator("#profile-panel [data-field=name]")).to_be_visible(timeout=5000)
    assert serious(page) == []


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_an_admin_page(
    browser: Any, stack: Stack, make_user: Callable[..., User], path: str
) -> None:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(page, stack.app_url, make_user(role="admin", name="Admin"))
    page.goto(f"{stack.app_url}{path}")
    page.wait_for_load_state("networkidle")
    assert serious(page) == []
