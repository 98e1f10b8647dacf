"""Inbound updates whose fields no database column can keep, or whose sender is no phone
number: stored with a clear error on their inbox row and one log line, never a traceback,
never retried; the good messages beside them are kept."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import select

from cdmx.actions.inbox import do_store_update
from cdmx.db.engine import Database
from cdmx.db.tables import Contact, InboxUpdate, Message
from cdmx.workers.inbox import process_pending
from tests.factories import text_message


def _without_contacts(sender: Any, text: str = "hola") -> dict[str, Any]:
    payload = text_message(text)
    value = payload["entry"][0]["changes"][0]["value"]
    del value["contacts"]
    value["messages"][0]["from"] = sender
    return payload


def _store(db: Database, payload: dict[str, Any]) -> None:
    with db.write() as session:
        do_store_update(session, json.dumps(payload).encode())


@pytest.mark.parametrize(
    ("sender", "words"),
    [
        ("hello", "'hello' is not a phone number"),
        ("\u0000abc", "is not a phone number"),
        ("5" * 50, "is not a phone number"),
        ("", "neither from nor from_user_id"),
        ({"a": 1}, "neither from nor from_user_id"),
    ],
)
def test_a_sender_that_is_no_phone_number_is_kept_with_its_reason(
    db: Database, caplog: pytest.LogCaptureFixture, sender: Any, words: str
) -> None:
    _store(db, _without_contacts(sender))
    with caplog.at_level(logging.INFO):
        assert process_pending(db) == 1
    with db.read() as session:
        row = session.scalars(select(InboxUpdate)).one()
        assert row.processed_at is not None and row.attempts == 1  # not retried
        assert words in (row.error or ""), row.error
        assert session.scalars(select(Message)).all() == []
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(problems) == 1 and words in problems[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)


def test_a_nul_in_a_customer_message_is_dropped_and_the_message_kept(db: Database) -> None:
    _store(db, text_message("hola\u0000 mundo", name="Mar\u0000ía"))
    assert process_pending(db) == 1
    with db.read() as session:
        row = session.scalars(select(InboxUpdate)).one()
        assert row.error is None
        assert session.scalars(select(Message.text)).one() == "hola mundo"
        assert session.scalars(select(Contact.name)).one() == "María"


def test_values_too_big_for_their_columns_are_reported_not_retried(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    long_id = text_message("hola", wamid="wamid." + "x" * 400)
    error_code = text_message("hola", wa_id="5215512340000")
    item = error_code["entry"][0]["changes"][0]["value"]["messages"][0]
    item["errors"] = [{"code": 2**70, "title": "odd"}]
    item["timestamp"] = "9" * 30
    long_name = text_message("hola", wa_id="5215512340001", name="N" * 5000)
    for payload in (long_id, error_code, long_name):
        _store(db, payload)
    with caplog.at_level(logging.INFO):
        assert process_pending(db) == 3
    with db.read() as session:
        rows = session.scalars(select(InboxUpdate).order_by(InboxUpdate.id)).all()
        assert all(r.processed_at is not None and r.attempts == 1 for r in rows)
        assert "longer than 255" in (rows[0].error or "")
        assert len(session.scalars(select(Message)).all()) == 2
        assert {len(n) for n in session.scalars(select(Contact.name))} == {200, len("Cliente")}
    assert not any(r.exc_info for r in caplog.records)
