"""An admin renames an agent on *Usuarios*, then finds that change on *Auditoría*: filtered
by action and by person, with the old and new name and the address it came from, and a
CSV download of what is shown (and of its own download)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_poc import login

pytestmark = pytest.mark.browser


@pytest.mark.browser
def test_an_admin_finds_a_change_on_the_audit_page(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    admin = make_user(role="admin", availability="offline", name="Alma Admin")
    rosa = make_user(name="Rosa Agente")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, stack.app_url, admin)

    page.click("#admin-menu")
    page.click("#users-link")
    row = page.locator(f'.user-row[data-email="{rosa.email}"]')
    row.get_by_text("Editar").click()
    row.get_by_label("Nombre").fill("Rosa María")
    row.get_by_role("button", name="Guardar").click()
    expect(page.locator(f'.user-row[data-email="{rosa.email}"]')).to_contain_text("Rosa María")

    page.click("#admin-menu")
    page.click("#audit-link")
    expect(page.locator("h1")).to_have_text("Auditoría")
    expect(page.locator(".audit-row").first).to_be_visible()
    filters = page.locator("#audit-filters")
    filters.get_by_label("Acción").select_option("user.changed")
    page.click("#audit-filter")
    rows = page.locator(".audit-row")
    expect(rows).to_have_count(1)
    expect(rows.locator(".audit-actor")).to_contain_text("Alma Admin")
    expect(rows.locator(".audit-actor")).to_contain_text("consola")
    expect(rows.locator(".audit-object")).to_have_text(f"Usuario {rosa.id}")
    expect(rows.locator(".audit-changes")).to_have_text("name: Rosa Agente → Rosa María")
    expect(rows.locator(".audit-address")).to_have_text("127.0.0.1")
    screenshot(page, "1-filtered-by-action")

    # By person: everything Rosa did — she has not signed in, so nothing.
    filters.get_by_label("Acción").select_option("")
    filters.get_by_label("Quién").select_option(label="Rosa María")
    page.click("#audit-filter")
    expect(page.locator("#audit-empty")).to_have_text("No hay registros con estos filtros.")
    # And the admin's: her sign-in and the change, newest first.
    filters.get_by_label("Quién").select_option(label="Alma Admin")
    page.click("#audit-filter")
    expect(page.locator(".audit-row .audit-action code")).to_have_text(
        ["user.changed", "auth.sign_in"]
    )
    expect(page.locator(".audit-row .audit-action").first).to_contain_text("Usuario modificado")
    screenshot(page, "2-filtered-by-person")

    href = page.locator("#audit-download").get_attribute("href")
    assert href is not None and href.startswith("/api/v1/audit.csv?actor_id=")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    exported = httpx.get(f"{stack.app_url}{href}", cookies=cookies)
    assert exported.status_code == 200
    # The download is itself recorded, first (before the rows are read).
    assert [line.split(",")[5] for line in exported.text.splitlines()[1:]] == [
        "export.downloaded", "user.changed", "auth.sign_in"
    ]  # fmt: skip
    assert errors == []
