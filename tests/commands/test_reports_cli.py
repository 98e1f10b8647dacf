"""``cdmx reports rebuild``: the reporting rows of existing conversations, from their
messages, the same as the actions wrote them; idempotent; a progress bar on stderr."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import delete, func, select, update

from cdmx.actions.closing import do_close_conversation
from cdmx.actions.report_days import do_build_report_day
from cdmx.cli import main
from cdmx.db.engine import Database
from cdmx.db.tables import (
    CONVERSATIONS,
    REPORT_DAYS,
    REPORT_EVENTS,
    Conversation,
    ReportEvent,
    User,
)
from cdmx.queries.reports import Period, summary
from cdmx.settings import Settings
from tests.actions.test_outbox import open_conversation, reply

ZONE = ZoneInfo("America/Mexico_City")  # the settings' default CDMX_TIMEZONE


@pytest.fixture
def environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDMX_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CDMX_SECRET_KEY", settings.secret_key)


def report_rows(db: Database) -> list[tuple[Any, ...]]:
    with db.read() as session:
        rows = session.execute(
            select(
                ReportEvent.kind, ReportEvent.conversation_id, ReportEvent.agent_id,
                ReportEvent.at, ReportEvent.seconds, ReportEvent.business_seconds,
            ).order_by(ReportEvent.conversation_id, ReportEvent.at, ReportEvent.kind)
        )  # fmt: skip
        return [tuple(row) for row in rows]


def counters(db: Database) -> list[tuple[Any, ...]]:
    with db.read() as session:
        rows = session.execute(
            select(
                Conversation.id, Conversation.awaiting_since, Conversation.first_reply_at,
                Conversation.messages_in, Conversation.messages_out,
            ).order_by(Conversation.id)
        )  # fmt: skip
        return [tuple(row) for row in rows]


def test_rebuild_writes_again_what_the_actions_wrote_and_a_second_run_changes_nothing(
    db: Database,
    make_user: Callable[..., User],
    environment: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    agent = make_user()
    first = open_conversation(db, wa_id="5215511111111")
    reply(db, agent, first, "¡Hola!")
    open_conversation(db, wa_id="5215511111111", text="una cosa más")
    reply(db, agent, first, "Claro")
    with db.write() as session:
        closer = session.get(User, agent.id)
        assert closer is not None
        do_close_conversation(session, closer, first)
    open_conversation(db, wa_id="5215522222222")  # waiting, never answered
    live, live_counters = report_rows(db), counters(db)
    assert [row[0] for row in live if row[1] == first] == [
        "assigned", "opened", "first_reply", "reply", "reply", "closed",
    ]  # fmt: skip
    with db.write() as session:  # as before reports existed
        session.execute(delete(REPORT_EVENTS))
        session.execute(
            update(CONVERSATIONS).values(
                awaiting_since=None, first_reply_at=None, messages_in=0, messages_out=0
            )
        )
    assert main(["reports", "rebuild", "--batch", "1"]) == 0
    out, err = capsys.readouterr()
    assert "reports rebuilt: 2 conversations" in out
    assert "conversations [########################] 100% 2/2" in err
    assert report_rows(db) == live and counters(db) == live_counters
    assert main(["reports", "rebuild"]) == 0
    assert report_rows(db) == live and counters(db) == live_counters


def test_rebuild_writes_the_rollup_of_past_days_again_from_the_rebuilt_rows(
    db: Database,
    make_user: Callable[..., User],
    environment: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    agent = make_user()
    with time_machine.travel(datetime(2026, 11, 10, 12, tzinfo=ZONE), tick=False) as clock:
        conversation = open_conversation(db, wa_id="5215511111111")
        clock.shift(timedelta(seconds=90))
        reply(db, agent, conversation, "¡Hola!")
    day, now = date(2026, 11, 10), datetime(2026, 11, 12, tzinfo=UTC)
    with db.write() as session:  # built while the rows were missing: an empty day
        session.execute(delete(REPORT_EVENTS))
        do_build_report_day(session, day, ZONE, now)
    assert main(["reports", "rebuild"]) == 0
    out, err = capsys.readouterr()
    assert "days of the rollup" in out and "days [" in err
    with db.read() as session:
        assert session.scalars(select(func.sum(REPORT_DAYS.c.opened))).one() == 1
        (row,) = summary(session, Period(day, day, ZONE), "agent", None, now=now)
    assert row["conversations"] == 1 and row["first_response_median_s"] == 90.0
