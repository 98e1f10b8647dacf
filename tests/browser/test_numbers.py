"""An admin sees a number that needs attention, replaces its token on the numbers page,
and the reply that was waiting goes out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update

from cdmx.actions.inbound import do_record_inbound_message
from cdmx.actions.replies import do_send_text
from cdmx.db.engine import Database
from cdmx.db.tables import Channel, User
from cdmx.whatsapp.payload import parse_update
from tests.browser.conftest import Stack
from tests.browser.test_poc import login
from tests.conftest import ACCESS_TOKEN
from tests.factories import text_message

pytestmark = pytest.mark.browser


def test_an_admin_fixes_a_paused_number_and_the_waiting_reply_is_sent(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    import json

    from playwright.sync_api import expect

    admin = make_user(role="admin", name="Admin")
    inbound = parse_update(json.dumps(text_message("hola")).encode()).messages[0]
    with db.write() as session:
        channel = session.scalars(select(Channel)).one()
        message = do_record_inbound_message(session, channel, inbound)
        assert message is not None
        session.execute(
            update(Channel).values(health="needs_attention", health_detail="#190 token expired")
        )
        do_send_text(
            session, session.get(User, admin.id), message.conversation_id, "¿Sigues ahí?", None
        )  # type: ignore[arg-type]
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    login(page, stack.app_url, admin)
    expect(page.locator("#attention-banner")).to_be_visible()
    page.click("#attention-banner a")
    row = page.locator(".number-row").first
    expect(row).to_have_attribute("data-health", "needs_attention")
    expect(row).to_contain_text("#190 token expired")
    screenshot(page, "1-needs-attention")
    assert stack.simulator.sent_requests == []  # paused: nothing went out
    row.locator('input[name="access_token"]').fill(ACCESS_TOKEN)  # the one Meta accepts
    row.locator("button[type=submit]").click()
    expect(page.locator(".number-row").first).to_have_attribute("data-health", "ok", timeout=5000)
    screenshot(page, "2-fixed")
    for _ in range(50):
        if any(r.status_code == 200 for r in stack.simulator.sent_requests):
            break
        page.wait_for_timeout(100)
    accepted = [r for r in stack.simulator.sent_requests if r.status_code == 200]
    assert [r.body["text"]["body"] for r in accepted] == ["¿Sigues ahí?"]
    page.reload()
    expect(page.locator(".number-row").first).to_have_attribute("data-health", "ok")
