"""Reply buttons on the customer's phone: the agent sends "¿Confirmas?" with Sí/No through
the API, the customer taps "Sí", and the console shows the reply quoting the question."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_poc import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
CUSTOMER = "5215512345678"


def test_the_customer_taps_a_reply_button_and_the_agent_sees_it(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    user = make_user(name="Ana López")
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
    phone.fill("#composer", "Quiero reservar")
    phone.click("#send")
    agent.locator(".conversation-item").first.click(timeout=5000)

    with httpx.Client(base_url=stack.app_url) as api:
        token = api.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        [conversation] = api.get("/api/v1/conversations", headers=auth).json()["conversations"]
        api.post(f"/api/v1/conversations/{conversation['id']}/take", headers=auth)
        sent = api.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            json={"type": "buttons", "body": "¿Confirmas?", "buttons": [{"title": "Sí"}, {"title": "No"}]},
            headers=auth,
        )  # fmt: skip
        assert sent.status_code == 202, sent.text

    question = phone.locator(".bubble.out", has_text="¿Confirmas?")
    expect(question.locator(".choice-button")).to_have_text(["Sí", "No"], timeout=5000)
    question.locator(".choice-button", has_text="Sí").click()
    expect(phone.locator("#bubble-menu")).to_be_hidden()
    answer = phone.locator('.bubble.in[data-type="interactive"]')
    expect(answer).to_contain_text("Sí", timeout=5000)
    expect(answer.locator(".bubble-quote")).to_have_text("¿Confirmas?")

    reply = agent.locator('.message.inbound[data-type="interactive"]')
    expect(reply).to_contain_text("Sí", timeout=5000)
    screenshot(phone, "phone")
    screenshot(agent, "agent")
    assert errors == []
