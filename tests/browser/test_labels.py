"""Labels in real Chromium: an agent opens a conversation, presses `l`, ticks a label with
the keyboard alone, and sees it on the header and on the inbox row; the list filtered by
that label holds the conversation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cdmx.actions.labels import do_create_label
from cdmx.db.engine import Database
from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_poc import agent_and_phone
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_an_agent_labels_a_conversation_with_the_keyboard(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    agent = make_user(name="Ana López")
    page, phone, errors = agent_and_phone(browser, stack, agent, height=900)
    phone.fill("#name", "María González")
    phone.fill("#composer", "Quiero comprar dos cajas")
    phone.click("#send")
    item = page.locator(".conversation-item").first
    expect(item).to_contain_text("María", timeout=5000)
    # An admin defines the labels (after the customer was routed to Ana).
    admin = make_user(role="admin", name="Admin")
    with db.write() as session:
        admin_row = session.get(User, admin.id)
        assert admin_row is not None
        venta = do_create_label(session, admin_row, name="Venta", color="#1F8A4C").id
        do_create_label(session, admin_row, name="Reclamo", color="#C62828")
    item.click()
    # The composer takes the focus once the thread has loaded: wait for that, then leave it.
    expect(page.locator("#composer")).to_be_focused(timeout=5000)

    # Out of the composer, `l` opens the picker; typing narrows, Enter ticks, Enter saves.
    page.keyboard.press("Escape")
    page.locator("#thread").focus()
    page.keyboard.press("l")
    dialog = page.locator("#form-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".labels-option")).to_have_count(2)
    page.keyboard.type("ven")
    expect(dialog.locator(".labels-option:visible")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(dialog.locator(f'.labels-option input[value="{venta}"]')).to_be_checked()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()

    expect(page.locator("#conversation-labels .label-chip")).to_have_text(["Venta"], timeout=5000)
    expect(item.locator(".label-chip")).to_have_text(["Venta"])
    screenshot(page, "labelled")

    # The inbox filters by it (the API the console's filter reads).
    token = httpx.post(
        f"{stack.app_url}/api/v1/auth/token", json={"email": agent.email, "password": PASSWORD}
    )
    assert token.status_code == 200, token.text
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    listed = httpx.get(
        f"{stack.app_url}/api/v1/conversations", params={"label_id": venta}, headers=auth
    ).json()["conversations"]
    assert [[label["name"] for label in c["labels"]] for c in listed] == [["Venta"]]
    assert errors == []
