"""The console's reports page (``/reports``, cdmx/web/console/reports.py): who may open it,
the form's default week and its errors in words (never a 500), the table and the charts'
bars from the same summary, and durations as people say them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from cdmx.actions.queues import do_create_queue
from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.queries.reports import summary
from cdmx.web.console.i18n import strings_for
from cdmx.web.console.reports import charts, duration, every_day, score, share, table_rows
from tests.actions.test_outbox import open_conversation, reply
from tests.conftest import PASSWORD
from tests.queries.test_reports_week import WEEK, week  # noqa: F401 (the scripted week)
from tests.web.api.test_audit import sign_in_console

ZONE = ZoneInfo("America/Mexico_City")


async def _sign_in(client: httpx.AsyncClient, user: User) -> None:
    assert await sign_in_console(client, user.email, PASSWORD) == 303


def today() -> date:
    return datetime.now(ZONE).date()


async def test_supervisors_and_admins_open_it_from_the_menu_agents_are_sent_back(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    signed_out = await client.get("/reports")
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/login")
    await _sign_in(client, make_user())
    refused = await client.get("/reports")
    assert (refused.status_code, refused.headers["location"]) == (303, "/")
    assert 'id="reports-link"' not in (await client.get("/")).text
    for role in ("supervisor", "admin"):
        client.cookies.clear()
        await _sign_in(client, make_user(role=role, availability="offline"))
        assert 'id="reports-link" href="/reports"' in (await client.get("/")).text, role
        page = await client.get("/reports")
        assert page.status_code == 200, role
        assert "<h1>Reportes</h1>" in page.text
        english = await client.get("/reports?lang=en")
        assert '<html lang="en">' in english.text and "<h1>Reports</h1>" in english.text


async def test_the_form_starts_on_the_last_seven_days_and_an_empty_week_says_so(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    await _sign_in(client, make_user(role="supervisor", availability="offline"))
    page = (await client.get("/reports")).text
    first = (today() - timedelta(days=6)).isoformat()
    assert f'name="from" value="{first}"' in page
    assert f'name="to" value="{today().isoformat()}"' in page
    assert 'id="reports-empty"' in page and "No hubo conversaciones en este periodo" in page
    assert "<rect" not in page
    link = f'href="/api/v1/reports/conversations.csv?from={first}&amp;to={today().isoformat()}"'
    assert link in page and 'href="/api/v1/contacts.csv"' in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "ayer"}, "Revisa las fechas: escríbelas como AAAA-MM-DD"),
        ({"from": "2026-02-30", "to": "2026-03-01"}, "Revisa las fechas"),
        ({"from": "2026-03-20", "to": "2026-03-16"}, "no puede ser anterior a «Desde»"),
        ({"from": "2024-01-01", "to": "2026-03-16"}, "como máximo 400 días"),
        ({"group_by": "semana"}, "Elige cómo agrupar"),
        ({"queue": "x"}, "Esa cola no existe o no está entre las tuyas"),
    ],
)
async def test_a_bad_form_shows_what_is_wrong_not_a_500(
    client: httpx.AsyncClient,
    make_user: Callable[..., User],
    params: dict[str, str],
    message: str,
) -> None:
    await _sign_in(client, make_user(role="supervisor", availability="offline"))
    page = await client.get("/reports", params=params)
    assert page.status_code == 200
    error = re.search(
        r'<p class="form-message" role="alert" id="reports-error">([^<]+)</p>', page.text
    )
    assert error is not None and message in error.group(1)
    # What was typed stays in the form; no chart, and no export of a period that is not one.
    if "from" in params:
        assert f'name="from" value="{params["from"]}"' in page.text
    assert "<svg" not in page.text and "conversations.csv" not in page.text
    english = await client.get("/reports", params={**params, "lang": "en"})
    assert english.status_code == 200 and 'id="reports-error"' in english.text


async def test_a_supervisor_cannot_pick_a_queue_that_is_not_theirs(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    with db.write() as session:
        other = do_create_queue(session, name="Otra").id
    await _sign_in(client, make_user(role="supervisor", availability="offline"))
    page = await client.get("/reports", params={"queue": str(other)})
    assert 'id="reports-error"' in page.text and f'value="{other}"' not in page.text


async def test_the_table_and_the_bars_show_the_same_summary(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    ana = make_user(name="Ana")
    for n in (1, 2):
        reply(db, ana, open_conversation(db, wa_id=f"52155100000{n}"), "¡Hola!")
    await _sign_in(client, make_user(role="supervisor", availability="offline"))
    page = (await client.get("/reports", params={"group_by": "agent"})).text
    bars = re.findall(r'<rect class="report-bar"[^>]* data-key="(\d+)" data-value="([^"]*)"', page)
    # Three charts of one bar each: conversations, first response raw and in business hours.
    assert len(bars) == 3 and {key for key, _ in bars} == {str(ana.id)}
    assert bars[0][1] == "2"
    row = re.search(rf'<tr class="report-row" data-key="{ana.id}">(.*?)</tr>', page, re.S)
    assert row is not None and ">Ana</th>" in row.group(1)
    cells = dict(re.findall(r'data-figure="(\w+)" data-value="([^"]*)"', row.group(1)))
    assert cells["conversations"] == "2"
    assert cells["first_response_median_s"] == bars[1][1]
    assert cells["first_response_business_median_s"] == bars[2][1]
    assert cells["csat_avg"] == "" and cells["csat_count"] == "0"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0, "0 s"),
        (0.2, "< 1 s"),
        (0.6, "1 s"),
        (45, "45 s"),
        (90, "1 min 30 s"),
        (300, "5 min"),
        (1500, "25 min"),
        (3599.6, "1 h"),
        (4800, "1 h 20 min"),
        (59760, "16 h 36 min"),
        (84600, "23 h 30 min"),
        (127200, "1 d 11 h"),
        (174600, "2 d 1 h"),
    ],
)
def test_durations_read_as_people_say_them(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text


def test_shares_and_scores() -> None:
    assert (share(0.5), share(2 / 3), share(None)) == ("50%", "67%", "—")
    assert (score(4.0), score(11 / 3), score(None)) == ("4.0", "3.7", "—")


async def test_the_queue_filter_narrows_the_summary_to_that_queue(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    ana = make_user(name="Ana")
    reply(db, ana, open_conversation(db), "¡Hola!")  # in the default queue
    with db.write() as session:
        other = do_create_queue(session, name="Otra").id
    await _sign_in(client, make_user(role="admin", availability="offline"))
    everything = (await client.get("/reports", params={"group_by": "queue"})).text
    assert everything.count('class="report-row"') == 1
    assert f'<option value="{other}">Otra</option>' in everything  # an admin's every queue
    narrowed = (await client.get("/reports", params={"group_by": "queue", "queue": other})).text
    assert 'id="reports-empty"' in narrowed and 'class="report-row"' not in narrowed
    assert f'<option value="{other}" selected>Otra</option>' in narrowed


@pytest.mark.usefixtures("week")
def test_the_worked_week_reads_as_docs_reports_md_says(db: Database) -> None:
    """The scripted week of tests/queries/test_reports_week.py, as the page's table shows it
    for its queue: the figures docs/reports.md works out by hand, in words."""
    with db.read() as session:
        rows = summary(session, WEEK, "queue", None)
    (row,) = table_rows(rows, "queue", strings_for("es-MX"))
    cells = {cell["figure"]: cell for cell in row["cells"]}
    shown = {figure: cell["text"] for figure, cell in cells.items()}
    assert row["name"] == "General"
    assert shown == {
        "conversations": "5",
        "first_response_median_s": "25 min",  # 1,500 s
        "first_response_business_median_s": "15 min",  # 900 s
        "first_response_p90_s": "16 h 36 min",  # 59,760 s
        "first_response_business_p90_s": "27 min",  # 1,620 s
        "reply_median_s": "25 min",  # 1,500 s
        "reply_business_median_s": "10 min",  # 600 s
        "resolution_median_s": "1 d 11 h",  # 127,200 s: 35 h 20 min
        "resolution_business_median_s": "8 h 50 min",  # 31,800 s
        "answered_within_target": "50%",
        "csat_avg": "4.0",
        "csat_count": "2",
    }
    assert cells["first_response_p90_s"]["value"] == "59760"  # the raw figure for the bars
    by_day = charts(every_day(summary_by_day(db), WEEK), "day", strings_for("es-MX"))[0]
    assert [(bar.name, bar.value) for bar in by_day.bars] == [
        ("Lunes 2026-03-16", "1"), ("Martes 2026-03-17", "1"), ("Miércoles 2026-03-18", "1"),
        ("Jueves 2026-03-19", "1"), ("Viernes 2026-03-20", "0"), ("Sábado 2026-03-21", "1"),
        ("Domingo 2026-03-22", "0"),  # the quiet days too: a week is seven bars
    ]  # fmt: skip


def summary_by_day(db: Database) -> list[dict[str, Any]]:
    with db.read() as session:
        return summary(session, WEEK, "day", None)


async def test_a_chart_with_nothing_to_measure_says_so_instead_of_empty_bars(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    open_conversation(db)  # opened, never answered: a conversation, no first response
    await _sign_in(client, make_user(role="supervisor", availability="offline"))
    page = (await client.get("/reports")).text
    assert page.count('<rect class="report-bar"') == 7  # the conversations chart: a week
    assert page.count('class="report-chart-empty"') == 2  # first response, raw and business
    assert "Nada que medir todavía" in page
