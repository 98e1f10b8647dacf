"""The inbox's order and label filter in real Chromium: "Espera más larga" puts the customer
who has waited longest on top with how long, the label filter keeps only the conversations
carrying it, and both are remembered across a reload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from cdmx.actions.labels import do_create_label, do_set_conversation_labels
from cdmx.db.engine import Database
from cdmx.db.tables import Contact, Conversation, User
from tests.browser.conftest import Stack
from tests.browser.test_poc import agent_and_phone

pytestmark = pytest.mark.browser


def test_the_longest_waiting_customer_first_and_a_label_filter(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User]
) -> None:
    from playwright.sync_api import expect

    agent = make_user(name="Ana López")
    page, phone, errors = agent_and_phone(browser, stack, agent, height=900)
    for wa_id, name, text in (
        ("5215512340301", "Primera", "Llevo rato esperando"),
        ("5215512340302", "Segunda", "Acabo de escribir"),
    ):
        phone.fill("#wa-id", wa_id)
        phone.fill("#name", name)
        phone.fill("#composer", text)
        phone.click("#send")
        expect(page.locator(".conversation-item", has_text=name)).to_be_visible(timeout=5000)
        page.wait_for_timeout(1100)  # WhatsApp's timestamps are whole seconds
    names = page.locator(".conversation-item .contact-name")
    expect(names).to_have_text(["Segunda", "Primera"])

    page.select_option("#inbox-order", "waiting")
    expect(names).to_have_text(["Primera", "Segunda"], timeout=5000)
    first = page.locator(".conversation-item").first
    expect(first.locator(".conversation-waiting")).to_have_text("espera 0 min")

    # An admin labels the first one; the label filter keeps only it, after a reload too.
    admin = make_user(role="admin", name="Admin")
    with db.write() as session:
        admin_row = session.get(User, admin.id)
        assert admin_row is not None
        label = do_create_label(session, admin_row, name="Reclamo", color="#C62828")
        conversation_id = session.scalar(
            select(Conversation.id)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(Contact.wa_id == "5215512340301")
        )
        assert conversation_id is not None
        do_set_conversation_labels(session, admin_row, conversation_id, [label.id])
    page.reload()
    expect(page.locator("#inbox-order")).to_have_value("waiting")
    expect(page.locator("#inbox-label")).to_be_visible(timeout=5000)
    page.select_option("#inbox-label", str(label.id))
    expect(names).to_have_text(["Primera"], timeout=5000)
    page.reload()
    expect(names).to_have_text(["Primera"], timeout=5000)
    page.select_option("#inbox-label", "")
    expect(names).to_have_count(2, timeout=5000)
    assert errors == []
