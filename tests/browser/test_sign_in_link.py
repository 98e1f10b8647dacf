"""An admin adds a user without a password on *Usuarios*, copies the one-time sign-in link
the page shows, and the new agent opens it, chooses a password and lands in the console."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_poc import login

NEW_PASSWORD = "nopal-y-tuna-2026"


@pytest.mark.browser
def test_a_new_agent_chooses_their_password_through_the_link_the_admin_copied(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    admin = make_user(role="admin", name="Admin")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, stack.app_url, admin)
    page.click("#admin-menu")
    page.click("#users-link")
    add = page.locator("#add-user")
    add.get_by_label("Correo electrónico").fill("lupita@test.cdmx")
    add.get_by_label("Nombre").fill("Lupita Ventas")
    page.click("#add-user-submit")  # no password: a link instead
    box = add.locator(".sign-in-link")
    expect(box).to_be_visible()
    expect(box).to_contain_text("Compártelo solo con Lupita Ventas")
    link = box.locator(".sign-in-link-url").input_value()
    assert "/welcome/" in link
    screenshot(page, "1-link-shown")
    box.get_by_role("button", name="Listo").click()
    expect(page.locator('.user-row[data-email="lupita@test.cdmx"]')).to_contain_text(
        "Lupita Ventas"
    )

    newcomer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    newcomer.on("pageerror", lambda error: errors.append(str(error)))
    newcomer.goto(link.replace(link.split("/welcome/")[0], stack.app_url))
    expect(newcomer.locator("h2")).to_have_text("Elige tu contraseña")
    newcomer.get_by_label("Contraseña nueva").fill(NEW_PASSWORD)
    newcomer.get_by_label("Repite la contraseña").fill("otra-distinta-2026")
    newcomer.click("#welcome-submit")
    expect(newcomer.locator("#welcome-error")).to_have_text("Las contraseñas no coinciden.")
    newcomer.get_by_label("Contraseña nueva").fill(NEW_PASSWORD)
    newcomer.get_by_label("Repite la contraseña").fill(NEW_PASSWORD)
    screenshot(newcomer, "2-choose-password")
    newcomer.click("#welcome-submit")
    expect(newcomer.locator("#conversation-list")).to_be_visible()  # the console, signed in
    # The link is spent.
    newcomer.goto(link.replace(link.split("/welcome/")[0], stack.app_url))
    expect(newcomer.locator("#welcome-expired")).to_contain_text("ya se usó o venció")
    assert errors == []
