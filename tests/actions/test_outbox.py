"""The outbox rules: claims in conversation order, leases that expire, what each Graph error
does, and statuses that arrive before the send was recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from cdmx.actions.inbound import do_record_inbound_message
from cdmx.actions.outbox import claim_sends, do_record_send_error, do_record_sent
from cdmx.actions.replies import do_send_text
from cdmx.actions.statuses import do_apply_status
from cdmx.db.engine import Database
from cdmx.db.tables import Channel, EarlyStatus, Message, OutboxItem, User
from cdmx.whatsapp.errors import AuthFailed, NeedsTemplate, Retryable
from cdmx.whatsapp.payload import parse_update
from tests.factories import status, text_message


def open_conversation(db: Database, wa_id: str = "5215512345678", text: str = "hola") -> int:
    inbound = parse_update(json.dumps(text_message(text, wa_id=wa_id)).encode()).messages[0]
    with db.write() as session:
        channel = session.scalars(select(Channel)).one()
        message = do_record_inbound_message(session, channel, inbound)
        assert message is not None
        return message.conversation_id


def reply(db: Database, user: User, conversation_id: int, text: str) -> int:
    with db.write() as session:
        agent = session.get(User, user.id)
        assert agent is not None
        return do_send_text(session, agent, conversation_id, text, None).id


def claim(db: Database, now: datetime | None = None) -> list[str]:
    with db.write() as session:
        jobs = claim_sends(session, now or datetime.now(UTC))
        return [job.body["text"]["body"] for job in jobs]


def test_only_the_oldest_unsent_reply_of_each_conversation_is_claimed(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    first = open_conversation(db, "5215500000001")
    second = open_conversation(db, "5215500000002")
    for text in ("a1", "a2"):
        reply(db, agent, first, text)
    reply(db, agent, second, "b1")
    assert sorted(claim(db)) == ["a1", "b1"]
    assert claim(db) == []  # leased: nobody else takes them, and a2 waits for a1


def test_a_lease_that_expires_gives_the_row_to_another_sender(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    conversation = open_conversation(db)
    reply(db, agent, conversation, "hola")
    assert claim(db) == ["hola"]
    later = datetime.now(UTC) + timedelta(minutes=2)  # the first sender died
    assert claim(db, later) == ["hola"]


def test_a_status_that_beats_the_send_response_is_applied_when_the_wamid_arrives(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    conversation = open_conversation(db)
    message_id = reply(db, agent, conversation, "hola")
    with db.write() as session:
        job = claim_sends(session, datetime.now(UTC))[0]
    early = parse_update(json.dumps(status("wamid.EARLY", "read")).encode()).statuses[0]
    with db.write() as session:
        channel = session.scalars(select(Channel)).one()
        assert do_apply_status(session, channel, early) is False  # kept for later
    with db.write() as session:
        do_record_sent(session, job, "wamid.EARLY")
    with db.read() as session:
        message = session.get(Message, message_id)
        assert message is not None
        assert (message.wamid, message.status) == ("wamid.EARLY", "read")
        assert session.scalars(select(EarlyStatus)).all() == []


def test_retryable_errors_come_back_later_and_window_errors_fail_the_message(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    conversation = open_conversation(db)
    message_id = reply(db, agent, conversation, "hola")
    with db.write() as session:
        job = claim_sends(session, datetime.now(UTC))[0]
        assert do_record_send_error(session, job, Retryable("HTTP 503")) == "retry"
        item = session.scalars(select(OutboxItem)).one()
        assert item.done_at is None and item.next_attempt_at > datetime.now(UTC)
    with db.write() as session:
        job = claim_sends(session, datetime.now(UTC) + timedelta(minutes=10))[0]
        error = NeedsTemplate("Re-engagement message", code=131047, details="24 hours passed")
        assert do_record_send_error(session, job, error) == "failed"
    with db.read() as session:
        message = session.get(Message, message_id)
        assert message is not None
        assert (message.status, message.error_code, message.error_details) == (
            "failed", 131047, "24 hours passed",
        )  # fmt: skip


def test_an_auth_failure_pauses_the_number_without_losing_the_reply(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    conversation = open_conversation(db)
    message_id = reply(db, agent, conversation, "hola")
    with db.write() as session:
        job = claim_sends(session, datetime.now(UTC))[0]
        outcome = do_record_send_error(session, job, AuthFailed("token expired", code=190))
    assert outcome == "paused"
    with db.read() as session:
        channel = session.scalars(select(Channel)).one()
        assert channel.health == "needs_attention"
        message = session.get(Message, message_id)
        assert message is not None and message.status == "queued"
    assert claim(db, datetime.now(UTC) + timedelta(hours=1)) == []  # paused, not dropped
    with db.write() as session:
        channel = session.scalars(select(Channel)).one()
        channel.health = "ok"  # the operator fixed the token
    assert claim(db, datetime.now(UTC) + timedelta(hours=1)) == ["hola"]


def test_the_pair_rate_limit_waits_at_least_six_seconds() -> None:
    from cdmx.actions.outbox import backoff_seconds
    from cdmx.whatsapp.errors import Throttled

    pair = Throttled("(#131056) Pair rate limit hit", code=131056)
    assert min(backoff_seconds(1, pair) for _ in range(50)) >= 6.0
    assert min(backoff_seconds(1, Throttled("throughput", code=130429)) for _ in range(50)) < 6.0
