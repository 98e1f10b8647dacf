"""A scripted week through the actions, on fixed clock times, and every figure of the
reports compared with the one worked out by hand here (docs/reports.md has the same week).

The business zone is America/Mexico_City (UTC−6 all year). The queue is open Monday to
Friday 09:00–18:00 with Mexico's holidays: Monday 16 March 2026 is one (Benito Juárez), so
the week's business hours start on Tuesday 17 at 09:00. Its greeting and closed message
are automatic: never a response. Its first-response target is 600 s.

    Mon 16 10:00  C1 writes (holiday)           → K1 opened, routed to Ana; greeting, closed msg
    Tue 17 09:30  Ana answers K1                first response 84,600 s raw, 1,800 s business
    Tue 17 17:50  C2 writes                     → K2, Ana
    Tue 17 18:20  Ana answers K2                first response 1,800 s raw, 600 s business
    Tue 17 20:00  C1 writes again in K1         (closed message again: a new closed period)
    Wed 18 09:10  Ana answers K1                reply 47,400 s raw, 600 s business
    Wed 18 10:00  C3 writes                     → K3, Ana
    Wed 18 10:05  Ana transfers K3 to Beto
    Wed 18 10:20  Beto answers K3               first response 1,200 s (from 10:00: the
                                                transfer keeps the customer's wait)
    Wed 18 10:30  Ana closes K1                 resolution 174,600 s raw, 37,800 s business
    Wed 18 10:31  C1 rates K1: 3
    Thu 19 11:00  C1 writes again               → K4 (a reopen: a new conversation), Ana
    Thu 19 11:03  Ana answers K4                first response 180 s
    Thu 19 11:05  Ana snoozes K4 until Friday
    Fri 20 09:00  C1 writes in K4 (wakes it)
    Fri 20 09:04  Ana answers K4                reply 240 s
    Fri 20 09:10  Ana closes K4                 resolution 79,800 s raw, 25,800 s business
    Fri 20 12:00  C1 rates K4: 5
    Sat 21 11:00  C4 writes                     → K5, Ana; never answered this week

K1 and K3 carry the label "Ventas".
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from cdmx.actions.assignment import (
    do_snooze_conversation,
    do_transfer_conversation,
)
from cdmx.actions.closing import do_close_conversation
from cdmx.actions.inbound import do_record_inbound_message
from cdmx.actions.labels import do_create_label, do_set_conversation_labels
from cdmx.actions.queues import do_update_queue
from cdmx.actions.replies import do_send_text
from cdmx.actions.reporting import record_csat
from cdmx.actions.users import do_update_user
from cdmx.db.engine import Database
from cdmx.db.tables import Channel, Conversation, Message, Queue, User
from cdmx.queries.exports import CONVERSATION_FIELDS, conversation_rows
from cdmx.queries.reports import Period, summary
from cdmx.web.api.reports import _csv
from cdmx.whatsapp.payload import parse_update
from tests.conftest import DISPLAY_NUMBER
from tests.factories import text_message

ZONE = ZoneInfo("America/Mexico_City")
WEEK = Period(date(2026, 3, 16), date(2026, 3, 22), ZONE)
HOURS = {
    "weekly": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": "MX",
}
C1, C2, C3, C4 = "5215510000001", "5215510000002", "5215510000003", "5215510000004"


def at(day: int, clock: str) -> datetime:
    hour, minute = clock.split(":")
    return datetime(2026, 3, day, int(hour), int(minute), tzinfo=ZONE)


class Week:
    """The script's verbs, each at a fixed time (the clock is frozen and moved)."""

    def __init__(self, db: Database, clock: Any, users: dict[str, User]) -> None:
        self.db, self.clock, self.users = db, clock, users
        self.conversations: dict[str, int] = {}

    def customer_writes(self, when: datetime, wa_id: str, text: str, name: str = "") -> int:
        self.clock.move_to(when)
        update = parse_update(json.dumps(text_message(text, wa_id=wa_id, name=name)).encode())
        with self.db.write() as session:
            channel = session.scalars(select(Channel)).one()
            message = do_record_inbound_message(session, channel, update.messages[0])
            assert message is not None
            return message.conversation_id

    def _as(self, who: str, when: datetime, work: Callable[[Any, User], Any]) -> None:
        self.clock.move_to(when)
        with self.db.write() as session:
            user = session.get(User, self.users[who].id)
            assert user is not None
            work(session, user)

    def answers(self, when: datetime, who: str, conversation_id: int, text: str) -> None:
        self._as(who, when, lambda s, u: do_send_text(s, u, conversation_id, text, None))

    def transfers(self, when: datetime, who: str, conversation_id: int, to: str) -> None:
        target = self.users[to].id
        self._as(who, when, lambda s, u: do_transfer_conversation(s, u, conversation_id, target))

    def closes(self, when: datetime, who: str, conversation_id: int) -> None:
        self._as(who, when, lambda s, u: do_close_conversation(s, u, conversation_id))

    def snoozes(self, when: datetime, who: str, conversation_id: int, until: datetime) -> None:
        self._as(who, when, lambda s, u: do_snooze_conversation(s, u, conversation_id, until))

    def rates(self, when: datetime, conversation_id: int, score: int) -> None:
        self.clock.move_to(when)
        with self.db.write() as session:
            conversation = session.get(Conversation, conversation_id)
            assert conversation is not None
            record_csat(session, conversation, score, when)


