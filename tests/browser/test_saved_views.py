"""Saved views in real Chromium: a supervisor filters "Todas" to the waiting conversations
in the longest-waiting order, saves that as a view, goes elsewhere, and one click on the
view's chip brings back the tab, the filter and the order — after a reload too; deleting the
chip deletes the view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.queries.views import saved_views
from tests.actions.test_outbox import open_conversation
from tests.browser.conftest import Stack
from tests.browser.test_poc import login
from tests.browser.test_supervisor_inbox import item, listed

pytestmark = pytest.mark.browser


def test_a_supervisor_saves_a_view_and_comes_back_to_it_with_one_click(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User]
) -> None:
    from playwright.sync_api import expect

    supervisor = make_user(role="supervisor", availability="away", name="Sofía Supervisora")
    ana = make_user(name="Ana López")
    assigned = open_conversation(db, wa_id="5215500000011")  # routing: Ana
    with db.write() as session:
        row = session.get(User, ana.id)
        assert row is not None
        row.availability = "away"
    waiting = open_conversation(db, wa_id="5215500000012")  # nobody available: queued

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, stack.app_url, supervisor)
    expect(page.locator("#conversation-list")).not_to_have_attribute("aria-busy", "true")
    page.click("#tab-all")
    expect(item(page, assigned)).to_be_visible(timeout=5000)
    page.select_option("#filter-status", "queued")
    page.select_option("#inbox-order", "waiting")
    expect(item(page, assigned)).to_be_hidden(timeout=5000)
    expect(item(page, waiting)).to_be_visible()
    assert listed(page) == [waiting]

    page.click("#save-view")
    dialog = page.locator("#form-dialog")
    dialog.get_by_label("Nombre de la vista").fill("En cola")
    dialog.get_by_role("button", name="Guardar").click()
    chip = page.locator(".saved-view-open", has_text="En cola")
    expect(chip).to_have_attribute("aria-pressed", "true")
    with db.read() as session:
        user = session.get(User, supervisor.id)
        assert user is not None
        views = saved_views(session, user)
    unset = {"queue_id": None, "label_id": None, "assignee_id": None}
    assert [(v["name"], v["filters"]) for v in views] == [
        ("En cola", {"view": "all", "status": "queued", "order": "waiting", **unset})
    ]

    # Elsewhere: another tab, another order; the chip is no longer what the inbox shows.
    page.select_option("#inbox-order", "recent")
    page.click("#tab-mine")
    expect(chip).to_have_attribute("aria-pressed", "false")

    # One click back, after a reload too.
    for reload in (False, True):
        if reload:
            page.reload()
            page.click("#tab-mine")
        chip = page.locator(".saved-view-open", has_text="En cola")
        chip.click()
        expect(page.locator("#tab-all")).to_have_attribute("aria-selected", "true")
        expect(page.locator("#filter-status")).to_have_value("queued")
        expect(page.locator("#inbox-order")).to_have_value("waiting")
        expect(item(page, waiting)).to_be_visible(timeout=5000)
        expect(item(page, assigned)).to_be_hidden()
        expect(chip).to_have_attribute("aria-pressed", "true")

    page.get_by_role("button", name="Eliminar la vista En cola").click()
    expect(page.locator(".saved-view-open")).to_have_count(0)
    with db.read() as session:
        user = session.get(User, supervisor.id)
        assert user is not None
        assert saved_views(session, user) == []
    assert errors == []
