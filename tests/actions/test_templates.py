"""Template sync and starting a conversation by template, against the database."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from cdmx.actions.templates import (
    build_template_message,
    do_start_conversation,
    do_sync_templates,
)
from cdmx.db.engine import Database
from cdmx.db.tables import Channel, Contact, Conversation, Event, OutboxItem, Template, User
from cdmx.domain.errors import Conflict, Forbidden, Invalid, NotFound
from cdmx.simulator.templates import SAMPLE_TEMPLATES
from cdmx.whatsapp.templates import TemplateInvalid
from tests.conftest import WABA_ID


def sync(db: Database, templates: list[dict[str, Any]], waba_id: str = WABA_ID) -> Any:
    with db.write() as session:
        return do_sync_templates(session, waba_id, copy.deepcopy(templates))


def template_id(db: Database, name: str, language: str = "es_MX") -> int:
    with db.read() as session:
        found = session.scalar(
            select(Template.id).where(Template.name == name, Template.language == language)
        )
    assert found is not None
    return found


def channel_id(db: Database) -> int:
    with db.read() as session:
        found = session.scalar(select(Channel.id))
    assert found is not None
    return found


def test_sync_stores_every_template_as_meta_lists_it(db: Database) -> None:
    result = sync(db, SAMPLE_TEMPLATES)
    assert (result.synced, result.removed) == (len(SAMPLE_TEMPLATES), 0)
    with db.read() as session:
        rows = {(t.name, t.language): t for t in session.scalars(select(Template))}
        named = rows[("estado_pedido", "es_MX")]
        assert (named.parameter_format, named.status, named.category) == (
            "named", "APPROVED", "UTILITY",
        )  # fmt: skip
        assert named.meta_id == "300000000000004"
        assert named.components == SAMPLE_TEMPLATES[3]["components"]
        assert rows[("oferta_pausada", "es_MX")].status == "PAUSED"
        assert rows[("estado_pedido", "en_US")].business_account_id == WABA_ID


def test_resync_updates_in_place_and_marks_missing_ones_deleted(db: Database) -> None:
    sync(db, SAMPLE_TEMPLATES)
    first = template_id(db, "bienvenida")
    changed = copy.deepcopy(SAMPLE_TEMPLATES[:3])
    changed[0]["status"] = "PAUSED"
    result = sync(db, changed)
    assert (result.synced, result.removed) == (3, len(SAMPLE_TEMPLATES) - 3)
    assert template_id(db, "bienvenida") == first  # same row: messages keep pointing at it
    with db.read() as session:
        statuses = dict(
            session.execute(select(Template.name + "/" + Template.language, Template.status)).all()
        )
        total = session.scalar(select(func.count(Template.id)))
    assert statuses["bienvenida/es_MX"] == "PAUSED"
    assert statuses["factura/es_MX"] == "DELETED"
    assert total == len(SAMPLE_TEMPLATES)
    assert sync(db, changed).removed == 0  # already deleted: not counted again
    sync(db, SAMPLE_TEMPLATES)
    with db.read() as session:
        assert session.get(Template, template_id(db, "factura")).status == "APPROVED"  # type: ignore[union-attr]


def test_sync_of_one_account_leaves_other_accounts_alone(db: Database) -> None:
    sync(db, SAMPLE_TEMPLATES)
    assert sync(db, [], waba_id="other-waba").removed == 0
    assert sync(db, SAMPLE_TEMPLATES[:1], waba_id="other-waba").synced == 1
    with db.read() as session:
        assert (
            session.scalar(select(func.count(Template.id)).where(Template.status == "DELETED")) == 0
        )


def test_sync_skips_junk_and_infers_the_parameter_format(db: Database) -> None:
    rows: list[Any] = [
        {"name": "", "language": "es_MX"},
        {"name": "sin_idioma"},
        {"name": "nombrado", "language": "es_MX", "status": "approved",
         "components": [{"type": "BODY", "text": "Hola {{nombre}}"}, "junk"]},
        {"name": "nombrado", "language": "es_MX", "status": "APPROVED"},  # a duplicate row
    ]  # fmt: skip
    assert sync(db, rows).synced == 1
    with db.read() as session:
        row = session.scalars(select(Template)).one()
        assert (row.parameter_format, row.status) == ("named", "APPROVED")
        assert row.components == [{"type": "BODY", "text": "Hola {{nombre}}"}]


def test_only_approved_templates_of_the_numbers_account_can_be_sent(db: Database) -> None:
    sync(db, SAMPLE_TEMPLATES)
    sync(db, SAMPLE_TEMPLATES[:1], waba_id="other-waba")
    channel = channel_id(db)
    with db.read() as session:
        outgoing = build_template_message(
            session, template_id(db, "bienvenida"), {"body": {"1": "Ana"}}, channel_id=channel
        )
        assert outgoing.type == "template"
        with pytest.raises(Conflict) as paused:
            build_template_message(
                session,
                template_id(db, "oferta_pausada"),
                {"body": {"1": "Ana"}},
                channel_id=channel,
            )
        assert paused.value.code == "template_not_approved"
        foreign = session.scalar(
            select(Template.id).where(Template.business_account_id == "other-waba")
        )
        assert foreign is not None
        with pytest.raises(Invalid) as other:
            build_template_message(session, foreign, {"body": {"1": "Ana"}}, channel_id=channel)
        assert other.value.code == "template_not_for_number"
        with pytest.raises(NotFound):
            build_template_message(session, 9999, {}, channel_id=channel)


def start(db: Database, user: User, wa_id: str, values: Any, **kwargs: Any) -> tuple[int, int]:
    with db.write() as session:
        conversation, message = do_start_conversation(
            session, user, channel_id=channel_id(db), wa_id=wa_id, name=kwargs.get("name"),
            template_id=kwargs.get("template") or template_id(db, "bienvenida"), values=values,
            local_id=kwargs.get("local_id"),
        )  # fmt: skip
        return conversation.id, message.id


def test_start_conversation_opens_it_for_the_caller_and_queues_the_template(
    db: Database, make_user: Callable[..., User]
) -> None:
    sync(db, SAMPLE_TEMPLATES)
    agent = make_user()
    conversation_id, message_id = start(
        db, agent, "+52 55 1234 5678", {"body": {"1": "Ana"}}, name="Ana", local_id="t-1"
    )
    with db.read() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        assert (conversation.status, conversation.assignee_id) == ("assigned", agent.id)
        assert conversation.last_inbound_at is None  # the window is still closed
        contact = session.get(Contact, conversation.contact_id)
        assert contact is not None and (contact.wa_id, contact.name) == ("5215512345678", "Ana")
        outbox = session.scalars(select(OutboxItem)).one()
        assert outbox.message_id == message_id
        events = [e.type for e in session.scalars(select(Event).order_by(Event.id))]
    # (make_user's availability change came first)
    assert events[-2:] == ["conversation.created", "message.created"]
    assert "conversation.created" not in events[:-2]
    # Again (a retried POST, or the 52/521 form of the same mobile): same conversation, and
    # the same message when the local id repeats.
    assert start(db, agent, "5215512345678", {"body": {"1": "Ana"}}, local_id="t-1") == (
        conversation_id, message_id,
    )  # fmt: skip
    again, second = start(db, agent, "525512345678", {"body": {"1": "Ana"}}, local_id="t-2")
    assert again == conversation_id and second != message_id


def test_start_conversation_refuses_bad_values_before_writing_anything(
    db: Database, make_user: Callable[..., User]
) -> None:
    sync(db, SAMPLE_TEMPLATES)
    agent = make_user()
    with pytest.raises(TemplateInvalid) as caught:
        start(db, agent, "5215512345678", {"body": {}})
    assert caught.value.fields == {"body.1": "Requerido"}
    with pytest.raises(Invalid) as short:
        start(db, agent, "12345", {"body": {"1": "Ana"}})
    assert short.value.code == "invalid_wa_id"
    with db.read() as session:
        assert session.scalar(select(func.count(Contact.id))) == 0
        assert session.scalar(select(func.count(Conversation.id))) == 0


def test_an_agent_cannot_write_into_another_agents_conversation(
    db: Database, make_user: Callable[..., User]
) -> None:
    sync(db, SAMPLE_TEMPLATES)
    first, second = make_user(), make_user()
    start(db, first, "5215512345678", {"body": {"1": "Ana"}})
    with pytest.raises(Forbidden):
        start(db, second, "5215512345678", {"body": {"1": "Ana"}})
    supervisor = make_user(role="supervisor")
    conversation_id, _ = start(db, supervisor, "5215512345678", {"body": {"1": "Ana"}})
    with db.read() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None and conversation.assignee_id == first.id
