"""The "@" picker in real Chromium: in a note, "@be" lists the colleagues whose name starts
so, typing narrows, the keyboard chooses, and the note that is sent names the colleague — who
gets the mention — and shows the name marked. In a reply "@" offers nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from cdmx.db.engine import Database
from cdmx.db.tables import Mention, User
from tests.browser.conftest import Stack
from tests.browser.test_notes import _start

pytestmark = pytest.mark.browser


def test_an_agent_mentions_a_colleague_with_the_keyboard(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User]
) -> None:
    from playwright.sync_api import expect

    beto = make_user(name="Beto Ruiz", availability="away")
    make_user(name="Bernardo Díaz", role="supervisor", availability="away")
    page, errors = _start(browser, stack, make_user(name="Ana López"), "¿Me pueden facturar?")
    composer = page.locator("#composer")
    popup = page.locator("#mention-popup")
    options = page.locator("#mention-list [role=option]")

    composer.click()
    composer.type("@be")
    expect(popup).to_be_hidden()  # a reply to the customer: nobody is offered

    composer.fill("")
    page.click("#mode-note")
    composer.click()
    composer.type("Pásale la factura @be")
    expect(popup).to_be_visible()
    expect(options).to_have_text(["@Bernardo Díaz, Supervisor", "@Beto Ruiz, Agente"])
    composer.type("t")
    expect(options).to_have_text(["@Beto Ruiz, Agente"])
    composer.press("Backspace")
    composer.press("ArrowDown")  # from Bernardo to Beto
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    composer.press("Enter")
    expect(popup).to_be_hidden()
    expect(composer).to_have_value("Pásale la factura @Beto Ruiz ")
    composer.type("por favor")
    composer.press("Enter")

    note = page.locator(".internal-note .note-text")
    expect(note).to_have_text("Pásale la factura @Beto Ruiz por favor", timeout=5000)
    expect(note.locator(".mention")).to_have_text("@Beto Ruiz")
    with db.read() as session:
        assert session.scalars(select(Mention.user_id)).all() == [beto.id]

    # An "@" inside a word (an e-mail address) offers nothing; Escape closes the list.
    composer.type("escribe a factura@be")
    expect(popup).to_be_hidden()
    composer.fill("")
    composer.type("@")
    expect(options).to_have_count(2)
    composer.press("Escape")
    expect(popup).to_be_hidden()
    expect(composer).to_have_value("@")
    assert errors == []
