"""The keyboard-first console and its notifications in real Chromium: j/k move in the inbox
and Enter opens, `r` writes, `?` lists every shortcut, and nothing fires while typing; a new
message raises the tab title's count and chimes, a hidden tab gets a browser notification
whose click opens the conversation, and the chime can be turned off."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_poc import agent_and_phone, login

pytestmark = pytest.mark.browser

# The browser's notifications, visibility and sound, as a test can see and steer them.
STUBS = """
window.__notices = [];
window.__plays = 0;
class RecordedNotification {
  constructor(title, options) {
    this.title = title;
    this.body = (options && options.body) || "";
    this.onclick = null;
    window.__notices.push(this);
  }
  close() {}
  static requestPermission() { return Promise.resolve("granted"); }
}
RecordedNotification.permission = "granted";
window.Notification = RecordedNotification;
let hidden = false;
Object.defineProperty(document, "visibilityState", { get: () => (hidden ? "hidden" : "visible") });
Object.defineProperty(document, "hidden", { get: () => hidden });
window.__setHidden = (value) => {
  hidden = value;
  document.dispatchEvent(new Event("visibilitychange"));
};
HTMLMediaElement.prototype.play = function () {
  window.__plays += 1;
  return Promise.resolve();
};
"""


def test_the_inbox_is_driven_by_the_keyboard(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    agent = make_user(name="Ana López")
    page, phone, errors = agent_and_phone(browser, stack, agent, height=900)
    for wa_id, text in (("5215512340101", "Primera"), ("5215512340102", "Segunda")):
        phone.fill("#wa-id", wa_id)
        phone.fill("#composer", text)
        phone.click("#send")
    rows = page.locator(".conversation-item")
    expect(rows).to_have_count(2, timeout=5000)

    page.locator("body").click(position={"x": 700, "y": 500})
    page.keyboard.press("j")
    first = rows.nth(0).locator("button")
    expect(first).to_be_focused()
    page.keyboard.press("j")
    expect(rows.nth(1).locator("button")).to_be_focused()
    page.keyboard.press("k")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#conversation")).to_be_visible()
    expect(page.locator("#conversation-name")).to_have_text(
        rows.nth(0).locator(".contact-name").inner_text()
    )

    # `r` writes; a "j" typed in the box is a letter, not a move. (Opening focuses the
    # composer once the thread has loaded: wait for that, then leave it.)
    expect(page.locator("#composer")).to_be_focused(timeout=5000)
    page.keyboard.press("Escape")
    page.locator("#thread").focus()
    page.keyboard.press("r")
    composer = page.locator("#composer")
    expect(composer).to_be_focused()
    page.keyboard.type("jk")
    expect(composer).to_have_value("jk")
    expect(composer).to_be_focused()

    # `?` lists every shortcut; Escape closes the list.
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    help_dialog = page.locator("#shortcuts-dialog")
    expect(help_dialog).to_be_visible()
    for key in ("j", "k", "r", "n", "e", "t", "l", "?"):
        expect(
            help_dialog.locator("kbd", has_text=re.compile(f"^{re.escape(key)}$"))
        ).not_to_have_count(0)
    screenshot(page, "shortcut-help")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    assert errors == []


def test_a_new_message_counts_chimes_and_notifies_a_hidden_tab(
    browser: Any, stack: Stack, make_user: Callable[..., User]
) -> None:
    from playwright.sync_api import expect

    agent = make_user(name="Ana López")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(STUBS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, stack.app_url, agent)
    phone = browser.new_context(viewport={"width": 420, "height": 900}).new_page()
    phone.goto(stack.phone_url)
    phone.fill("#wa-id", "5215512340201")
    phone.fill("#name", "María")
    base = page.title()

    # Visible, nothing open: the title counts it and the chime plays.
    phone.fill("#composer", "Hola")
    phone.click("#send")
    expect(page.locator(".conversation-item")).to_have_count(1, timeout=5000)
    expect(page).to_have_title(f"(1) {base}")
    assert page.evaluate("window.__plays") == 1
    assert page.evaluate("window.__notices.length") == 0  # a visible tab needs none

    # Hidden: a browser notification with the message, and the count rises.
    page.evaluate("window.__setHidden(true)")
    page.wait_for_timeout(3200)  # past the assignment's own notice
    phone.fill("#composer", "¿Siguen abiertos?")
    phone.click("#send")
    page.wait_for_function("() => window.__notices.length >= 1", timeout=5000)
    notice = page.evaluate(
        "({title: window.__notices.at(-1).title, body: window.__notices.at(-1).body})"
    )
    assert notice["body"] == "¿Siguen abiertos?" and "María" in notice["title"]
    expect(page).to_have_title(f"(2) {base}")

    # Its click opens that conversation; back in the tab, the count clears.
    page.evaluate("window.__notices.at(-1).onclick()")
    page.evaluate("window.__setHidden(false)")
    expect(page.locator("#conversation-name")).to_have_text("María", timeout=5000)
    expect(page).to_have_title(base)

    # Sound off in the user menu: the next notice is silent. (The opened conversation gives
    # its composer the focus once loaded, which would close the menu: wait for it first.)
    expect(page.locator("#composer")).to_be_focused(timeout=5000)
    page.click("#user-menu-button")
    page.click("#notify-sound")
    expect(page.locator("#notify-sound")).to_have_attribute("aria-checked", "false")
    plays = page.evaluate("window.__plays")
    page.evaluate("window.__setHidden(true)")
    phone.fill("#composer", "Gracias")
    phone.click("#send")
    page.wait_for_function("() => window.__notices.length >= 2", timeout=5000)
    assert page.evaluate("window.__plays") == plays
    assert errors == []
