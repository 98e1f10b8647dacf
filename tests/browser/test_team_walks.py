"""A team's day, walked in real Chromium with the customer on the simulator's phone page: a
customer who writes outside hours is told so on the phone and waits in the number's queue,
where its members see it with the message labelled *Sistema* and an agent of another queue
never does; and a conversation put aside with *Posponer* comes back to its agent when the
customer writes again, or when the agent wakes it with *Reactivar*."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cdmx.actions.inbound import do_record_inbound_message
from cdmx.actions.queues import do_create_queue
from cdmx.actions.users import do_update_user
from cdmx.db.engine import Database
from cdmx.db.tables import Channel, Contact, Conversation, Message, User
from cdmx.whatsapp.payload import parse_update
from tests.actions.test_automatic import closed_now
from tests.actions.test_inbound import channel_of
from tests.actions.test_queues import second_number
from tests.browser.conftest import Stack
from tests.browser.test_poc import CUSTOMER, login
from tests.factories import text_message

pytestmark = pytest.mark.browser

ZONE = ZoneInfo("America/Mexico_City")
CLOSED = "Estamos cerrados; te respondemos mañana desde las 9:00."
# Every conversation-item the console ever renders, with its text, from the moment this is
# installed: a conversation that flashed in the list and went away is still caught.
WATCH_LIST = """() => {
    window.__seen = [];
    const note = (node) => {
        if (node.nodeType !== 1) return;
        const items = node.matches(".conversation-item")
            ? [node] : [...node.querySelectorAll(".conversation-item")];
        for (const item of items) window.__seen.push([item.dataset.id, item.textContent]);
    };
    note(document.getElementById("conversation-list"));
    new MutationObserver((records) => {
        for (const record of records) record.addedNodes.forEach(note);
    }).observe(document.getElementById("conversation-list"), {childList: true, subtree: true});
}"""


def _console(browser: Any, stack: Stack, user: User, errors: list[str]) -> Any:
    """A signed-in console in its own browser context, on Mexico City's clock."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id="America/Mexico_City"
    )
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, stack.app_url, user)
    return page


def _phone(browser: Any, stack: Stack, errors: list[str]) -> Any:
    """The customer's phone page, as María."""
    phone = browser.new_context(viewport={"width": 420, "height": 900}).new_page()
    phone.on("pageerror", lambda error: errors.append(str(error)))
    phone.goto(stack.phone_url)
    phone.fill("#wa-id", CUSTOMER)
    phone.fill("#name", "María")
    return phone


def _write(phone: Any, text: str) -> None:
    phone.fill("#composer", text)
    phone.click("#send")


def _item(page: Any, conversation_id: int) -> Any:
    return page.locator(f'.conversation-item[data-id="{conversation_id}"]')


def _listed(page: Any) -> list[int]:
    return [int(n) for n in page.eval_on_selector_all(
        "#conversation-list .conversation-item", "nodes => nodes.map(n => n.dataset.id)"
    )]  # fmt: skip


def _customer_writes(db: Database, channel: Channel, text: str, wa_id: str, name: str) -> int:
    """A customer's message as the inbox worker records it; the conversation's id."""
    body = json.dumps(text_message(text, wa_id=wa_id, name=name)).encode()
    with db.write() as session:
        message = do_record_inbound_message(session, channel, parse_update(body).messages[0])
        assert message is not None
        return message.conversation_id


def _conversation(db: Database, conversation_id: int) -> Conversation:
    with db.read() as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        session.expunge(found)
        return found


def _maria(db: Database) -> Conversation:
    with db.read() as session:
        found = session.scalars(
            select(Conversation)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(Contact.wa_id == CUSTOMER)
        ).one()
        session.expunge(found)
        return found


