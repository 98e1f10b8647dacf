"""The inbox list costs the same however many conversations it shows (no N+1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.queries.conversations import list_conversations
from tests.actions.test_outbox import open_conversation
from tests.conftest import bearer
from tests.counting import count_queries


def open_many(db: Database, first: int, count: int) -> None:
    for n in range(first, first + count):
        open_conversation(db, wa_id=f"52155{n:08d}")


def listed(db: Database, user: User) -> tuple[int, int]:
    """(rows listed, statements sent) for ``user``'s "all" view."""
    with count_queries(db) as statements, db.read() as session:
        rows = list_conversations(session, user, view="all")
    return len(rows), len(statements)


def test_listing_ten_conversations_costs_what_listing_three_does(
    db: Database, make_user: Callable[..., User]
) -> None:
    supervisor = make_user(role="supervisor", availability="away")
    make_user()  # the agent they are routed to
    open_many(db, 1, 3)
    three = listed(db, supervisor)
    open_many(db, 4, 7)
    ten = listed(db, supervisor)
    assert (three[0], ten[0]) == (3, 10)
    assert three[1] == ten[1] == 1


async def test_the_inbox_endpoint_sends_as_many_statements_for_ten_as_for_three(
    app: Any, client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    supervisor = make_user(role="supervisor", availability="away")
    make_user()
    headers = await bearer(client, supervisor)
    app_db: Database = app.state.services.db

    async def statements_for_list() -> tuple[int, int]:
        with count_queries(app_db) as statements:
            response = await client.get(
                "/api/v1/conversations", params={"view": "all"}, headers=headers
            )
        assert response.status_code == 200, response.text
        return len(response.json()["conversations"]), len(statements)

    open_many(db, 1, 3)
    three = await statements_for_list()
    open_many(db, 4, 7)
    ten = await statements_for_list()
    assert (three[0], ten[0]) == (3, 10)
    assert three[1] == ten[1]
