"""``GET /api/v1/live``: a scripted morning on a frozen clock and every number of the live
view compared with the one worked out by hand; who sees which queues; agents get 403."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from sqlalchemy import select

from cdmx.actions.inbound import do_record_inbound_message
from cdmx.actions.queues import do_create_queue, do_update_queue
from cdmx.actions.replies import do_send_text
from cdmx.actions.users import do_update_user
from cdmx.db.engine import Database
from cdmx.db.tables import Channel, Queue, User
from cdmx.whatsapp.payload import parse_update
from tests.conftest import bearer
from tests.factories import text_message

ZONE = ZoneInfo("America/Mexico_City")


def at(clock: str) -> datetime:
    hour, minute = clock.split(":")
    return datetime(2026, 3, 17, int(hour), int(minute), tzinfo=ZONE)


def writes(db: Database, wa_id: str, name: str) -> int:
    update = parse_update(json.dumps(text_message("hola", wa_id=wa_id, name=name)).encode())
    with db.write() as session:
        channel = session.scalars(select(Channel)).one()
        message = do_record_inbound_message(session, channel, update.messages[0])
        assert message is not None
        return message.conversation_id


def answers(db: Database, user: User, conversation_id: int) -> None:
    with db.write() as session:
        agent = session.get(User, user.id)
        assert agent is not None
        do_send_text(session, agent, conversation_id, "¡Con gusto!", None)


@pytest.fixture
def morning(db: Database, make_user: Callable[..., User]) -> Iterator[dict[str, Any]]:
    """Tuesday 17 March 2026, Mexico City. Ana (available, room for two) and Beto (away)
    staff the default queue, target 600 s.

        10:00  Uno writes  → K1, Ana
        10:01  Dos writes  → K2, Ana (now full)
        10:02  Tres writes → K3, waits in the queue
        10:03  Ana answers K1 (first response 180 s)
        10:05  the live view is read
    """
    ana = make_user(name="Ana")
    beto = make_user(name="Beto", availability="away")
    with db.write() as session:
        queue_id = session.scalars(select(Queue.id).where(Queue.is_default.is_(True))).one()
        do_update_queue(session, queue_id, target_first_response_seconds=600)
        do_update_user(session, ana.id, queue_ids=[queue_id], capacity=2)
        do_update_user(session, beto.id, queue_ids=[queue_id])
    with time_machine.travel(at("10:00"), tick=False) as clock:
        k1 = writes(db, "5215510000001", "Uno")
        clock.move_to(at("10:01"))
        k2 = writes(db, "5215510000002", "Dos")
        clock.move_to(at("10:02"))
        k3 = writes(db, "5215510000003", "Tres")
        clock.move_to(at("10:03"))
        answers(db, ana, k1)
        clock.move_to(at("10:05"))
        yield {"ana": ana, "beto": beto, "queue_id": queue_id, "K1": k1, "K2": k2, "K3": k3}


async def test_the_live_view_has_the_morning_s_numbers_worked_out_by_hand(
    client: httpx.AsyncClient, make_user: Callable[..., User], morning: dict[str, Any]
) -> None:
    headers = await bearer(client, make_user(role="admin", availability="offline", name="Zoe"))
    answer = await client.get("/api/v1/live", headers=headers)
    assert answer.status_code == 200, answer.text
    live = answer.json()
    assert live["now"] == "2026-03-17T16:05:00Z"
    (queue,) = [q for q in live["queues"] if q["id"] == morning["queue_id"]]
    assert {key: queue[key] for key in (
        "waiting", "unassigned", "oldest_wait_s", "oldest_waiting_since", "open",
        "agents_available", "agents_away", "agents_offline", "first_responses_today",
        "answered_within_target_today", "target_first_response_seconds",
    )} == {
        "waiting": 2, "unassigned": 1, "oldest_wait_s": 240.0,
        "oldest_waiting_since": "2026-03-17T16:01:00Z", "open": 3,
        "agents_available": 1, "agents_away": 1, "agents_offline": 1,
        "first_responses_today": 1, "answered_within_target_today": 1.0,
        "target_first_response_seconds": 600,
    }  # fmt: skip
    agents = {agent["name"]: agent for agent in live["agents"]}
    ana, beto = agents["Ana"], agents["Beto"]
    assert {key: ana[key] for key in (
        "availability", "open", "capacity", "oldest_unanswered_s",
        "oldest_unanswered_conversation_id", "replies_today", "first_response_median_today_s",
    )} == {
        "availability": "available", "open": 2, "capacity": 2, "oldest_unanswered_s": 240.0,
        "oldest_unanswered_conversation_id": morning["K2"], "replies_today": 1,
        "first_response_median_today_s": 180.0,
    }  # fmt: skip
    assert (beto["availability"], beto["open"], beto["oldest_unanswered_s"]) == ("away", 0, None)
    assert (beto["replies_today"], beto["first_response_median_today_s"]) == (0, None)
    # The admin joined the default queue as every new user does: staff, offline.
    assert (agents["Zoe"]["availability"], agents["Zoe"]["open"]) == ("offline", 0)
    assert list(agents) == ["Ana", "Beto", "Zoe"]
    # The waits, oldest first: K2 (Ana's, 4 min), K3 (the queue's, 3 min); K1 is answered.
    assert [
        (w["conversation_id"], w["contact_name"], w["assignee_name"], w["wait_s"])
        for w in live["waiting"]
    ] == [(morning["K2"], "Dos", "Ana", 240.0), (morning["K3"], "Tres", None, 180.0)]
    assert live["waiting"][0]["target_first_response_seconds"] == 600


async def test_a_supervisor_sees_only_their_queues_and_an_agent_gets_403(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User],
    morning: dict[str, Any],
) -> None:  # fmt: skip
    supervisor = make_user(role="supervisor", availability="offline")
    with db.write() as session:
        other = do_create_queue(session, name="Facturación")
        do_update_user(session, supervisor.id, queue_ids=[other.id])
    live = (await client.get("/api/v1/live", headers=await bearer(client, supervisor))).json()
    assert [q["name"] for q in live["queues"]] == ["Facturación"]
    assert (live["queues"][0]["waiting"], live["queues"][0]["open"]) == (0, 0)
    assert live["waiting"] == []
    assert [agent["id"] for agent in live["agents"]] == [supervisor.id]

    answer = await client.get("/api/v1/live", headers=await bearer(client, morning["ana"]))
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "supervisors_only"


def test_the_open_conversations_are_read_through_the_open_index_however_many_closed(
    db: Database,
) -> None:
    """A year of closed conversations and a few open ones, the statistics gathered: the
    live view's read walks the open ones only (SQLite's planner took a status IN (...) for
    most of the table and scanned it)."""
    from sqlalchemy import insert, text

    from cdmx.db.tables import CONTACTS, CONVERSATIONS
    from cdmx.queries.live import open_conversations
    from tests.queries.test_metrics import _plan

    now = datetime(2026, 3, 17, 12, 0, tzinfo=ZONE)
    with db.write() as session:
        channel_id = session.scalars(select(Channel.id)).one()
        connection = session.connection()
        connection.execute(insert(CONTACTS), [
            {"id": n, "identity": f"wa:{n}", "wa_id": str(n), "name": f"C{n}",
             "created_at": now, "updated_at": now}
            for n in range(1, 2001)
        ])  # fmt: skip
        connection.execute(insert(CONVERSATIONS), [
            {"id": n, "channel_id": channel_id, "contact_id": n,
             "status": "closed" if n > 5 else "queued", "unread_count": 0, "created_at": now,
             "labels": None}
            for n in range(1, 2001)
        ])  # fmt: skip
        connection.execute(text("ANALYZE"))
    plan = _plan(db, open_conversations(None))
    if db.is_sqlite:
        assert any("uq_conversations_open" in line for line in plan), plan
        assert "SCAN conversations" not in plan, plan
    else:
        assert not any("Seq Scan on conversations" in line for line in plan), plan