def test_outside_hours_the_phone_is_told_and_only_the_number_s_queue_sees_the_customer(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    # Nobody is there at night: Ana is away, so the customer waits in Ventas.
    ana = make_user(name="Ana López", availability="away")
    beto = make_user(name="Beto Ruiz")  # available, and in Soporte only
    number = channel_of(db)
    with db.write() as session:
        ventas = do_create_queue(
            session, name="Ventas", hours=closed_now(), closed_message=CLOSED,
            number_ids=[number.id], member_ids=[ana.id],
        ).id  # fmt: skip
        soporte = do_create_queue(session, name="Soporte").id
        do_update_user(session, ana.id, queue_ids=[ventas])
        do_update_user(session, beto.id, queue_ids=[soporte])
    soporte_number = second_number(db, soporte)

    errors: list[str] = []
    beto_page = _console(browser, stack, beto, errors)
    expect(beto_page.locator("#inbox-empty")).to_be_visible(timeout=5000)
    beto_page.evaluate(WATCH_LIST)
    ana_page = _console(browser, stack, ana, errors)
    phone = _phone(browser, stack, errors)

    _write(phone, "Hola, ¿a qué hora abren mañana?")

    # The phone gets the closed message, sent by the outbox through the Cloud API.
    told = phone.locator(".bubble.out .bubble-text")
    expect(told).to_have_text([CLOSED], timeout=8000)
    screenshot(phone, "1-phone-told-closed")

    # Ana, of Ventas, sees the customer waiting, and the message as the system's.
    with db.read() as session:
        conversation_id = session.scalars(select(Conversation.id)).one()
    ana_page.click("#tab-queue")
    item = _item(ana_page, conversation_id)
    expect(item).to_contain_text("María", timeout=5000)
    expect(item).to_have_attribute("data-status", "queued")
    item.click()
    expect(ana_page.locator("#conversation-status")).to_have_text("En cola")
    expect(ana_page.locator(".message.inbound .message-text")).to_have_text(
        ["Hola, ¿a qué hora abren mañana?"], timeout=5000
    )
    automatic = ana_page.locator(".message.outbound")
    expect(automatic.locator(".message-text")).to_have_text([CLOSED])
    expect(automatic.locator(".message-author.automatic")).to_have_text("Sistema")
    screenshot(ana_page, "2-ana-sees-it-waiting")
    with db.read() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        assert (conversation.queue_id, conversation.status) == (ventas, "queued")
        sent = session.scalars(select(Message).where(Message.direction == "outbound")).one()
        assert (sent.text, sent.author_id) == (CLOSED, None)

    # Beto's stream is live and has gone past that moment: a customer of Soporte, written
    # after María, reaches him. Events are published in id order, so anything about María
    # for him would have come first.
    lucia = _customer_writes(db, soporte_number, "Mi módem no prende", "5215587654321", "Lucía")
    expect(_item(beto_page, lucia)).to_contain_text("Lucía", timeout=8000)
    beto_page.click("#tab-queue")
    expect(beto_page.locator("#tab-queue")).to_have_attribute("aria-selected", "true")
    expect(beto_page.locator("#inbox-empty")).to_be_visible()
    assert _listed(beto_page) == []
    beto_page.click("#tab-mine")
    expect(_item(beto_page, lucia)).to_be_visible()
    assert _listed(beto_page) == [lucia]
    seen = beto_page.evaluate("window.__seen")
    assert {int(id_) for id_, _ in seen} == {lucia}, seen
    assert not any("María" in text for _, text in seen), seen
    # Nor does the server give it to him when asked.
    for view in ("mine", "queue", "all"):
        listed = beto_page.request.get(f"{stack.app_url}/api/v1/conversations?view={view}")
        assert listed.ok, listed.text()
        assert conversation_id not in [c["id"] for c in listed.json()["conversations"]], view
    one = beto_page.request.get(f"{stack.app_url}/api/v1/conversations/{conversation_id}")
    assert one.status in (403, 404), one.text()
    screenshot(beto_page, "3-beto-never-sees-it")
    assert errors == []


def test_a_snoozed_conversation_comes_back_when_the_customer_writes_or_by_hand(
    browser: Any, stack: Stack, db: Database, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    ana = make_user(name="Ana López")
    number = channel_of(db)
    jorge = _customer_writes(db, number, "¿Ya salió mi pedido?", "5215511112222", "Jorge")
    errors: list[str] = []
    page = _console(browser, stack, ana, errors)
    # A mark on this document: a reload would start a new one without it.
    page.wait_for_load_state("load")
    page.evaluate("window.__sameDocument = true")
    phone = _phone(browser, stack, errors)
    status = page.locator("#conversation-status")
    snooze, unsnooze = page.locator("#snooze-button"), page.locator("#unsnooze-button")
    dialog = page.locator("#snooze-dialog")

    _write(phone, "Quiero factura de mi compra")
    expect(page.locator(".conversation-item")).to_have_count(2, timeout=5000)
    maria = _maria(db).id
    assert _listed(page) == [maria, jorge]  # newest first
    _item(page, maria).click()
    expect(page.locator(".message.inbound .message-text")).to_have_text(
        ["Quiero factura de mi compra"], timeout=5000
    )
    expect(status).to_have_text("Asignada")
    expect(snooze).to_be_visible()
    expect(unsnooze).to_be_hidden()

    # Posponer, "En 1 hora".
    snooze.click()
    expect(dialog).to_be_visible()
    one_hour = dialog.locator('input[name="snooze-when"][value="1h"]')
    expect(one_hour).to_be_checked()
    expect(one_hour).to_be_focused()
    dialog.get_by_label("En 1 hora").check()
    screenshot(page, "1-snooze-dialog")
    asked = datetime.now(UTC)
    page.click("#snooze-submit")
    expect(dialog).to_be_hidden()
    expect(page.locator("#toast")).to_contain_text("Pospuesta hasta")
    expect(status).to_have_text("Pospuesta")
    expect(status).to_have_attribute("data-status", "snoozed")
    expect(page.locator("#conversation-assignee")).to_contain_text("Vuelve")
    expect(unsnooze).to_be_visible()
    expect(snooze).to_be_hidden()
    # It stays in Mías, after the others.
    expect(page.locator("#tab-mine")).to_have_attribute("aria-selected", "true")
    expect(_item(page, maria)).to_have_attribute("data-status", "snoozed")
    assert _listed(page) == [jorge, maria]
    screenshot(page, "2-snoozed")
    stored = _conversation(db, maria)
    assert stored.status == "snoozed" and stored.assignee_id == ana.id
    assert stored.snoozed_until is not None
    until = stored.snoozed_until.replace(tzinfo=stored.snoozed_until.tzinfo or UTC)
    assert timedelta(minutes=59) < until - asked < timedelta(minutes=61), until

    # The customer writes again: it is back with Ana, live.
    _write(phone, "¿Me la pueden mandar hoy?")
    expect(page.locator(".message.inbound .message-text").last).to_have_text(
        "¿Me la pueden mandar hoy?", timeout=5000
    )
    expect(status).to_have_text("Asignada", timeout=5000)
    expect(status).to_have_attribute("data-status", "assigned")
    expect(page.locator("#conversation-assignee")).to_have_text("Asignada a ti")
    expect(snooze).to_be_visible()
    expect(unsnooze).to_be_hidden()
    expect(_item(page, maria)).to_have_attribute("data-status", "assigned")
    assert _listed(page) == [maria, jorge]
    screenshot(page, "3-back-when-the-customer-wrote")
    stored = _conversation(db, maria)
    assert (stored.status, stored.assignee_id, stored.snoozed_until) == ("assigned", ana.id, None)

    # Another one, put aside until tomorrow at 9:00, then woken by hand with Reactivar.
    _item(page, jorge).click()
    expect(page.locator(".message.inbound .message-text")).to_have_text(
        ["¿Ya salió mi pedido?"], timeout=5000
    )
    snooze.click()
    dialog.get_by_label("Mañana a las 9:00").check()
    page.click("#snooze-submit")
    expect(status).to_have_text("Pospuesta", timeout=5000)
    expect(_item(page, jorge)).to_have_attribute("data-status", "snoozed")
    stored = _conversation(db, jorge)
    assert stored.snoozed_until is not None
    tomorrow = (datetime.now(ZONE) + timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    assert stored.snoozed_until.replace(tzinfo=stored.snoozed_until.tzinfo or UTC) == tomorrow
    unsnooze.click()
    expect(status).to_have_text("Asignada", timeout=5000)
    expect(unsnooze).to_be_hidden()
    expect(snooze).to_be_visible()
    expect(_item(page, jorge)).to_have_attribute("data-status", "assigned")
    screenshot(page, "4-woken-by-hand")
    stored = _conversation(db, jorge)
    assert (stored.status, stored.assignee_id, stored.snoozed_until) == ("assigned", ana.id, None)
    assert page.evaluate("window.__sameDocument === true")  # all of it live, no reload
    assert errors == []
