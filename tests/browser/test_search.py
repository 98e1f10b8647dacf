"""Message search in the console's inbox panel, in real Chromium against the real API: a
customer writes with accents, the agent finds the messages without them, by the start of a
word, pages through, opens a conversation from a result, and gets back to the list."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_poc import agent_and_phone, login

pytestmark = pytest.mark.browser
CANCEL = "Quiero cancelar mi pedido 4521"
RETURN = "¿Cuándo llega la devolución?"
# Markup in customer text must stay text in a result, around the <mark>s too.
LATE = "Mi pedido no llega <img src=x onerror=alert(1)>"
REPLY = "Su devolución ya va en camino"


def _conversation_with_reply(browser: Any, stack: Stack, agent: User) -> tuple[Any, list[str]]:
    """The customer writes three messages, the agent answers one; the console then reloads
    with no conversation open."""
    from playwright.sync_api import expect

    page, phone, errors = agent_and_phone(browser, stack, agent, height=860)
    item = page.locator(".conversation-item").first
    for text in (CANCEL, RETURN, LATE):
        phone.fill("#composer", text)
        phone.click("#send")
        expect(item).to_contain_text(text, timeout=5000)
    item.click()
    expect(page.locator(".message.inbound")).to_have_count(3, timeout=5000)
    page.fill("#composer", REPLY)
    page.keyboard.press("Enter")
    outbound = page.locator(".message.outbound").first
    expect(outbound).to_have_attribute("data-status", re.compile("sent|delivered|read"))
    page.goto(f"{stack.app_url}/")
    expect(page.locator(".conversation-item")).to_have_count(1)
    expect(page.locator("#conversation")).to_be_hidden()
    return page, errors


def test_agent_finds_messages_without_accents_and_by_prefix_and_opens_one(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    agent = make_user(name="Ana López")
    page, errors = _conversation_with_reply(browser, stack, agent)
    box = page.get_by_role("searchbox", name="Buscar en los mensajes")
    results = page.locator(".search-result")

    # No accent typed; both the customer's question and the agent's answer are found,
    # newest first, the accented word marked, the answer marked as the agent's own.
    box.fill("devolucion")
    expect(results).to_have_count(2)
    expect(page.locator("#conversation-list")).to_be_hidden()
    expect(page.locator("#tab-mine")).to_be_hidden()
    expect(results.nth(0).locator(".you")).to_have_text("Tú: ")
    expect(results.nth(0).locator(".search-text")).to_have_text(f"Tú: {REPLY}")
    expect(results.nth(1).locator(".contact-name")).to_have_text("María")
    expect(results.nth(1).locator(".search-text")).to_have_text(RETURN)
    expect(results.nth(1).locator(".you")).to_have_count(0)
    expect(results.locator("mark")).to_have_text(["devolución", "devolución"])
    time = results.nth(1).locator("time")
    expect(time).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(time).not_to_be_empty()
    screenshot(page, "1-without-accent")

    # The start of a word: "pedi" finds "pedido"; only the part typed is marked.
    box.fill("pedi")
    expect(results).to_have_count(2)
    expect(results.locator(".search-text")).to_have_text([LATE, CANCEL])
    expect(results.locator("mark")).to_have_text(["pedi", "pedi"])
    assert page.locator(".search-text img").count() == 0  # shown as text, not HTML
    screenshot(page, "2-prefix")

    # The keyboard walks from the box into the results, which are buttons.
    box.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(results.nth(1).locator("button")).to_be_focused()

    # A result opens its conversation, as the list does.
    results.nth(1).click()
    expect(page.locator("#conversation")).to_be_visible()
    expect(page.locator(".message.inbound .message-text").first).to_have_text(CANCEL)
    expect(page.locator(".message")).to_have_count(4)
    expect(results.nth(1)).to_have_class(re.compile(r"\bactive\b"))
    expect(results.nth(1).locator("button")).to_have_attribute("aria-current", "true")
    assert re.search(r"#c\d+$", page.url)
    expect(results).to_have_count(2)  # the results stay for the next one
    screenshot(page, "3-opened")

    # Nothing found says so.
    box.fill("zzzz")
    expect(page.locator("#search-status")).to_have_text("Sin resultados")
    expect(results).to_have_count(0)

    # Escape is back to the conversation list.
    box.press("Escape")
    expect(box).to_have_value("")
    expect(page.locator("#search-results")).to_be_hidden()
    expect(page.locator("#conversation-list")).to_be_visible()
    expect(page.locator(".conversation-item")).to_have_count(1)
    assert errors == []


def test_more_results_page_on_and_an_error_shows_its_message(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    agent = make_user(role="supervisor", name="Sofía Ruiz")
    page, errors = _conversation_with_reply(browser, stack, agent)
    box = page.get_by_role("searchbox", name="Buscar en los mensajes")
    results = page.locator(".search-result")
    more = page.get_by_role("button", name="Buscar más")

    # Pages of one message, from the real API, so that "Buscar más" has pages to fetch.
    asked: list[str] = []

    def one_per_page(route: Any) -> None:
        asked.append(route.request.url)
        route.continue_(url=f"{route.request.url}&limit=1")

    page.route(re.compile(r"/api/v1/messages\?q="), one_per_page)
    box.fill("pedido")
    expect(results).to_have_count(1)
    expect(results.locator(".search-text")).to_have_text([LATE])
    expect(more).to_be_visible()
    more.click()
    expect(results).to_have_count(2)
    expect(results.locator(".search-text")).to_have_text([LATE, CANCEL])
    # The API may offer one more page that turns out empty; either way the button goes.
    for _ in range(3):
        if not more.is_visible():
            break
        more.click()
        page.wait_for_timeout(300)
    expect(more).to_be_hidden()
    expect(results).to_have_count(2)
    assert "before=" not in asked[0]
    assert "before=" in asked[1]
    screenshot(page, "paged")
    page.unroute(re.compile(r"/api/v1/messages\?q="))

    # The API's error answer is shown as its message.
    message = "Una búsqueda tiene a lo más 200 caracteres."
    page.route(
        re.compile(r"/api/v1/messages\?q="),
        lambda route: route.fulfill(
            status=400,
            content_type="application/json",
            body=json.dumps({"error": {"code": "bad_search", "message": message}}),
        ),
    )
    box.fill("cancelar")
    expect(page.locator("#search-status")).to_have_text(message)
    expect(page.locator("#search-status")).to_have_class(re.compile(r"\berror\b"))
    expect(results).to_have_count(0)

    # Fewer than two letters or digits asks nothing and shows the list.
    box.fill("p")
    expect(page.locator("#conversation-list")).to_be_visible()
    expect(page.locator("#search-results")).to_be_hidden()
    assert errors == []


def test_search_speaks_english(browser: Any, stack: Stack, make_user: Callable[..., User]) -> None:
    from playwright.sync_api import expect

    agent = make_user()
    page = browser.new_context().new_page()
    login(page, stack.app_url, agent)
    page.goto(f"{stack.app_url}/?lang=en")
    box = page.get_by_role("searchbox", name="Search the messages")
    box.fill("nothing here")
    expect(page.locator("#search-status")).to_have_text("No results")


# (text, query, the parts marked): case and accents folded either way, decomposed accents
# kept with their letter, every word whole, the last one also as the start of a word.
MARKS = [
    ("¿Cuándo llega la DEVOLUCIÓN?", "devolucion", ["DEVOLUCIÓN"]),
    ("La devolucio\u0301n llegó", "DEVOLUCIÓ", ["devolucio\u0301"]),
    ("Quiero cancelar mi pedido 4521", "4521 pedi", ["pedi", "4521"]),
    ("el pedido y los pedidos", "pedido", ["pedido", "pedido"]),
    ("el pedido y los pedidos", "pedido y", ["pedido", "y"]),
    ("pedido", "p", []),
    ("Árbol, arboles", "arbol", ["Árbol", "arbol"]),
]


def test_marks_fold_case_and_accents_as_the_server_matches(
    browser: Any, stack: Stack, make_user: Callable[..., User]
) -> None:
    page = browser.new_context().new_page()
    login(page, stack.app_url, make_user())
    marked = page.evaluate(
        """async (cases) => {
            const { matchRanges, queryTerms } = await import("/static/console/search.js");
            return cases.map(([text, query]) =>
                matchRanges(text, queryTerms(query)).map(([from, to]) => text.slice(from, to)));
        }""",
        [[text, query] for text, query, _ in MARKS],
    )
    assert marked == [parts for _, _, parts in MARKS]
