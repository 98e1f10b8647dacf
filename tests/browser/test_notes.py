"""Internal notes and transfers with a note, in real Chromium: the composer's "Nota interna"
mode writes a note the thread shows apart from WhatsApp messages (and that never reaches
the Graph API, even with the 24-hour window closed), and a transfer to another agent carries
a note that the receiver reads first, right after the customer's message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, Message, User
from tests.browser.conftest import Stack
from tests.browser.test_poc import agent_and_phone, login

pytestmark = pytest.mark.browser


def _start(browser: Any, stack: Stack, agent: User, text: str) -> tuple[Any, list[str]]:
    """A customer writes; the agent (logged in) opens the conversation."""
    from playwright.sync_api import expect

    page, phone, errors = agent_and_phone(browser, stack, agent, height=900)
    phone.fill("#composer", text)
    phone.click("#send")
    item = page.locator(".conversation-item").first
    expect(item).to_contain_text("María", timeout=5000)
    item.click()
    expect(page.locator(".message.inbound .message-text").first).to_have_text(text, timeout=5000)
    expect(page.locator("#composer")).to_be_enabled()
    return page, errors


def _graph_sends(stack: Stack) -> list[dict[str, Any]]:
    """What the app asked the Graph API to send (read receipts carry no type)."""
    return [r.body for r in stack.simulator.sent_requests if r.body.get("type")]


def _mentions(stack: Stack, text: str) -> bool:
    return any(text in str(r.body) for r in stack.simulator.sent_requests)


def _thread_kinds(page: Any) -> list[str]:
    """The thread's entries in order: "inbound", "outbound", "note" or "system"."""
    return page.eval_on_selector_all(
        "#thread > .message, #thread > .internal-note, #thread > .system-notice",
        """nodes => nodes.map(node =>
            node.classList.contains("internal-note") ? "note"
            : node.classList.contains("system-notice") ? "system"
            : node.classList.contains("inbound") ? "inbound" : "outbound")""",
    )


def test_an_internal_note_shows_apart_and_is_never_sent_to_whatsapp(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    page, errors = _start(browser, stack, make_user(name="Ana López"), "¿Me pueden facturar?")
    sends_before = len(_graph_sends(stack))
    composer = page.locator("#composer")
    form = page.locator("#compose-form")

    # Keyboard: Tab reaches the mode switch, the arrow moves to "Nota interna".
    page.focus("#mode-reply")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#mode-note")).to_have_attribute("aria-checked", "true")
    expect(page.locator("#mode-note")).to_be_focused()
    expect(form).to_have_class("composer note-mode")
    expect(composer).to_have_attribute("placeholder", "Nota interna: solo la ve el equipo")
    expect(page.locator("#note-hint")).to_be_visible()
    # Notes are text only: no attachments, voice notes or templates.
    expect(page.locator("#composer-plus")).to_be_disabled()
    expect(page.locator("#record-button")).to_be_disabled()

    composer.fill("Pidió factura; el RFC viene en el pedido 7781")
    page.keyboard.press("Enter")
    note = page.locator(".internal-note")
    expect(note).to_have_count(1, timeout=5000)
    expect(note.locator(".note-author")).to_have_text("Nota interna · Ana López")
    expect(note.locator(".note-text")).to_have_text("Pidió factura; el RFC viene en el pedido 7781")
    expect(note.locator(".tick")).to_have_count(0)
    expect(page.locator(".message.outbound")).to_have_count(0)
    expect(composer).to_have_value("")
    expect(form).to_have_class("composer note-mode")  # it stays a note until switched back
    screenshot(page, "1-note")

    with db.read() as session:
        stored = session.scalars(select(Message).where(Message.text.contains("RFC"))).all()
        assert [(m.direction, m.type) for m in stored] == [("internal", "text")]
    page.wait_for_timeout(500)  # anything the outbox would send has had its chance
    assert len(_graph_sends(stack)) == sends_before
    assert not _mentions(stack, "RFC")

    # Back to replying: the composer looks like itself again.
    page.click("#mode-reply")
    expect(form).to_have_class("composer")
    expect(composer).to_have_attribute("placeholder", "Escribe un mensaje")

    # With the 24-hour window closed a reply needs a template, a note does not.
    with db.write() as session:
        session.execute(
            update(Conversation).values(last_inbound_at=datetime.now(UTC) - timedelta(hours=25))
        )
    page.reload()
    expect(page.locator(".internal-note")).to_have_count(1, timeout=5000)
    expect(composer).to_be_disabled()
    page.click("#mode-note")
    expect(composer).to_be_enabled()
    expect(page.locator("#composer-note")).to_be_hidden()
    composer.fill("Ventana cerrada: mandarle la plantilla de factura mañana")
    page.click("#send-button")
    expect(page.locator(".internal-note")).to_have_count(2, timeout=5000)
    screenshot(page, "2-note-with-the-window-closed")
    page.wait_for_timeout(300)
    assert len(_graph_sends(stack)) == sends_before
    assert not _mentions(stack, "plantilla de factura")
    assert errors == []


def test_a_transfer_with_a_note_reaches_the_other_agent_note_first(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    ana = make_user(name="Ana López")
    beto = make_user(name="Beto Ruiz", availability="away")  # so the customer goes to Ana
    page, errors = _start(browser, stack, ana, "Quiero cambiar mi plan")

    page.click("#transfer-button")
    dialog = page.locator("#transfer-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#transfer-select")).to_be_focused()
    expect(dialog.locator('optgroup[label="Colas"] option').first).to_be_attached(timeout=5000)
    page.click("#transfer-submit")  # nobody chosen yet
    expect(page.locator("#transfer-select-error")).to_have_text("Elige un agente o una cola")
    page.select_option("#transfer-select", f"agent:{beto.id}")
    expect(dialog.get_by_label("Nota para quien recibe (opcional)")).to_be_visible()
    page.fill("#transfer-note", "Cliente de empresa; ofrecer el plan anual")
    screenshot(page, "1-transfer-dialog")
    page.click("#transfer-submit")
    expect(dialog).to_be_hidden()
    expect(page.locator("#toast")).to_contain_text("Conversación transferida a Beto Ruiz")

    with db.read() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.assignee_id == beto.id
        notes = session.scalars(select(Message).where(Message.direction == "internal")).all()
        assert [(n.text, n.author_id) for n in notes] == [
            ("Cliente de empresa; ofrecer el plan anual", ana.id)
        ]
    assert not _mentions(stack, "plan anual")

    other = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    other.on("pageerror", lambda error: errors.append(str(error)))
    login(other, stack.app_url, beto)
    item = other.locator(".conversation-item").first
    expect(item).to_contain_text("María", timeout=5000)
    item.click()
    note = other.locator(".internal-note")
    expect(note.locator(".note-author")).to_have_text("Nota interna · Ana López", timeout=5000)
    expect(note.locator(".note-text")).to_have_text("Cliente de empresa; ofrecer el plan anual")
    expect(other.locator("#conversation-assignee")).to_have_text("Asignada a ti")
    kinds = [kind for kind in _thread_kinds(other) if kind != "system"]
    assert kinds[:2] == ["inbound", "note"], kinds
    screenshot(other, "2-receiver-reads-the-note")
    assert errors == []
