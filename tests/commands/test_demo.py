"""``cdmx demo``'s sample team: two queues, an agent with a small capacity, office hours."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from cdmx.commands.demo import (
    DEMO_CONTACT_FIELDS,
    DEMO_USERS,
    _ensure_demo_customer,
    _ensure_demo_rating,
    _ensure_demo_users,
)
from cdmx.db.engine import Database
from cdmx.db.tables import (
    CannedResponse,
    Contact,
    ContactField,
    Conversation,
    Queue,
    QueueMember,
    User,
)
from cdmx.domain.hours import BusinessHours
from cdmx.queries.queues import business_zone
from cdmx.queries.reports import Period, summary
from cdmx.settings import Settings


def test_the_demo_team_is_made_once_with_two_queues(settings: Settings, db: Database) -> None:
    _ensure_demo_users(settings)
    _ensure_demo_users(settings)  # a second start changes nothing
    with db.read() as session:
        users = {u.email: u for u in session.scalars(select(User))}
        queues = {q.name: q for q in session.scalars(select(Queue))}
        members = {(m.queue_id, m.user_id) for m in session.scalars(select(QueueMember))}
    assert set(users) == {email for email, *_ in DEMO_USERS}
    assert set(queues) == {"Ventas", "Soporte"} and queues["Ventas"].is_default
    assert users["ana@demo.cdmx"].capacity == 3
    support = queues["Soporte"]
    assert {u for q, u in members if q == support.id} == {
        users["beto@demo.cdmx"].id, users["sofia@demo.cdmx"].id,
    }  # fmt: skip
    assert {u for q, u in members if q == queues["Ventas"].id} == {u.id for u in users.values()}
    hours = BusinessHours.from_json(support.hours)
    assert hours.holidays == "MX" and hours.weekly is not None and hours.weekly[6] == ()


def test_the_demo_has_shared_quick_replies(settings: Settings, db: Database) -> None:
    _ensure_demo_users(settings)
    _ensure_demo_users(settings)  # twice: nothing doubles
    with db.read() as session:
        shortcuts = session.scalars(
            select(CannedResponse.shortcut).where(CannedResponse.owner_id.is_(None))
        ).all()
    assert sorted(shortcuts) == ["gracias", "horario", "saludo"]


def test_the_demo_customer_has_a_profile_with_the_teams_own_fields(
    settings: Settings, db: Database
) -> None:
    _ensure_demo_users(settings)
    _ensure_demo_customer(settings)
    _ensure_demo_customer(settings)  # twice: nothing doubles
    with db.read() as session:
        fields = {f.key for f in session.scalars(select(ContactField))}
        gabriela = session.scalars(select(Contact).where(Contact.wa_id == "5215511112222")).one()
    assert fields == {key for key, _ in DEMO_CONTACT_FIELDS}
    assert gabriela.attributes == {"numero_cliente": "C-10482", "ciudad": "Puebla"}


def test_the_demo_has_one_closed_conversation_rated_5(settings: Settings, db: Database) -> None:
    _ensure_demo_users(settings)
    _ensure_demo_rating(settings)
    _ensure_demo_rating(settings)  # twice: nothing doubles
    with db.read() as session:
        [rated] = session.scalars(
            select(Conversation).where(Conversation.csat_score.is_not(None))
        ).all()
        assert (rated.status, rated.csat_score) == ("closed", 5)
        assert rated.csat_sent_at is not None and rated.csat_answered_at is not None
        assert session.scalar(select(func.count()).select_from(Conversation)) == 1


def test_the_demo_customer_s_conversations_are_in_the_reports(
    settings: Settings, db: Database
) -> None:
    """Recorded through the inbound action, they write the reporting rows: the reports
    page (grouped by day, queue or agent) has something to show on the demo's first day."""
    _ensure_demo_users(settings)
    _ensure_demo_customer(settings)
    with db.read() as session:
        zone = business_zone(session)
        today = datetime.now(zone).date()
        (day,) = summary(session, Period.parse(today, today, zone), "day", None)
        (queue,) = summary(session, Period.parse(today, today, zone), "queue", None)
    assert day["conversations"] == 2
    assert queue["name"] == "Ventas" and queue["conversations"] == 2
