"""The labels and customer fields page in real Chromium: an admin creates a label, renames
and recolours it, deletes another after confirming; adds a customer field whose key follows
its name, and deletes it. What the page shows after each change is what the API has."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cdmx.actions.labels import do_create_label
from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.queries.contacts import contact_fields
from cdmx.queries.labels import all_labels
from tests.browser.conftest import Stack
from tests.browser.test_poc import login

pytestmark = pytest.mark.browser


def test_an_admin_manages_labels_and_customer_fields(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    admin = make_user(role="admin", name="Admin")
    with db.write() as session:
        admin_row = session.get(User, admin.id)
        assert admin_row is not None
        do_create_label(session, admin_row, name="Spam", color="#777777")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, stack.app_url, admin)
    page.click("#admin-menu")
    page.click("#labels-link")
    expect(page.locator("h1")).to_have_text("Etiquetas y campos del cliente")

    # A new label.
    add = page.locator("#add-label")
    add.get_by_label("Nombre").fill("Venta")
    add.get_by_label("Color").fill("#1f8a4c")
    add.get_by_role("button", name="Crear etiqueta").click()
    venta = page.locator(".label-row", has_text="Venta")
    expect(venta).to_contain_text("#1F8A4C")

    # Renamed and recoloured.
    venta.get_by_text("Editar").click()
    form = venta.locator(".label-form")
    form.get_by_label("Nombre").fill("Venta cerrada")
    form.get_by_label("Color").fill("#c62828")
    form.get_by_role("button", name="Guardar").click()
    expect(page.locator(".label-row", has_text="Venta cerrada")).to_contain_text("#C62828")

    # A name already taken is refused in the form, and nothing changes.
    add = page.locator("#add-label")
    add.get_by_label("Nombre").fill("spam")
    add.get_by_role("button", name="Crear etiqueta").click()
    expect(add.locator(".form-message")).not_to_be_empty()

    # Deleting asks first.
    spam = page.locator(".label-row", has_text="Spam")
    spam.get_by_role("button", name="Eliminar").click()
    expect(spam.locator(".row-confirm")).to_contain_text("¿Eliminar la etiqueta «Spam»?")
    spam.get_by_role("button", name="Sí, eliminar").click()
    expect(page.locator(".label-row")).to_have_count(1)
    with db.read() as session:
        assert [(label["name"], label["color"]) for label in all_labels(session)] == [
            ("Venta cerrada", "#C62828")
        ]

    # A customer field: its key follows the name, accents and spaces dropped.
    fields = page.locator("#add-field")
    fields.get_by_label("Nombre del campo").fill("Número de cliente")
    expect(fields.get_by_label("Clave")).to_have_value("numero_de_cliente")
    fields.get_by_role("button", name="Agregar campo").click()
    row = page.locator(".field-row", has_text="Número de cliente")
    expect(row).to_contain_text("numero_de_cliente")
    screenshot(page, "labels-page")
    with db.read() as session:
        assert [(f["key"], f["label"]) for f in contact_fields(session)] == [
            ("numero_de_cliente", "Número de cliente")
        ]
    row.get_by_role("button", name="Eliminar").click()
    row.get_by_role("button", name="Sí, eliminar").click()
    expect(page.locator(".field-row")).to_have_count(0)
    expect(page.locator("#fields-empty")).to_be_visible()
    assert errors == []
