"""The integration tokens page in real Chromium: an admin creates a token with two scopes and
an expiry, copies it (shown once), the token works on the API and shows its last use, then
the admin revokes it (asking first) and it stops working at once. Agents cannot open the
page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_poc import login

pytestmark = pytest.mark.browser


def test_an_admin_creates_a_token_sees_it_used_and_revokes_it(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    admin = make_user(role="admin", name="Admin")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, stack.app_url, admin)
    page.click("#admin-menu")
    page.click("#integrations-link")
    expect(page.locator("h1")).to_have_text("Integraciones")
    expect(page.locator("#tokens-empty")).to_be_visible()

    add = page.locator("#add-token")
    add.get_by_label("Nombre").fill("Sistema de pedidos")
    add.get_by_role("button", name="Crear token").click()
    expect(add.locator(".form-message")).to_have_text("Elija al menos un permiso.")
    add.get_by_label("conversations:read").check()
    add.get_by_label("messages:write").check()
    add.get_by_label("Vence").select_option("30")
    add.get_by_role("button", name="Crear token").click()
    expect(page.locator("#secret-box")).to_be_visible()
    expect(page.locator("#secret-text")).to_contain_text("no se vuelve a mostrar")
    token = page.locator("#secret-value").input_value()
    assert token.startswith("cdmxi_")
    screenshot(page, "integrations-token-shown")
    page.locator("#secret-done").click()

    row = page.locator(".token-row")
    expect(row).to_contain_text("Sistema de pedidos")
    expect(row).to_contain_text(token[:12])
    expect(row).not_to_contain_text(token[12:])  # shown once: only its prefix now
    expect(row).to_contain_text("conversations:read")
    expect(row.locator(".last-used")).to_have_text("Sin usar")

    auth = {"Authorization": f"Bearer {token}"}
    used = httpx.get(f"{stack.app_url}/api/v1/conversations", headers=auth)
    assert used.status_code == 200, used.text
    page.reload()
    expect(row.locator(".last-used time")).to_have_count(1)

    row.get_by_role("button", name="Revocar").click()
    expect(row).to_contain_text("¿Revocar «Sistema de pedidos»?")
    row.get_by_role("button", name="Sí, revocar").click()
    expect(row.locator(".token-state")).to_have_text("Revocado")
    screenshot(page, "integrations-revoked")
    assert httpx.get(f"{stack.app_url}/api/v1/conversations", headers=auth).status_code == 401
    assert errors == []

    other = browser.new_context().new_page()
    login(other, stack.app_url, make_user(role="agent"))
    other.goto(f"{stack.app_url}/admin/integrations")
    assert other.url.rstrip("/") == stack.app_url.rstrip("/")
    expect(other.locator("#integrations-link")).to_have_count(0)
