"""A supervisor's inbox in real Chromium: the "Todas" view shows only their queues, filters
by queue, status and agent (read again from the server each time), and the transfer dialog
hands a conversation assigned to one agent to another."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cdmx.actions.assignment import do_transfer_to_queue
from cdmx.actions.queues import do_create_queue
from cdmx.actions.users import do_update_user
from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, User
from tests.actions.test_outbox import open_conversation
from tests.browser.conftest import Stack
from tests.browser.test_poc import login

pytestmark = pytest.mark.browser


def item(page: Any, conversation_id: int) -> Any:
    return page.locator(f'.conversation-item[data-id="{conversation_id}"]')


def listed(page: Any) -> list[int]:
    return [int(n) for n in page.eval_on_selector_all(
        "#conversation-list .conversation-item", "nodes => nodes.map(n => n.dataset.id)"
    )]  # fmt: skip


def test_a_supervisor_filters_the_all_view_and_reassigns_a_conversation(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    supervisor = make_user(role="supervisor", availability="away", name="Sofía Supervisora")
    ana, beto = make_user(name="Ana López"), make_user(name="Beto Ruiz")
    carla = make_user(name="Carla Soporte")
    with db.write() as session:
        soporte = do_create_queue(session, name="Soporte").id
        do_update_user(session, carla.id, queue_ids=[soporte])
    anas = open_conversation(db, wa_id="5215500000001")  # routing: Ana, then Beto
    betos = open_conversation(db, wa_id="5215500000002")
    elsewhere = open_conversation(db, wa_id="5215500000003")
    with db.write() as session:  # to Soporte, where Carla takes it
        admin = make_user(role="admin", availability="away")
        do_transfer_to_queue(session, session.get(User, admin.id), elsewhere, soporte)  # type: ignore[arg-type]
    with db.read() as session:
        owners = {c.id: c.assignee_id for c in session.query(Conversation)}
    assert owners == {anas: ana.id, betos: beto.id, elsewhere: carla.id}

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, stack.app_url, supervisor)
    filters = page.locator("#inbox-filters")
    expect(filters).to_be_hidden()  # only on "Todas"
    # The console has loaded (its list is no longer busy) before the tab is clicked.
    expect(page.locator("#conversation-list")).not_to_have_attribute("aria-busy", "true")
    page.click("#tab-all")
    expect(filters).to_be_visible()
    expect(item(page, betos)).to_be_visible(timeout=5000)
    assert sorted(listed(page)) == sorted([anas, betos])  # never Soporte's
    # Keyboard: from the tab to the first filter.
    page.focus("#tab-all")
    page.keyboard.press("Tab")
    expect(page.locator("#filter-queue")).to_be_focused()
    # The supervisor's queue only (General), and the agents of it (never Carla).
    queue_names = page.eval_on_selector_all("#filter-queue option", "o => o.map(x => x.text)")
    assert queue_names == ["Colas", "General"]
    agent_names = page.eval_on_selector_all("#filter-agent option", "o => o.map(x => x.text)")
    assert "Carla Soporte" not in agent_names and "Beto Ruiz" in agent_names
    statuses = page.eval_on_selector_all("#filter-status option", "o => o.map(x => x.value)")
    assert statuses == ["", "queued", "assigned", "snoozed", "closed"]

    page.select_option("#filter-agent", str(beto.id))
    expect(item(page, anas)).to_have_count(0)
    expect(item(page, betos)).to_be_visible()
    screenshot(page, "1-filtered-by-agent")
    page.select_option("#filter-agent", "")
    page.select_option("#filter-queue", label="General")
    expect(item(page, anas)).to_be_visible()
    assert sorted(listed(page)) == sorted([anas, betos])
    page.select_option("#filter-status", "closed")
    expect(page.locator("#inbox-empty")).to_have_text(
        "Ninguna conversación coincide con los filtros."
    )
    page.select_option("#filter-status", "")
    expect(item(page, anas)).to_be_visible()

    # Reassign Ana's conversation to Beto from the transfer dialog.
    item(page, anas).click()
    transfer = page.locator("#transfer-button")
    expect(transfer).to_be_visible(timeout=5000)
    transfer.click()
    expect(page.locator("#transfer-dialog")).to_be_visible()
    expect(page.locator(f'#transfer-select option[value="agent:{beto.id}"]')).to_have_count(1)
    page.select_option("#transfer-select", f"agent:{beto.id}")
    screenshot(page, "2-reassign")
    page.click("#transfer-submit")
    expect(page.locator("#toast")).to_contain_text("Conversación transferida a Beto Ruiz")
    with db.read() as session:
        moved = session.get(Conversation, anas)
        assert moved is not None and moved.assignee_id == beto.id
    page.select_option("#filter-agent", str(beto.id))
    expect(item(page, anas)).to_be_visible()
    expect(item(page, betos)).to_be_visible()
    assert errors == []
