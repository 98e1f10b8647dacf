"""Who else is here, in real Chromium: an agent and a supervisor in one conversation see
each other viewing and typing, and it clears as soon as the other closes the tab."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cdmx.db.engine import Database
from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_notes import _start
from tests.browser.test_poc import login

pytestmark = pytest.mark.browser


def test_two_staff_see_each_other_viewing_and_typing(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User]
) -> None:
    from playwright.sync_api import expect

    agent = make_user(name="Ana Agente")
    boss = make_user(name="Beto Supervisor", role="supervisor")
    page, errors = _start(browser, stack, agent, "Hola, ¿me ayudan?")
    other = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(other, stack.app_url, boss)
    cid = page.evaluate("() => Number(window.location.hash.slice(2))")
    other.goto(f"{stack.app_url}/#c{cid}")
    expect(other.locator("#composer")).to_be_visible(timeout=5000)
    expect(page.locator("#conversation-here")).to_have_text(
        "Beto Supervisor está viendo", timeout=5000
    )
    expect(other.locator("#conversation-here")).to_have_text(
        "Ana Agente está viendo", timeout=12000
    )
    page.locator("#composer").press_sequentially("hola")
    expect(other.locator("#conversation-here")).to_contain_text(
        "Ana Agente está escribiendo…", timeout=5000
    )
    # Closing the tab says "left" on its way out: cleared at once, not after 15 s.
    other.close(run_before_unload=True)
    expect(page.locator("#conversation-here")).to_have_text("", timeout=3000)
    assert errors == []