@pytest.fixture
def week(db: Database, make_user: Callable[..., User]) -> Iterator[Week]:
    """The week above, played; ``conversations`` names K1–K5."""
    admin = make_user(role="admin", availability="offline", name="Admin")
    ana = make_user(name="Ana")
    beto = make_user(availability="away", name="Beto")  # never routed to: only Ana is
    with db.write() as session:
        queue_id = session.scalars(select(Queue.id).where(Queue.is_default.is_(True))).one()
        do_update_queue(
            session, queue_id, hours=HOURS, target_first_response_seconds=600,
            greeting_message="¡Hola! En un momento le atendemos.",
            closed_message="Estamos cerrados; le respondemos en horario.",
        )  # fmt: skip
        do_update_user(session, beto.id, queue_ids=[queue_id])
        label = do_create_label(session, admin, name="Ventas", color="#336699")
        label_id = label.id
    users = {"admin": admin, "Ana": ana, "Beto": beto}
    with time_machine.travel(at(16, "08:00"), tick=False) as clock:
        w = Week(db, clock, users)
        k = w.conversations
        k["K1"] = w.customer_writes(at(16, "10:00"), C1, "hola", name="Uno")
        w.answers(at(17, "09:30"), "Ana", k["K1"], "¡Buen día! ¿En qué le ayudo?")
        k["K2"] = w.customer_writes(at(17, "17:50"), C2, "¿tienen envíos?", name="Dos")
        w.answers(at(17, "18:20"), "Ana", k["K2"], "Sí, a todo el país.")
        assert w.customer_writes(at(17, "20:00"), C1, "¿y el precio?") == k["K1"]
        w.answers(at(18, "09:10"), "Ana", k["K1"], "Son 300 pesos.")
        k["K3"] = w.customer_writes(at(18, "10:00"), C3, "quiero facturar", name="Tres")
        w.transfers(at(18, "10:05"), "Ana", k["K3"], "Beto")
        w.answers(at(18, "10:20"), "Beto", k["K3"], "Con gusto, ¿su RFC?")
        w.closes(at(18, "10:30"), "Ana", k["K1"])
        w.rates(at(18, "10:31"), k["K1"], 3)
        k["K4"] = w.customer_writes(at(19, "11:00"), C1, "otra pregunta")
        assert k["K4"] != k["K1"]  # a reopen is a new conversation
        w.answers(at(19, "11:03"), "Ana", k["K4"], "Dígame.")
        w.snoozes(at(19, "11:05"), "Ana", k["K4"], until=at(20, "12:00"))
        assert w.customer_writes(at(20, "09:00"), C1, "gracias, ya quedó") == k["K4"]
        w.answers(at(20, "09:04"), "Ana", k["K4"], "¡A usted!")
        w.closes(at(20, "09:10"), "Ana", k["K4"])
        w.rates(at(20, "12:00"), k["K4"], 5)
        k["K5"] = w.customer_writes(at(21, "11:00"), C4, "hola", name="Cuatro")
        for name in ("K1", "K3"):
            conversation_id = k[name]
            w._as("admin", at(21, "12:00"), lambda s, u, c=conversation_id: (
                do_set_conversation_labels(s, u, c, [label_id])))  # fmt: skip
        yield w


