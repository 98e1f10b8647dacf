"""The console follows what the server decides about its user: an agent whose tab the
presence sweep took for gone sees themself offline at once; a deactivated one lands on the
sign-in page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from cdmx.actions.users import do_set_availability, do_update_user
from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.workers.presence import sweep_presence
from tests.browser.conftest import Stack
from tests.browser.test_poc import login


@pytest.mark.browser
def test_the_console_shows_presence_and_deactivation_live(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User]
) -> None:
    from playwright.sync_api import expect

    agent = make_user(name="Rosa Agente")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, stack.app_url, agent)
    expect(page.locator("#availability")).to_have_value("available")
    # The stream follows: a change made elsewhere shows at once (the sweep below must not
    # run before the tab listens, or its event would fall before the stream's start).
    with db.write() as session:
        do_set_availability(session, agent.id, "away")
    expect(page.locator("#availability")).to_have_value("away")

    # As if the tab had gone a while ago: the sweep sets the agent offline, live.
    with db.read() as session:
        seen = session.scalar(select(User.last_seen_at).where(User.id == agent.id))
    assert seen is not None
    assert sweep_presence(db, 120, seen + timedelta(hours=1)) == [agent.id]
    expect(page.locator("#availability")).to_have_value("offline")

    with db.write() as session:
        do_update_user(session, agent.id, active=False)
    page.wait_for_url(f"{stack.app_url}/login", timeout=10_000)
    assert errors == []
