"""``/api/v1/reports/summary`` and the CSV exports over HTTP: who sees what, the shapes,
the audit entry of a download, and exports written while they are read."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from cdmx.actions.queues import do_create_queue
from cdmx.actions.users import do_update_user
from cdmx.db.engine import Database
from cdmx.db.tables import AuditEntry, Queue, User
from tests.actions.test_outbox import open_conversation, reply
from tests.conftest import bearer
from tests.counting import count_queries

TODAY = datetime.now(UTC).astimezone(ZoneInfo("America/Mexico_City")).date().isoformat()
PERIOD = {"from": TODAY, "to": TODAY}


def default_queue(db: Database) -> int:
    with db.read() as session:
        return session.scalars(select(Queue.id).where(Queue.is_default.is_(True))).one()


def in_other_queue(db: Database, user: User) -> None:
    with db.write() as session:
        other = do_create_queue(session, name="Otra")
        do_update_user(session, user.id, queue_ids=[other.id])


def two_answered_conversations(db: Database, agent: User) -> list[int]:
    ids = [open_conversation(db, wa_id=f"52155100000{n}") for n in (1, 2)]
    for conversation_id in ids:
        reply(db, agent, conversation_id, "¡Hola!")
    return ids


async def test_an_agent_gets_403_from_the_summary_and_both_exports(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    headers = await bearer(client, make_user())
    for path, params in (
        ("/api/v1/reports/summary", PERIOD),
        ("/api/v1/reports/conversations.csv", PERIOD),
        ("/api/v1/contacts.csv", {}),
    ):
        answer = await client.get(path, params=params, headers=headers)
        assert answer.status_code == 403, path
        assert answer.json()["error"]["code"] == "supervisors_only"


async def test_the_summary_has_every_figure_raw_and_in_business_hours(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user(name="Ana")
    two_answered_conversations(db, agent)
    headers = await bearer(client, make_user(role="admin", availability="offline"))
    answer = await client.get(
        "/api/v1/reports/summary", params={**PERIOD, "group_by": "agent"}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    (row,) = answer.json()["rows"]
    assert (row["key"], row["name"], row["conversations"], row["first_responses"]) == (
        agent.id, "Ana", 2, 2,
    )  # fmt: skip
    assert set(row) >= {
        "first_response_median_s", "first_response_p90_s", "first_response_business_median_s",
        "first_response_business_p90_s", "reply_median_s", "reply_business_median_s",
        "resolution_median_s", "resolution_business_median_s", "answered_within_target",
        "csat_avg", "csat_count",
    }  # fmt: skip
    # The default queue is always open: business seconds are the raw ones.
    assert row["first_response_business_median_s"] == row["first_response_median_s"]
    assert row["first_response_median_s"] is not None and row["answered_within_target"] == 1.0
    (day,) = (await client.get("/api/v1/reports/summary", params=PERIOD, headers=headers)).json()[
        "rows"
    ]
    assert (day["key"], day["name"], day["conversations"]) == (TODAY, TODAY, 2)


async def test_a_supervisor_sees_only_their_queues_in_reports_and_exports(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    two_answered_conversations(db, agent)
    member = await bearer(client, make_user(role="supervisor", availability="offline"))
    outsider_user = make_user(role="supervisor", availability="offline")
    in_other_queue(db, outsider_user)
    outsider = await bearer(client, outsider_user)
    for headers, conversations in ((member, 2), (outsider, 0)):
        rows = (
            await client.get(
                "/api/v1/reports/summary", params={**PERIOD, "group_by": "queue"}, headers=headers
            )
        ).json()["rows"]
        assert sum(row["conversations"] for row in rows) == conversations
        exported = await client.get(
            "/api/v1/reports/conversations.csv", params=PERIOD, headers=headers
        )
        assert len(list(csv.DictReader(io.StringIO(exported.text)))) == conversations
        contacts = await client.get("/api/v1/contacts.csv", headers=headers)
        assert len(list(csv.DictReader(io.StringIO(contacts.text)))) == conversations


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({**PERIOD, "group_by": "week"}, "invalid_group_by"),
        ({"from": "2026-03-20", "to": "2026-03-19"}, "invalid_period"),
        ({"from": "2025-01-01", "to": "2026-12-31"}, "period_too_long"),
    ],
)
async def test_a_wrong_period_or_grouping_is_a_422_that_says_which(
    client: httpx.AsyncClient, make_user: Callable[..., User], params: dict[str, str], code: str
) -> None:
    headers = await bearer(client, make_user(role="admin", availability="offline"))
    answer = await client.get("/api/v1/reports/summary", params=params, headers=headers)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == code


async def test_downloading_an_export_is_recorded_in_the_audit_trail(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    ids = two_answered_conversations(db, agent)
    admin = make_user(role="admin", availability="offline")
    headers = await bearer(client, admin)
    answer = await client.get("/api/v1/reports/conversations.csv", params=PERIOD, headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert "content-length" not in answer.headers  # streamed, not built whole
    assert [int(r["id"]) for r in csv.DictReader(io.StringIO(answer.text))] == ids
    contacts = await client.get("/api/v1/contacts.csv", headers=headers)
    assert contacts.headers["content-disposition"] == 'attachment; filename="contacts.csv"'
    with db.read() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "export.downloaded")
            .order_by(AuditEntry.id)
        ).all()  # fmt: skip
    assert [(e.actor_id, e.object_type, e.detail) for e in entries] == [
        (admin.id, "conversation", {"export": "conversations.csv", **PERIOD}),
        (admin.id, "contact", {"export": "contacts.csv"}),
    ]


def test_the_exports_are_written_while_they_are_read_a_batch_at_a_time(
    db: Database, make_user: Callable[..., User], monkeypatch: Any
) -> None:
    """Generators over keyset batches: the header costs no query; then each batch of
    EXPORT_BATCH rows a fixed few, so memory holds one batch, never the year."""
    import cdmx.queries.exports as exports
    from cdmx.queries.exports import CONTACT_FIELDS, CONVERSATION_FIELDS
    from cdmx.queries.reports import Period
    from cdmx.web.api.reports import _csv

    monkeypatch.setattr(exports, "EXPORT_BATCH", 2)
    ids = [open_conversation(db, wa_id=f"52155100000{n}") for n in range(5)]
    day = datetime.now(UTC).astimezone(ZoneInfo("America/Mexico_City")).date()
    period = Period(day, day, ZoneInfo("America/Mexico_City"))
    lines = _csv(db, CONVERSATION_FIELDS, lambda s: exports.conversation_rows(s, period, None))
    with count_queries(db) as statements:
        assert next(lines).startswith("id,number,queue,contact_id")
        assert statements == []
        first = next(lines)
        assert first.startswith(f"{ids[0]},")
        # The agents' names, then the first batch: its opened rows, reporting rows and
        # conversations (three reads for two conversations).
        assert len(statements) == 4
        rest = list(lines)
    assert len(rest) == 4 and len(statements) == 4 + 3 + 3
    contacts = _csv(db, CONTACT_FIELDS, lambda s: exports.contact_rows(s, None, period.zone))
    with count_queries(db) as statements:
        assert next(contacts).startswith("id,wa_id,name")
        assert statements == []
        assert len(list(contacts)) == 5 and len(statements) == 3  # 2 + 2 + 1


async def test_a_queue_s_first_response_target_is_set_through_the_api(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    headers = await bearer(client, make_user(role="admin", availability="offline"))
    queue_id = default_queue(db)
    listed = (await client.get("/api/v1/queues", headers=headers)).json()["queues"]
    assert listed[0]["target_first_response_seconds"] == 300  # the default
    changed = await client.patch(
        f"/api/v1/queues/{queue_id}", json={"target_first_response_seconds": 120},
        headers=headers,
    )  # fmt: skip
    assert changed.status_code == 200 and changed.json()["target_first_response_seconds"] == 120
    refused = await client.patch(
        f"/api/v1/queues/{queue_id}", json={"target_first_response_seconds": 0}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_target_first_response_seconds"
