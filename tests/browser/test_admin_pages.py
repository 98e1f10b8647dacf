"""An admin sets up a team in the console: a queue with business hours and a member on
*Colas*, then an agent of capacity 1 in it on *Usuarios*, then deactivates that agent. And
nobody but an admin gets those pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cdmx.actions.users import user_json
from cdmx.db.engine import Database
from cdmx.db.tables import Queue, User
from cdmx.domain.passwords import MIN_LENGTH
from cdmx.queries.queues import member_queue_ids
from tests.browser.conftest import Stack
from tests.browser.test_poc import login
from tests.conftest import PASSWORD

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _queue(db: Database, name: str) -> Queue:
    with db.read() as session:
        queue = session.scalars(select(Queue).where(Queue.name == name)).one()
        session.expunge(queue)
        return queue


@pytest.mark.browser
def test_an_admin_sets_up_a_queue_and_an_agent_then_deactivates_the_agent(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    admin = make_user(role="admin", name="Admin")
    rosa = make_user(name="Rosa Agente")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, stack.app_url, admin)

    # Colas: a new queue "Soporte", open Monday to Friday 9 to 6, closed on holidays.
    page.click("#admin-menu")
    page.click("#queues-link")
    expect(page.locator(".queue-section").first).to_contain_text("predeterminada")
    page.locator("#add-queue").get_by_label("Nombre").fill("Soporte")
    page.click("#add-queue-submit")
    soporte = page.locator(".queue-section", has=page.locator("h2", has_text="Soporte"))
    expect(soporte).to_contain_text("Siempre abierta")
    expect(soporte.locator(".open-now")).to_have_text("Abierta ahora")
    soporte.get_by_label("Siempre abierta").uncheck()
    for day in WEEKDAYS:
        soporte.locator(f'input[name="{day}-0-start"]').fill("09:00")
        soporte.locator(f'input[name="{day}-0-end"]').fill("18:00")
    soporte.get_by_label("Días festivos oficiales de México").check()
    soporte.get_by_label("Agregar una fecha cerrada").fill("2026-12-24")
    soporte.get_by_label("Rosa Agente").check()
    soporte.locator('input[name="sat-0-start"]').fill("10:00")  # no end: refused here
    soporte.get_by_role("button", name="Guardar").click()
    expect(soporte.locator(".form-message")).to_have_text(
        "Sábado: cada horario necesita hora de inicio y de fin."
    )
    soporte.locator('input[name="sat-0-start"]').fill("")
    soporte.get_by_label("Enviar la encuesta al cerrar una conversación").check()
    soporte.get_by_label("Plantilla fuera de la ventana de 24 h").fill("encuesta_csat")
    soporte.get_by_label("Idioma de la plantilla").fill("es_MX")
    screenshot(page, "1-queue-hours")
    soporte.get_by_role("button", name="Guardar").click()

    expect(soporte.locator(".hours-summary")).to_contain_text(
        "Lunes–Viernes 09:00–18:00 · cerrada en días festivos oficiales · Días cerrados: 2026-12-24"
    )
    expect(soporte.get_by_label("Siempre abierta")).not_to_be_checked()
    expect(soporte.locator('input[name="mon-0-start"]')).to_have_value("09:00")
    expect(soporte.locator('input[name="fri-0-end"]')).to_have_value("18:00")
    expect(soporte.locator('input[name="sat-0-start"]')).to_have_value("")
    expect(soporte.get_by_label("Días festivos oficiales de México")).to_be_checked()
    expect(soporte.get_by_label("Rosa Agente")).to_be_checked()
    expect(soporte.get_by_label("Enviar la encuesta al cerrar una conversación")).to_be_checked()
    expect(soporte.locator(".open-now")).to_have_text(re.compile("^(Abierta|Cerrada) ahora$"))
    screenshot(page, "2-queue-saved")
    queue = _queue(db, "Soporte")
    assert queue.hours == {
        "weekly": {
            **{day: [["09:00", "18:00"]] for day in WEEKDAYS}, "sat": [], "sun": [],
        },
        "holidays": "MX",
        "closed_dates": ["2026-12-24"],
    }  # fmt: skip
    assert (queue.csat_enabled, queue.csat_template_name, queue.csat_template_language) == (
        True, "encuesta_csat", "es_MX",
    )  # fmt: skip
    with db.read() as session:
        assert queue.id in member_queue_ids(session, [rosa.id])[rosa.id]

    # Usuarios: an agent of capacity 1 in Soporte only.
    page.click("#admin-menu")
    page.click("#users-link")
    own = page.locator(".user-row", has_text=admin.email)
    expect(own.locator(".user-capacity")).to_have_text("predeterminada (8)")
    add = page.locator("#add-user")
    add.get_by_label("Correo electrónico").fill("luis@test.cdmx")
    add.get_by_label("Nombre").fill("Luis Soporte")
    add.get_by_label("Contraseña").fill("corta")
    add.get_by_label("Capacidad").fill("1")
    add.get_by_label("General").uncheck()
    add.get_by_label("Soporte").check()
    page.click("#add-user-submit")
    expect(add.locator(".form-message")).to_have_text(
        f"The password needs at least {MIN_LENGTH} characters."
    )  # the server's word
    expect(add).to_contain_text(f"La contraseña necesita al menos {MIN_LENGTH} caracteres.")
    add.get_by_label("Contraseña").fill(PASSWORD)
    page.click("#add-user-submit")
    luis = page.locator('.user-row[data-email="luis@test.cdmx"]')
    expect(luis).to_have_attribute("data-active", "true")
    expect(luis).to_contain_text("Luis Soporte")
    expect(luis.locator(".user-role-cell")).to_have_text("Agente")
    expect(luis.locator(".user-capacity")).to_have_text("1")
    expect(luis.locator(".user-queues")).to_have_text("Soporte")
    expect(luis.locator(".user-status")).to_have_text("Activo")
    screenshot(page, "3-user-created")
    with db.read() as session:
        created = session.scalars(select(User).where(User.email == "luis@test.cdmx")).one()
        [shown] = user_json(session, [created])
    assert (shown["role"], shown["capacity"], shown["queue_ids"]) == ("agent", 1, [queue.id])

    # Deactivate him: the row says so, and so does the database.
    luis.get_by_text("Editar").click()
    luis.get_by_label("Cuenta activa").uncheck()
    screenshot(page, "4-user-editing")
    luis.get_by_role("button", name="Guardar").click()
    luis = page.locator('.user-row[data-email="luis@test.cdmx"]')
    expect(luis).to_have_attribute("data-active", "false")
    expect(luis.locator(".user-status")).to_have_text("Inactivo")
    expect(luis.locator(".user-capacity")).to_have_text("1")  # nothing else changed
    screenshot(page, "5-user-deactivated")
    with db.read() as session:
        found = session.get(User, created.id)
        assert found is not None and found.is_active is False and found.capacity == 1
    assert errors == []


async def _sign_in(client: httpx.AsyncClient, user: User) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"email": user.email, "password": PASSWORD, "csrf_token": token.group(1)}
    assert (await client.post("/login", data=form)).status_code == 303


@pytest.mark.parametrize(
    "path", ["/admin/users", "/admin/queues", "/admin/labels", "/admin/webhooks"]
)
async def test_only_admins_get_the_admin_pages(
    client: httpx.AsyncClient, make_user: Callable[..., User], path: str
) -> None:
    signed_out = await client.get(path)
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/login")
    for role in ("agent", "supervisor"):
        client.cookies.clear()
        await _sign_in(client, make_user(role=role))
        refused = await client.get(path)
        assert (refused.status_code, refused.headers["location"]) == (303, "/"), role
    client.cookies.clear()
    await _sign_in(client, make_user(role="admin"))
    page = await client.get(path)
    assert page.status_code == 200
    assert 'id="users-link"' in page.text and 'id="queues-link"' in page.text
    english = await client.get(f"{path}?lang=en")
    assert english.status_code == 200 and '<html lang="en">' in english.text
    console = await client.get("/")
    assert 'href="/admin/users"' in console.text and 'href="/admin/queues"' in console.text
