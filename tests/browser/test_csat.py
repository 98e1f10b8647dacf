"""The satisfaction survey end to end: the agent closes the conversation, the customer's
phone shows the list (or, once the 24-hour window has shut, the queue's template), the
customer picks a score, and the agent's header shows the rating at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, User
from tests.browser.conftest import Stack
from tests.browser.test_poc import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
CUSTOMER = "5215512345678"


def test_the_customer_rates_the_closed_conversation_and_the_agent_sees_it(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    admin = make_user(role="admin", availability="away")
    user = make_user(name="Ana López")
    with httpx.Client(base_url=stack.app_url) as api:
        token = api.post("/api/v1/auth/token", json={"email": admin.email, "password": PASSWORD})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        [queue] = api.get("/api/v1/queues", headers=auth).json()["queues"]
        turned_on = api.patch(
            f"/api/v1/queues/{queue['id']}", json={"csat_enabled": True}, headers=auth
        )
        assert turned_on.status_code == 200, turned_on.text
    agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    phone = browser.new_context(viewport={"width": 420, "height": 900}).new_page()
    errors: list[str] = []
    for page in (agent, phone):
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    login(agent, stack.app_url, user)
    phone.goto(stack.phone_url)
    phone.fill("#wa-id", CUSTOMER)
    phone.fill("#name", "María")
    phone.fill("#composer", "Ya llegó mi pedido, gracias")
    phone.click("#send")
    agent.locator(".conversation-item").first.click(timeout=5000)
    expect(agent.locator("#conversation-csat")).to_be_hidden()
    agent.click("#close-button")
    expect(agent.locator("#conversation-status")).to_have_text("Cerrada", timeout=5000)

    survey = phone.locator(".bubble.out", has_text="¿Cómo calificarías la atención")
    survey.locator(".list-open").click(timeout=5000)
    expect(survey.locator(".list-row")).to_have_count(5)
    survey.locator(".list-row", has_text="5 — Excelente").click()
    expect(phone.locator('.bubble.in[data-type="interactive"]')).to_contain_text(
        "5 — Excelente", timeout=5000
    )

    expect(agent.locator("#conversation-csat")).to_have_text("Calificación: 5/5", timeout=5000)
    expect(agent.locator("#conversation-status")).to_have_text("Cerrada")
    screenshot(phone, "phone")
    screenshot(agent, "agent")
    assert errors == []


def test_outside_the_window_the_customer_taps_the_template_s_button(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    admin = make_user(role="admin", availability="away")
    user = make_user(name="Ana López")
    agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    phone = browser.new_context(viewport={"width": 420, "height": 900}).new_page()
    errors: list[str] = []
    for page in (agent, phone):
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    phone.goto(stack.phone_url)
    phone.fill("#wa-id", CUSTOMER)
    phone.fill("#name", "María")
    phone.fill("#composer", "Gracias por todo")
    phone.click("#send")
    with httpx.Client(base_url=stack.app_url) as api:
        token = api.post("/api/v1/auth/token", json={"email": admin.email, "password": PASSWORD})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert api.post("/api/v1/templates/sync", headers=auth).status_code == 200
        [queue] = api.get("/api/v1/queues", headers=auth).json()["queues"]
        settings = {
            "csat_enabled": True, "csat_template_name": "encuesta_csat",
            "csat_template_language": "es_MX",
        }  # fmt: skip
        assert api.patch(f"/api/v1/queues/{queue['id']}", json=settings, headers=auth).is_success
    login(agent, stack.app_url, user)
    agent.locator(".conversation-item").first.click(timeout=5000)
    with db.write() as session:  # a day has passed since she wrote
        session.execute(
            update(Conversation).values(last_inbound_at=datetime.now(UTC) - timedelta(hours=25))
        )
    agent.click("#close-button")
    expect(agent.locator("#conversation-status")).to_have_text("Cerrada", timeout=5000)

    survey = phone.locator(".bubble.out", has_text="¿Cómo calificarías la atención")
    expect(survey.locator(".choice-button")).to_have_text(
        ["5 Excelente", "3 Regular", "1 Mala"], timeout=5000
    )
    survey.locator(".choice-button", has_text="3 Regular").click()
    expect(phone.locator('.bubble.in[data-type="button"]')).to_contain_text(
        "3 Regular", timeout=5000
    )
    expect(agent.locator("#conversation-csat")).to_have_text("Calificación: 3/5", timeout=5000)
    screenshot(phone, "phone")
    screenshot(agent, "agent")
    assert errors == []
