"""The satisfaction survey (CSAT): sent once when a conversation closes, answered by the
customer tapping a score, which is kept on that closed conversation (docs/reports.md#csat).

- Sent by ``send_survey`` from ``do_close_conversation`` when the conversation's queue has
  ``csat_enabled``: a list message of five rows while the customer's 24-hour window is open,
  else the queue's approved template (``csat_template_name``), else nothing.
  ``csat_sent_at`` remembers it went: never twice for one conversation.
- Answered through ``survey_target`` and ``record_survey_answer``, called by the inbound path
  before it looks for an open conversation, so an answer never reopens the closed one nor
  opens another. The first answer counts; a later one is stored as a message, not counted.
  An answer naming an unknown conversation, someone else's, or a score outside 1–5 is
  logged and recorded as an ordinary message.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cdmx.actions.assignment import emit_conversation, update_conversation
from cdmx.actions.events import emit_message
from cdmx.actions.replies import send_automatic
from cdmx.actions.reporting import record_csat
from cdmx.actions.templates import SENDABLE, template_spec
from cdmx.db.tables import CONVERSATIONS, Channel, Conversation, Message, Template
from cdmx.domain.csat import (
    CHOICES,
    LIST_BUTTON,
    QUESTION,
    Answer,
    answer_id,
    parse_answer,
    score_of_button,
)
from cdmx.domain.errors import Invalid
from cdmx.domain.events import CONVERSATION_UPDATED, MESSAGE_CREATED
from cdmx.domain.states import ConversationStatus
from cdmx.domain.window import window_is_open
from cdmx.queries.queues import QueueRules, queue_rules
from cdmx.whatsapp.outgoing import Outgoing, build_list
from cdmx.whatsapp.payload import InboundMessage
from cdmx.whatsapp.templates import build_template, parse_variables

log = logging.getLogger(__name__)

_SURVEYED = (
    select(CONVERSATIONS)
    .where(CONVERSATIONS.c.id == bindparam("conversation_id"))
    .with_for_update()
)


def send_survey(session: Session, conversation: Conversation, now: datetime) -> Message | None:
    """Send the survey for a conversation just closed, when its queue asks for one and it
    has not gone yet; the message queued, or None when nothing was sent."""
    rules = queue_rules(session, conversation.queue_id)
    if rules is None or not rules.csat_enabled or conversation.csat_sent_at is not None:
        return None
    if window_is_open(conversation.last_inbound_at, now):
        outgoing: Outgoing | None = survey_list(conversation.id)
    else:
        outgoing = _survey_template(session, conversation, rules)
    if outgoing is None:
        return None
    # First, so the survey's message.created already shows the conversation waiting for it.
    update_conversation(session, conversation, csat_sent_at=now)
    return send_automatic(session, conversation, outgoing, now)


def survey_list(conversation_id: int) -> Outgoing:
    """The survey as a list message: one row per score, each row's id naming the
    conversation (``csat:<conversation_id>:<score>``)."""
    rows = [{"id": answer_id(conversation_id, score), "title": title} for score, title in CHOICES]
    return build_list(QUESTION, LIST_BUTTON, [{"rows": rows}])


def _survey_template(
    session: Session, conversation: Conversation, rules: QueueRules
) -> Outgoing | None:
    """The queue's survey template for a shut window: approved, of the number's account,
    needing no values. Each quick-reply button whose text's first number is 1–5 gets the
    payload ``csat:<conversation_id>:<number>``, set here at send time, so its tap comes back as an
    answer; other buttons come back as ordinary messages."""
    if not rules.csat_template_name:
        return None
    channel = session.get(Channel, conversation.channel_id)
    query = select(Template).where(
        Template.name == rules.csat_template_name, Template.status == SENDABLE
    )
    if rules.csat_template_language:
        query = query.where(Template.language == rules.csat_template_language)
    if channel is not None and channel.business_account_id:
        query = query.where(Template.business_account_id == channel.business_account_id)
    row = session.scalars(query.order_by(Template.language, Template.id).limit(1)).first()
    if row is None:
        log.warning(
            "survey of conversation %s not sent: no approved template %s (%s)",
            conversation.id, rules.csat_template_name, rules.csat_template_language or "any",
        )  # fmt: skip
        return None
    spec = template_spec(row)
    try:
        outgoing = build_template(spec, {})
    except Invalid as exc:
        log.warning(
            "survey of conversation %s not sent: template %s needs what a survey cannot "
            "fill in (%s)", conversation.id, row.name, exc,
        )  # fmt: skip
        return None
    buttons: list[dict[str, Any]] = []
    for button in parse_variables(spec.components, spec.parameter_format).buttons:
        score = score_of_button(button.text) if button.type == "QUICK_REPLY" else None
        if score is not None:
            buttons.append({
                "type": "button", "sub_type": "quick_reply", "index": str(button.index),
                "parameters": [
                    {"type": "payload", "payload": answer_id(conversation.id, score)}
                ],
            })  # fmt: skip
    template = dict(outgoing.body["template"])
    if buttons:
        template["components"] = [*template.get("components", []), *buttons]
    return Outgoing(outgoing.type, {"template": template}, outgoing.text, outgoing.summary)


def answer_in(inbound: InboundMessage) -> Answer | None:
    """The survey answer a message carries: a list row's or reply button's id, or a template
    quick-reply button's payload; None for anything else."""
    raw = inbound.raw
    value: Any = None
    if inbound.type == "interactive":
        interactive = raw.get("interactive")
        if isinstance(interactive, dict):
            reply = interactive.get(str(interactive.get("type") or ""))
            value = reply.get("id") if isinstance(reply, dict) else None
    elif inbound.type == "button":
        button = raw.get("button")
        value = button.get("payload") if isinstance(button, dict) else None
    return parse_answer(value) if isinstance(value, str) else None


