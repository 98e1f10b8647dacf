"""The satisfaction survey: sent once on close (a list inside the window, the queue's
template outside it), answered on the closed conversation without reopening it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from cdmx.actions.closing import do_close_conversation
from cdmx.actions.report_rebuild import do_rebuild_reports
from cdmx.actions.templates import do_sync_templates
from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, Event, Message, OutboxItem, ReportEvent, User
from cdmx.queries.reports import Period, summary
from cdmx.whatsapp.payload import InboundMessage, parse_update
from tests.actions.test_automatic import set_queue
from tests.actions.test_inbound import channel_of, inbound, record
from tests.conftest import WABA_ID
from tests.counting import captured_events
from tests.factories import envelope

ZONE = ZoneInfo("America/Mexico_City")
CUSTOMER = "5215512345678"
_ids = iter(range(1, 1_000_000))


def tap(reply_id: str, *, kind: str = "list_reply", wa_id: str = CUSTOMER) -> InboundMessage:
    """The customer taps a list row (or a reply button) whose id is ``reply_id``."""
    item = {
        "from": wa_id, "id": f"wamid.TAP{next(_ids)}", "timestamp": str(int(time.time())),
        "type": "interactive",
        "interactive": {"type": kind, kind: {"id": reply_id, "title": "5 — Excelente"}},
    }  # fmt: skip
    body = envelope({"contacts": [{"profile": {"name": "Cliente"}, "wa_id": wa_id}],
                     "messages": [item]})  # fmt: skip
    return parse_update(json.dumps(body).encode()).messages[0]


def template_tap(payload: str, text: str = "5") -> InboundMessage:
    """The customer taps a quick-reply button of a template."""
    item = {
        "from": CUSTOMER, "id": f"wamid.BTN{next(_ids)}", "timestamp": str(int(time.time())),
        "type": "button", "button": {"payload": payload, "text": text},
    }  # fmt: skip
    body = envelope({"contacts": [{"profile": {"name": "Cliente"}, "wa_id": CUSTOMER}],
                     "messages": [item]})  # fmt: skip
    return parse_update(json.dumps(body).encode()).messages[0]


def opened(db: Database, wa_id: str = CUSTOMER) -> int:
    message = record(db, channel_of(db), inbound("hola", wa_id=wa_id))
    assert message is not None
    return message.conversation_id


def close(db: Database, user: User, conversation_id: int) -> None:
    with db.write() as session:
        closer = session.get(User, user.id)
        assert closer is not None
        do_close_conversation(session, closer, conversation_id)


def outbound(db: Database, conversation_id: int) -> list[Message]:
    with db.read() as session:
        rows = session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.direction == "outbound")
            .order_by(Message.id)
        ).all()
        queued = set(session.scalars(select(OutboxItem.message_id)))
        assert {row.id for row in rows} <= queued  # each goes through the outbox
        return list(rows)


def conversation(db: Database, conversation_id: int) -> Conversation:
    with db.read() as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        return found


def csat_rows(db: Database) -> list[tuple[int, int | None, int | None]]:
    with db.read() as session:
        rows = session.execute(
            select(ReportEvent.conversation_id, ReportEvent.value, ReportEvent.agent_id)
            .where(ReportEvent.kind == "csat")
            .order_by(ReportEvent.id)
        )
        return [(row.conversation_id, row.value, row.agent_id) for row in rows]


def shut_window(db: Database, conversation_id: int) -> None:
    with db.write() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(last_inbound_at=datetime.now(UTC) - timedelta(hours=25))
        )


def survey_template(components: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": "9001", "name": "encuesta_csat", "language": "es_MX", "status": "APPROVED",
        "category": "UTILITY",
        "components": components or [
            {"type": "BODY", "text": "¿Cómo calificarías la atención que recibiste?"},
            {"type": "BUTTONS", "buttons": [
                {"type": "QUICK_REPLY", "text": "5 Excelente"},
                {"type": "QUICK_REPLY", "text": "3 Regular"},
                {"type": "QUICK_REPLY", "text": "1 Mala"},
            ]},
        ],
    }  # fmt: skip


def sync(db: Database, *templates: dict[str, Any]) -> None:
    with db.write() as session:
        do_sync_templates(session, WABA_ID, list(templates))


def test_closing_inside_the_window_sends_the_list_once(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    set_queue(db, csat_enabled=True)
    conversation_id = opened(db)
    with captured_events(db) as events:
        close(db, agent, conversation_id)
    assert [e.type for e in events] == ["conversation.closed", "message.created"]
    announced = events[1].data
    assert announced["conversation"]["csat"]["sent_at"] is not None
    assert announced["conversation"]["csat"]["score"] is None
    [survey] = outbound(db, conversation_id)
    assert announced["message"]["id"] == survey.id
    assert survey.type == "interactive" and survey.author_id is None  # by no one: "Sistema"
    interactive = survey.payload["interactive"]
    assert interactive["type"] == "list"
    assert interactive["body"]["text"] == "¿Cómo calificarías la atención que recibiste?"
    assert len(interactive["action"]["button"]) <= 20
    rows = [row for section in interactive["action"]["sections"] for row in section["rows"]]
    assert [row["id"] for row in rows] == [f"csat:{conversation_id}:{s}" for s in (5, 4, 3, 2, 1)]
    assert rows[0]["title"] == "5 — Excelente" and rows[-1]["title"] == "1 — Muy mala"
    assert all(len(row["title"]) <= 24 for row in rows)
    closed = conversation(db, conversation_id)
    assert closed.status == "closed" and closed.csat_sent_at is not None
    assert closed.messages_out == 0  # automatic: not a person's message, nor a reply
    with db.read() as session:
        kinds = session.scalars(select(ReportEvent.kind).order_by(ReportEvent.id)).all()
    assert "reply" not in kinds and "first_reply" not in kinds
    # Closing again sends nothing more.
    close(db, agent, conversation_id)
    assert len(outbound(db, conversation_id)) == 1


def test_no_survey_when_the_queue_does_not_ask_or_the_window_shut_without_template(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    off = opened(db, "5215500000001")
    close(db, agent, off)
    set_queue(db, csat_enabled=True)
    shut = opened(db, "5215500000002")
    shut_window(db, shut)
    close(db, agent, shut)
    assert outbound(db, off) == outbound(db, shut) == []
    assert conversation(db, shut).csat_sent_at is None


def test_outside_the_window_the_queue_s_template_goes_with_scored_payloads(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    sync(db, survey_template())
    set_queue(db, csat_enabled=True, csat_template_name="encuesta_csat",
              csat_template_language="es_MX")  # fmt: skip
    conversation_id = opened(db)
    shut_window(db, conversation_id)
    close(db, agent, conversation_id)
    [survey] = outbound(db, conversation_id)
    assert survey.type == "template"
    template = survey.payload["template"]
    assert template["name"] == "encuesta_csat" and template["language"] == {"code": "es_MX"}
    assert template["components"] == [
        {"type": "button", "sub_type": "quick_reply", "index": str(index),
         "parameters": [{"type": "payload", "payload": f"csat:{conversation_id}:{score}"}]}
        for index, score in ((0, 5), (1, 3), (2, 1))
    ]  # fmt: skip
    assert conversation(db, conversation_id).csat_sent_at is not None
    # The customer taps "3 Regular": counted like a list row.
    record(db, channel_of(db), template_tap(f"csat:{conversation_id}:3", "3 Regular"))
    assert conversation(db, conversation_id).csat_score == 3


def test_a_template_that_is_missing_or_needs_values_sends_nothing(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    needs_a_name = survey_template([{"type": "BODY", "text": "Hola {{1}}, ¿cómo te atendimos?"}])
    sync(db, needs_a_name | {"name": "con_variable"})
    set_queue(db, csat_enabled=True, csat_template_name="no_existe")
    first = opened(db, "5215500000001")
    shut_window(db, first)
    close(db, agent, first)
    set_queue(db, csat_template_name="con_variable")
    second = opened(db, "5215500000002")
    shut_window(db, second)
    close(db, agent, second)
    assert outbound(db, first) == outbound(db, second) == []


def test_the_answer_is_stored_on_the_closed_conversation_without_reopening_it(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    set_queue(db, csat_enabled=True)
    conversation_id = opened(db)
    close(db, agent, conversation_id)
    with db.read() as session:
        before = session.scalar(select(func.max(Event.id))) or 0
    answer = record(db, channel_of(db), tap(f"csat:{conversation_id}:5"))
    assert answer is not None and answer.conversation_id == conversation_id
    rated = conversation(db, conversation_id)
    assert rated.status == "closed" and rated.unread_count == 0
    assert rated.csat_score == 5 and rated.csat_answered_at is not None
    assert rated.awaiting_since is None  # nobody needs to answer it
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 1
        events = session.scalars(select(Event).where(Event.id > before).order_by(Event.id)).all()
    assert [e.type for e in events] == ["message.created", "conversation.updated"]
    assert events[1].data["conversation"]["csat"]["score"] == 5
    assert events[1].data["conversation"]["status"] == "closed"
    assert csat_rows(db) == [(conversation_id, 5, agent.id)]
    # First answer wins: a second tap is in the thread but counts nothing.
    again = record(db, channel_of(db), tap(f"csat:{conversation_id}:1"))
    assert again is not None and again.conversation_id == conversation_id
    assert conversation(db, conversation_id).csat_score == 5
    assert csat_rows(db) == [(conversation_id, 5, agent.id)]


def test_the_answer_counts_in_the_summary(db: Database, make_user: Callable[..., User]) -> None:
    agent = make_user()
    set_queue(db, csat_enabled=True)
    for wa_id, score in (("5215500000001", 5), ("5215500000002", 2)):
        conversation_id = opened(db, wa_id)
        close(db, agent, conversation_id)
        record(db, channel_of(db), tap(f"csat:{conversation_id}:{score}", wa_id=wa_id))
    today = datetime.now(ZONE).date()
    with db.read() as session:
        [row] = summary(session, Period.parse(today, today, ZONE), "queue", None)
    assert row["csat_count"] == 2 and row["csat_avg"] == 3.5


def test_an_answer_after_a_new_conversation_still_rates_the_old_one(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    set_queue(db, csat_enabled=True)
    old = opened(db)
    close(db, agent, old)
    new = opened(db)  # the customer wrote again first: a new conversation
    assert new != old
    record(db, channel_of(db), tap(f"csat:{old}:4"))
    assert conversation(db, old).csat_score == 4 and conversation(db, old).status == "closed"
    assert conversation(db, new).status != "closed" and conversation(db, new).csat_score is None
    # Closing the new one sends its own survey; the old one got exactly one.
    close(db, agent, new)
    assert len(outbound(db, old)) == 1 and len(outbound(db, new)) == 1


def test_bad_answers_are_ordinary_messages_and_count_nothing(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    set_queue(db, csat_enabled=True)
    conversation_id = opened(db)
    close(db, agent, conversation_id)
    other = opened(db, "5215500000009")  # someone else's conversation (open, no survey)
    channel = channel_of(db)
    for reply_id in (
        f"csat:{conversation_id}:9", f"csat:{conversation_id}:0", "csat:999999:5",
        f"csat:{other}:5", "csat:abc:5", "row-1",
    ):  # fmt: skip
        message = record(db, channel, tap(reply_id))
        assert message is not None and message.conversation_id != conversation_id
    assert conversation(db, conversation_id).csat_score is None
    assert conversation(db, other).csat_score is None
    assert csat_rows(db) == []


def test_a_redelivered_answer_is_stored_once(db: Database, make_user: Callable[..., User]) -> None:
    agent = make_user()
    set_queue(db, csat_enabled=True)
    conversation_id = opened(db)
    close(db, agent, conversation_id)
    answer = tap(f"csat:{conversation_id}:5")
    assert record(db, channel_of(db), answer) is not None
    assert record(db, channel_of(db), answer) is None
    assert csat_rows(db) == [(conversation_id, 5, agent.id)]


def test_a_reports_rebuild_keeps_the_score_and_ignores_what_came_after_the_close(
    db: Database, make_user: Callable[..., User]
) -> None:
    agent = make_user()
    set_queue(db, csat_enabled=True)
    conversation_id = opened(db)
    close(db, agent, conversation_id)
    record(db, channel_of(db), tap(f"csat:{conversation_id}:4"))

    def rows() -> list[tuple[Any, ...]]:
        with db.read() as session:
            found = session.execute(
                select(ReportEvent.kind, ReportEvent.at, ReportEvent.agent_id, ReportEvent.value)
                .where(ReportEvent.conversation_id == conversation_id)
                .order_by(ReportEvent.kind)
            )
            return [tuple(row) for row in found]

    live = rows()
    live_in = conversation(db, conversation_id).messages_in
    with db.write() as session:
        do_rebuild_reports(session, [conversation_id])
    assert rows() == live
    assert [(kind, who, value) for kind, _, who, value in live if kind == "csat"] == [
        ("csat", agent.id, 4)
    ]
    assert conversation(db, conversation_id).messages_in == live_in == 1
