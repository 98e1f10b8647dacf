"""/metrics: readable only with its bearer token when one is set, and every statement it runs
reads an index range (the plans, on SQLite and on PostgreSQL), never a whole table."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from cdmx.app import create_app
from cdmx.db.engine import Database
from cdmx.queries.metrics import STATEMENTS
from cdmx.settings import Settings
from tests.conftest import signed
from tests.factories import text_message


async def test_metrics_are_open_without_a_token_setting(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "cdmx_inbox_pending 0" in response.text
    assert 'cdmx_conversations{status="queued"} 0' in response.text


async def test_with_a_token_only_its_bearer_reads_the_metrics(
    settings: Settings, db: Database
) -> None:
    app = create_app(
        settings.model_copy(update={"metrics_token": "scrape-me-0123456789"}), run_workers=False
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "scrape-me"}):
            refused = await http.get("/metrics", headers=headers)
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"] == "Bearer"
            assert "cdmx_" not in refused.text
        allowed = await http.get(
            "/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"}
        )
        assert allowed.status_code == 200 and "cdmx_messages_stored" in allowed.text


async def test_the_figures_follow_what_happens(
    client: httpx.AsyncClient, app: Any, db: Database
) -> None:
    from tests.conftest import eventually

    body, headers = signed(text_message("hola"))
    assert (
        await client.post("/webhooks/whatsapp", content=body, headers=headers)
    ).status_code == 200

    async def processed() -> bool:
        return "cdmx_messages_stored 1\n" in (await client.get("/metrics")).text

    await eventually(processed)
    text_ = (await client.get("/metrics")).text
    assert 'cdmx_conversations{status="queued"} 1' in text_ or (
        'cdmx_conversations{status="assigned"} 1' in text_
    )


def _sql(db: Database, statement: Any) -> str:
    with db.engine.connect() as connection:
        return str(
            statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
        ).replace("\n", " ")


def _plan(db: Database, statement: Any) -> list[str]:
    with db.engine.connect() as connection:
        compiled = statement.compile(
            dialect=connection.dialect, compile_kwargs={"literal_binds": True}
        )
        if db.is_sqlite:
            rows = connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
            return [str(row[-1]) for row in rows]
        connection.execute(text("SET LOCAL enable_seqscan = off"))  # would an index do? then no seq
        return [str(row[0]) for row in connection.execute(text(f"EXPLAIN {compiled}")).all()]


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_no_metric_reads_a_whole_table(db: Database, name: str) -> None:
    plan = _plan(db, STATEMENTS[name])
    if db.is_sqlite:
        # "SCAN t" is a walk of the table: only for the last row by id (LIMIT 1, the rowid
        # walked backwards); everything else is a SEARCH, an index range — or the walk of a
        # partial index that holds only the backlog (the pending webhook deliveries).
        backlog = {
            "SCAN webhook_deliveries USING COVERING INDEX ix_webhook_deliveries_pending",
            "SCAN webhook_deliveries USING INDEX ix_webhook_deliveries_pending",
        }
        scans = [line for line in plan if line.startswith("SCAN") and line not in backlog]
        assert all(re.fullmatch(r"SCAN (messages|inbox)", line) for line in scans), plan
        assert len(scans) <= 1 and (not scans or " LIMIT 1" in _sql(db, STATEMENTS[name])), plan
    else:
        assert not any("Seq Scan" in line for line in plan), plan
