"""The presence sweep: available or away with no event stream seen for the timeout goes
offline (with ``agent.updated``), and routing then gives them nothing; not a second before."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from cdmx.actions.users import do_update_user
from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, Event, User
from cdmx.settings import SettingsError, load_settings
from cdmx.workers.presence import run_presence, sweep_presence
from tests.conftest import eventually, signed
from tests.factories import text_message

TIMEOUT = 120


def seen_at(db: Database, user_id: int) -> datetime:
    with db.read() as session:
        seen = session.scalar(select(User.last_seen_at).where(User.id == user_id))
    assert seen is not None
    return seen


def availability(db: Database, user_id: int) -> str:
    with db.read() as session:
        return str(session.scalar(select(User.availability).where(User.id == user_id)))


def events_of(db: Database, type_: str) -> list[Event]:
    with db.read() as session:
        return list(session.scalars(select(Event).where(Event.type == type_).order_by(Event.id)))


def test_an_agent_unseen_for_the_timeout_goes_offline_and_not_a_second_before(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()  # available: becoming so counts as being seen
    seen = seen_at(db, agent.id)
    before = len(events_of(db, "agent.updated"))

    assert sweep_presence(db, TIMEOUT, seen + timedelta(seconds=TIMEOUT - 1)) == []
    assert availability(db, agent.id) == "available"
    assert sweep_presence(db, TIMEOUT, seen + timedelta(seconds=TIMEOUT)) == []

    assert sweep_presence(db, TIMEOUT, seen + timedelta(seconds=TIMEOUT + 1)) == [agent.id]
    assert availability(db, agent.id) == "offline"
    updated = events_of(db, "agent.updated")[before:]
    assert [e.data["agent"]["availability"] for e in updated] == ["offline"]
    assert updated[0].data["agent"]["id"] == agent.id
    # Offline already: a later sweep leaves them (and emits nothing) alone.
    assert sweep_presence(db, TIMEOUT, seen + timedelta(hours=1)) == []


def test_the_sweep_takes_away_and_available_only_and_never_the_deactivated(
    db: Database, make_user: Callable[..., User]
) -> None:
    available, away = make_user(), make_user(availability="away")
    offline, gone = make_user(availability="offline"), make_user()
    here = make_user(role="supervisor")
    now = seen_at(db, here.id)
    with db.write() as session:
        do_update_user(session, gone.id, active=False)
        # Seen long ago, or never (made available before presence was recorded).
        session.execute(
            update(User)
            .where(User.id.in_([available.id, offline.id, gone.id]))
            .values(last_seen_at=now - timedelta(hours=1))
        )
        session.execute(update(User).where(User.id == away.id).values(last_seen_at=None))
    assert sorted(sweep_presence(db, TIMEOUT, now)) == sorted([available.id, away.id])
    assert availability(db, here.id) == "available"
    assert availability(db, offline.id) == availability(db, gone.id) == "offline"


async def test_the_worker_sets_offline_an_agent_with_no_stream(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    later = seen_at(db, agent.id) + timedelta(seconds=TIMEOUT + 1)
    wakeup, stop = asyncio.Event(), asyncio.Event()
    worker = asyncio.create_task(run_presence(db, TIMEOUT, wakeup, stop, clock=lambda: later))
    try:
        await eventually(lambda: availability(db, agent.id) == "offline")
    finally:
        stop.set()
        wakeup.set()
        await worker


async def test_an_agent_set_offline_by_the_sweep_gets_no_new_conversation(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    sweep_presence(db, TIMEOUT, seen_at(db, agent.id) + timedelta(seconds=TIMEOUT + 1))
    body, headers = signed(text_message("¿Siguen abiertos?"))
    assert (await client.post("/webhooks/whatsapp", content=body, headers=headers)).is_success

    def conversation() -> Conversation | None:
        with db.read() as session:
            return session.scalar(select(Conversation))

    found = await eventually(conversation)
    assert (found.status, found.assignee_id) == ("queued", None)


def test_the_presence_timeout_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDMX_SECRET_KEY", "a-long-enough-secret-key")
    monkeypatch.delenv("WHATSAPP_PHONE_NUMBER_ID", raising=False)
    monkeypatch.delenv("CDMX_PRESENCE_TIMEOUT_SECONDS", raising=False)
    assert load_settings().presence_timeout_seconds == 120
    monkeypatch.setenv("CDMX_PRESENCE_TIMEOUT_SECONDS", "300")
    assert load_settings().presence_timeout_seconds == 300
    for wrong in ("30", "soon"):  # below 60 an open tab's touches could come too late
        monkeypatch.setenv("CDMX_PRESENCE_TIMEOUT_SECONDS", wrong)
        with pytest.raises(SettingsError, match=r"^CDMX_PRESENCE_TIMEOUT_SECONDS: "):
            load_settings()
