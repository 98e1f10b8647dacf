"""A supervisor opens *Reportes* from the menu over a day of real work (conversations
opened, answered, closed and rated through the actions): every bar of every chart carries
the figure its table cell shows; grouped by agent, each agent has their own bars; the
conversations CSV of the period downloads; axe finds nothing serious. An agent has no link
and is sent back."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cdmx.actions.closing import do_close_conversation
from cdmx.actions.reporting import record_csat
from cdmx.actions.users import do_set_availability
from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, User
from cdmx.queries.exports import CONVERSATION_FIELDS
from tests.actions.test_outbox import open_conversation, reply
from tests.browser.conftest import Stack
from tests.browser.test_accessibility import serious
from tests.browser.test_poc import login

pytestmark = pytest.mark.browser


def a_day_of_work(db: Database, ana: User, beto: User) -> None:
    """Ana answers two customers and closes one (rated 4); Beto, available after her, the
    third. Today, on the real clock: the page's default week has it."""
    first, second = (open_conversation(db, wa_id=f"52155100000{n}") for n in (1, 2))
    for conversation_id in (first, second):
        reply(db, ana, conversation_id, "¡Hola! ¿En qué le ayudo?")
    with db.write() as session:
        do_set_availability(session, ana.id, "away")
        do_set_availability(session, beto.id, "available")
    third = open_conversation(db, wa_id="5215510000003")
    reply(db, beto, third, "Buenas tardes.")
    with db.write() as session:
        agent = session.get(User, ana.id)
        assert agent is not None
        do_close_conversation(session, agent, first)
        conversation = session.get(Conversation, first)
        assert conversation is not None
        record_csat(session, conversation, 4, datetime.now(UTC))


def bars_agree_with_the_table(page: Any) -> dict[str, dict[str, str]]:
    """Each bar's data-value and text against its row's cell; the bars by chart and key."""
    seen: dict[str, dict[str, str]] = {}
    for chart in page.locator(".report-figure").all():
        figure = chart.get_attribute("data-figure")
        seen[figure] = {}
        for row in chart.locator(".report-bar-row").all():
            bar = row.locator("rect.report-bar")
            key, value = bar.get_attribute("data-key"), bar.get_attribute("data-value")
            cell = page.locator(f'.report-row[data-key="{key}"] td[data-figure="{figure}"]')
            assert cell.get_attribute("data-value") == value, (figure, key)
            assert row.locator(".report-bar-value").text_content() == cell.text_content()
            seen[figure][key] = value
    assert set(seen) == {
        "conversations", "first_response_median_s", "first_response_business_median_s",
    }  # fmt: skip
    return seen


@pytest.mark.browser
def test_a_supervisor_reads_the_week_by_day_and_by_agent_and_downloads_it(
    browser: Any,
    stack: Stack,
    db: Database,
    make_user: Callable[..., User],
    screenshot: Any,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    supervisor = make_user(role="supervisor", availability="offline", name="Sofía Supervisora")
    ana = make_user(name="Ana")
    beto = make_user(name="Beto", availability="offline")
    a_day_of_work(db, ana, beto)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # A style or script the Content-Security-Policy blocked is a console error.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
        (stack.app_url, "data:")) else None)  # fmt: skip
    login(page, stack.app_url, supervisor)

    page.click("#admin-menu")
    page.click("#reports-link")
    expect(page.locator("h1")).to_have_text("Reportes")
    rows = page.locator(".report-row")
    expect(rows).to_have_count(7)  # the last seven days, the quiet ones too
    by_day = bars_agree_with_the_table(page)
    today = datetime.now(ZoneInfo("America/Mexico_City")).date().isoformat()
    assert by_day["conversations"][today] == "3"
    assert sorted(by_day["conversations"].values()) == ["0"] * 6 + ["3"]
    today_row = page.locator(f'.report-row[data-key="{today}"]')
    expect(today_row.locator('td[data-figure="csat_avg"]')).to_have_text("4.0")
    expect(today_row.locator('td[data-figure="csat_count"]')).to_have_text("1")
    screenshot(page, "1-by-day")

    page.locator("#reports-filters").get_by_label("Agrupar por").select_option("agent")
    page.click("#reports-show")
    expect(rows).to_have_count(2)
    expect(page.locator(".report-row .report-key")).to_have_text(["Ana", "Beto"])
    by_agent = bars_agree_with_the_table(page)
    assert by_agent["conversations"] == {str(ana.id): "2", str(beto.id): "1"}
    ana_row = page.locator(f'.report-row[data-key="{ana.id}"]')
    expect(ana_row.locator('td[data-figure="resolution_median_s"]')).not_to_have_text("—")
    expect(
        page.locator(f'.report-row[data-key="{beto.id}"] td[data-figure="csat_avg"]')
    ).to_have_text("—")
    assert "group_by=agent" in page.url
    screenshot(page, "2-by-agent")
    assert serious(page) == []  # the charts and the table too, not only the empty page

    with page.expect_download() as download_info:
        page.click("#reports-conversations-csv")
    download = download_info.value
    assert download.suggested_filename == "conversations.csv"
    saved = tmp_path / "conversations.csv"
    download.save_as(saved)
    exported = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert tuple(exported[0]) == CONVERSATION_FIELDS
    assert len(exported) == 1 + 3
    assert errors == [] and outside == []

    agent_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(agent_page, stack.app_url, ana)
    expect(agent_page.locator("#reports-link")).to_have_count(0)
    agent_page.goto(f"{stack.app_url}/reports")
    expect(agent_page.locator("#conversation-list")).to_be_visible()
    assert agent_page.url == f"{stack.app_url}/"