def figures(rows: list[dict[str, Any]], key: Any) -> dict[str, Any]:
    found = [row for row in rows if row["key"] == key]
    assert len(found) == 1, rows
    return found[0]


def run(db: Database, group_by: str, period: Period = WEEK) -> list[dict[str, Any]]:
    with db.read() as session:
        return summary(session, period, group_by, None)


# --- the whole week, one queue ------------------------------------------------------------


def test_the_week_s_figures_for_its_queue_are_the_ones_worked_out_by_hand(
    week: Week, db: Database
) -> None:
    (queue,) = run(db, "queue")
    assert queue["name"] == "General"
    assert queue["conversations"] == 5  # K1–K5: the reopen K4 is one more
    # First responses, raw: K4 180, K3 1,200, K2 1,800, K1 84,600 (23.5 h over the holiday).
    assert queue["first_responses"] == 4
    assert queue["first_response_median_s"] == (1200 + 1800) / 2 == 1500
    # p90: rank 0.9 × (4 − 1) = 2.7, between 1,800 and 84,600: 1,800 + 0.7 × 82,800.
    assert queue["first_response_p90_s"] == 59760
    # In business hours: K4 180, K2 600 (17:50–18:00), K3 1,200, K1 1,800 (Tue 09:00–09:30).
    assert queue["first_response_business_median_s"] == (600 + 1200) / 2 == 900
    assert queue["first_response_business_p90_s"] == 1620  # 1200 + 0.7 × 600
    # Within 600 business seconds: K2 (600, exactly the target) and K4; not K1 nor K3.
    assert queue["answered_within_target"] == 2 / 4
    # Replies: 180, 240, 1,200, 1,800, 47,400, 84,600 raw; 180, 240, 600, 600, 1,200, 1,800.
    assert queue["replies"] == 6
    assert queue["reply_median_s"] == (1200 + 1800) / 2
    assert queue["reply_business_median_s"] == (600 + 600) / 2
    # Resolutions: K4 79,800 (Thu 11:00 → Fri 09:10) and K1 174,600 (Mon 10:00 → Wed
    # 10:30); in business hours 25,800 (7 h Thu + 10 min Fri) and 37,800 (9 h Tue + 1.5 h).
    assert queue["resolved"] == 2
    assert queue["resolution_median_s"] == (79800 + 174600) / 2 == 127200
    assert queue["resolution_business_median_s"] == (25800 + 37800) / 2 == 31800
    assert queue["snoozes"] == 1
    assert (queue["csat_avg"], queue["csat_count"]) == ((3 + 5) / 2, 2)


def test_by_number_the_week_is_the_queue_s_under_the_number_s_name(
    week: Week, db: Database
) -> None:
    (queue,) = run(db, "queue")
    (number,) = run(db, "number")
    assert number["name"] == DISPLAY_NUMBER
    assert {k: v for k, v in number.items() if k not in ("key", "name")} == {
        k: v for k, v in queue.items() if k not in ("key", "name")
    }


# --- by day, in the business time zone ----------------------------------------------------