def survey_target(
    session: Session, channel_id: int, contact_id: int, inbound: InboundMessage
) -> tuple[Conversation, Answer] | None:
    """The closed conversation this message answers the survey of (its row locked, returned
    detached) and the answer; None when it is not a survey answer that fits one (logged
    when it looked like one: the message is then an ordinary one)."""
    answer = answer_in(inbound)
    if answer is None:
        return None
    row = (
        session.connection().execute(_SURVEYED, {"conversation_id": answer.conversation_id}).first()
    )
    conversation = None if row is None else Conversation(**row._mapping)
    problem = None
    if conversation is None or (conversation.channel_id, conversation.contact_id) != (
        channel_id, contact_id,
    ):  # fmt: skip
        problem = "no such conversation of this customer"
    elif not answer.valid:
        problem = f"score {answer.score} is not 1 to 5"
    elif conversation.status != ConversationStatus.CLOSED or conversation.csat_sent_at is None:
        problem = "that conversation has no survey waiting"
    if problem is not None:
        log.info("survey answer %s ignored: %s", inbound.wamid, problem)
        return None
    assert conversation is not None
    return conversation, answer


def record_survey_answer(
    session: Session, conversation: Conversation, answer: Answer, message: Message,
    now: datetime,
) -> None:  # fmt: skip
    """Keep the answer (``message``, already stored in the closed ``conversation``): the
    first one sets the score and is reported; a later one changes nothing but the thread.
    The conversation stays closed, unread and waiting untouched: nobody needs to answer."""
    changes: dict[str, Any] = {}
    written = message.sent_at or now
    if conversation.last_inbound_at is None or written > conversation.last_inbound_at:
        changes["last_inbound_at"] = written  # the customer wrote: their window is open
    scored = conversation.csat_score is None
    if scored:
        changes.update(csat_score=answer.score, csat_answered_at=now)
    else:
        log.info(
            "survey of conversation %s already answered (%s): %s not counted",
            conversation.id, conversation.csat_score, answer.score,
        )  # fmt: skip
    if changes:
        update_conversation(session, conversation, **changes)
    if scored:
        record_csat(session, conversation, answer.score, now)
    emit_message(session, conversation, message, MESSAGE_CREATED)
    if scored:
        emit_conversation(session, conversation, CONVERSATION_UPDATED)
