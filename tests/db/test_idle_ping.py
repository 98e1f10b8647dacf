"""PostgreSQL connections are pinged before use only after sitting idle: a connection the
server dropped meanwhile is replaced unseen, and a busy one costs no extra round trip."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text

from cdmx.db import engine as engine_module
from cdmx.db.engine import Database
from cdmx.db.notify import libpq_url
from tests.conftest import BACKEND_URL, record_calls

pytestmark = pytest.mark.skipif(BACKEND_URL == "sqlite", reason="a PostgreSQL connection pool")

IDLE = 0.2


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", IDLE)
    database = Database(database_url)
    yield database
    database.dispose()


def _backend_pid(database: Database) -> int:
    with database.read() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_reused_at_once_is_not_pinged_and_an_idle_one_is(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = record_calls(monkeypatch, database.engine.dialect, "do_ping")
    _backend_pid(database)  # a new connection: nothing to ping
    _backend_pid(database)
    with database.write() as session:
        session.execute(text("SELECT 1"))
    assert pings == []
    time.sleep(IDLE + 0.1)
    _backend_pid(database)
    assert len(pings) == 1


def test_a_connection_dropped_while_idle_is_replaced_before_anyone_uses_it(
    database: Database, database_url: str
) -> None:
    first = _backend_pid(database)
    with psycopg.connect(libpq_url(database_url), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (first,))
    time.sleep(IDLE + 0.1)
    second = _backend_pid(database)  # no error: the dead connection failed its ping
    assert second != first
    with database.write() as session:
        assert session.execute(text("SELECT 1")).scalar_one() == 1