def test_by_day_each_figure_falls_on_the_local_day_it_happened(week: Week, db: Database) -> None:
    rows = run(db, "day")
    assert [row["key"] for row in rows] == [
        "2026-03-16", "2026-03-17", "2026-03-18", "2026-03-19", "2026-03-20", "2026-03-21",
    ]  # fmt: skip
    monday = figures(rows, "2026-03-16")  # K1 opened; nobody answers on a holiday
    assert (monday["conversations"], monday["first_responses"]) == (1, 0)
    assert monday["first_response_median_s"] is None and monday["answered_within_target"] is None
    tuesday = figures(rows, "2026-03-17")  # K2 opened; K1 and K2 answered
    assert tuesday["conversations"] == 1
    assert tuesday["first_response_median_s"] == (1800 + 84600) / 2 == 43200
    assert tuesday["first_response_p90_s"] == 76320  # 1800 + 0.9 × 82800
    assert tuesday["first_response_business_median_s"] == (600 + 1800) / 2
    assert tuesday["first_response_business_p90_s"] == 1680  # 600 + 0.9 × 1200
    assert tuesday["answered_within_target"] == 1 / 2
    assert tuesday["reply_median_s"] == 43200 and tuesday["reply_business_median_s"] == 1200
    wednesday = figures(rows, "2026-03-18")  # K3 opened, answered by Beto; K1 closed, rated
    assert wednesday["conversations"] == 1
    assert wednesday["first_response_median_s"] == wednesday["first_response_p90_s"] == 1200
    assert wednesday["answered_within_target"] == 0.0
    assert wednesday["reply_median_s"] == (1200 + 47400) / 2 == 24300
    assert wednesday["reply_business_median_s"] == (600 + 1200) / 2
    assert (wednesday["resolution_median_s"], wednesday["resolution_business_median_s"]) == (
        174600, 37800,
    )  # fmt: skip
    assert (wednesday["csat_avg"], wednesday["csat_count"]) == (3, 1)
    thursday = figures(rows, "2026-03-19")  # the reopen K4: a new first response
    assert thursday["conversations"] == 1
    assert thursday["first_response_median_s"] == 180 and thursday["answered_within_target"] == 1
    assert thursday["snoozes"] == 1
    friday = figures(rows, "2026-03-20")
    assert (friday["conversations"], friday["first_responses"]) == (0, 0)
    assert friday["reply_median_s"] == friday["reply_business_median_s"] == 240
    assert (friday["resolution_median_s"], friday["resolution_business_median_s"]) == (
        79800, 25800,
    )  # fmt: skip
    assert (friday["csat_avg"], friday["csat_count"]) == (5, 1)
    saturday = figures(rows, "2026-03-21")  # K5, outside hours, waiting
    assert (saturday["conversations"], saturday["first_responses"], saturday["replies"]) == (
        1, 0, 0,
    )  # fmt: skip


def test_a_period_of_one_day_counts_only_that_day(week: Week, db: Database) -> None:
    (queue,) = run(db, "queue", Period(date(2026, 3, 18), date(2026, 3, 18), ZONE))
    assert (queue["conversations"], queue["first_responses"], queue["replies"]) == (1, 1, 2)
    assert queue["resolution_median_s"] == 174600


# --- by agent and by label ----------------------------------------------------------------


def test_by_agent_a_transfer_gives_the_answer_to_who_answered_with_the_original_wait(
    week: Week, db: Database
) -> None:
    rows = run(db, "agent")
    assert [row["name"] for row in rows] == ["Ana", "Beto"]
    ana, beto = rows
    assert ana["conversations"] == 5  # K1–K5 were all hers at some point (K3 until 10:05)
    assert ana["first_responses"] == 3  # K1, K2, K4
    assert ana["first_response_median_s"] == 1800
    assert ana["first_response_p90_s"] == 68040  # rank 0.9 × 2 = 1.8: 1800 + 0.8 × 82800
    assert ana["first_response_business_median_s"] == 600
    assert ana["first_response_business_p90_s"] == 1560  # 600 + 0.8 × 1200
    assert ana["answered_within_target"] == 2 / 3
    assert ana["reply_median_s"] == 1800  # 180, 240, 1,800, 47,400, 84,600
    assert ana["reply_business_median_s"] == 600  # 180, 240, 600, 600, 1,800
    assert (ana["resolution_median_s"], ana["resolution_business_median_s"]) == (127200, 31800)
    assert (ana["csat_avg"], ana["csat_count"], ana["snoozes"]) == (4, 2, 1)
    assert beto["conversations"] == 1
    # From the customer's 10:00, not from the 10:05 transfer.
    assert beto["first_response_median_s"] == beto["first_response_business_median_s"] == 1200
    assert beto["answered_within_target"] == 0.0
    assert (beto["resolution_median_s"], beto["csat_avg"], beto["csat_count"]) == (None, None, 0)


def test_by_label_only_the_labelled_conversations_count(week: Week, db: Database) -> None:
    (ventas,) = run(db, "label")
    assert ventas["name"] == "Ventas" and ventas["conversations"] == 2  # K1, K3
    assert ventas["first_response_median_s"] == (1200 + 84600) / 2 == 42900
    assert ventas["first_response_p90_s"] == 76260  # 1200 + 0.9 × 83400
    assert ventas["first_response_business_median_s"] == (1200 + 1800) / 2
    assert ventas["first_response_business_p90_s"] == 1740  # 1200 + 0.9 × 600
    assert ventas["answered_within_target"] == 0.0
    assert ventas["reply_median_s"] == 47400  # 1,200, 47,400, 84,600
    assert ventas["reply_business_median_s"] == 1200  # 600, 1,200, 1,800
    assert (ventas["resolution_median_s"], ventas["csat_avg"]) == (174600, 3)


# --- what never counts --------------------------------------------------------------------


def test_the_automatic_messages_went_out_and_none_counted_as_a_response(
    week: Week, db: Database
) -> None:
    k1 = week.conversations["K1"]
    with db.read() as session:
        automatic = session.scalars(
            select(Message.created_at).where(
                Message.conversation_id == k1, Message.direction == "outbound",
                Message.author_id.is_(None),
            ).order_by(Message.id)
        ).all()  # fmt: skip
    # The greeting and the closed message on Monday 10:00, the closed message on Tuesday
    # 20:00 (a new closed period): all before Ana's answer, none a response.
    assert automatic == [at(16, "10:00"), at(16, "10:00"), at(17, "20:00")]
    (queue,) = run(db, "queue")
    assert queue["replies"] == 6  # the people's answers only


# --- the conversations CSV ----------------------------------------------------------------


def csv_rows(db: Database, period: Period = WEEK) -> list[dict[str, str]]:
    text = "".join(_csv(db, CONVERSATION_FIELDS, lambda s: conversation_rows(s, period, None)))
    return list(csv.DictReader(io.StringIO(text)))


def test_the_conversations_csv_has_the_week_s_conversations_with_their_figures(
    week: Week, db: Database
) -> None:
    k = week.conversations
    rows = {int(row["id"]): row for row in csv_rows(db)}
    assert list(rows) == [k["K1"], k["K2"], k["K3"], k["K4"], k["K5"]]  # by opening
    k1 = rows[k["K1"]]
    assert (k1["contact_name"], k1["contact_wa_id"], k1["queue"]) == ("Uno", C1, "General")
    assert k1["number"] == DISPLAY_NUMBER
    assert k1["agents"] == "Ana"
    assert (k1["opened_at"], k1["first_reply_at"], k1["closed_at"]) == (
        "2026-03-16T10:00:00-06:00", "2026-03-17T09:30:00-06:00", "2026-03-18T10:30:00-06:00",
    )  # fmt: skip
    assert (k1["first_response_s"], k1["first_response_business_s"]) == ("84600.0", "1800.0")
    assert (k1["resolution_s"], k1["resolution_business_s"]) == ("174600.0", "37800.0")
    # Two from the customer; two from Ana (the three automatic messages are not counted).
    assert (k1["messages_in"], k1["messages_out"], k1["labels"], k1["csat"]) == (
        "2", "2", "Ventas", "3",
    )  # fmt: skip
    k3 = rows[k["K3"]]
    assert k3["agents"] == "Ana; Beto" and k3["first_response_s"] == "1200.0"
    assert (k3["closed_at"], k3["resolution_s"], k3["csat"]) == ("", "", "")
    k4 = rows[k["K4"]]
    assert (k4["first_response_s"], k4["resolution_business_s"], k4["csat"]) == (
        "180.0", "25800.0", "5",
    )  # fmt: skip
    assert (k4["messages_in"], k4["messages_out"]) == ("2", "2")
    k5 = rows[k["K5"]]
    assert (k5["first_reply_at"], k5["first_response_s"], k5["messages_out"]) == ("", "", "0")


def test_the_csv_of_one_day_has_the_conversations_opened_that_day(week: Week, db: Database) -> None:
    rows = csv_rows(db, Period(date(2026, 3, 19), date(2026, 3, 19), ZONE))
    assert [int(row["id"]) for row in rows] == [week.conversations["K4"]]
