"""The events the console stream and (later) integration webhooks carry, as typed models.

Every event carries a fresh snapshot of what changed, so a late event never rolls a screen
back. Each type has one model here (``extra="forbid"``: a field that is not declared is an
error where the event is emitted, not a surprise in a client); ``emit`` takes an instance
and stores its ``model_dump()``. docs/events.md documents each type and the console's list
of types is checked against ``STORED_TYPES`` (tests keep all three in step).

The snapshots (message, conversation, agent) are the REST API's JSON; the parts whose shape
depends on the message type (``content``, ``context``, ``referral``, ``media``) are objects
documented in docs/messages.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from cdmx.domain.states import (
    Availability,
    ConversationStatus,
    Direction,
    MessageStatus,
    MessageType,
    Role,
)


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the snapshots --------------------------------------------------------------------------


class Author(_Shape):
    id: int
    name: str


class MessageError(_Shape):
    code: int | None
    title: str
    details: str | None


class MessageSnapshot(_Shape):
    id: int
    conversation_id: int
    direction: Direction
    type: MessageType
    text: str | None
    summary: str
    status: MessageStatus
    wamid: str | None
    local_id: str | None
    created_at: str | None
    status_at: str | None
    author: Author | None
    error: MessageError | None
    content: dict[str, Any]
    context: dict[str, Any] | None
    referral: dict[str, Any] | None
    media: dict[str, Any] | None


class ContactSummary(_Shape):
    id: int
    wa_id: str | None
    name: str | None
    profile_name: str | None
    merged_into_id: int | None
    referral: dict[str, Any] | None


class LabelSnapshot(_Shape):
    id: int
    name: str
    color: str


class LastMessage(_Shape):
    summary: str
    direction: Direction
    author_id: int | None
    status: MessageStatus
    created_at: str | None


class CsatSnapshot(_Shape):
    sent_at: str | None
    score: int | None  # 1–5, the customer's first answer; null until they answer
    answered_at: str | None


class ConversationSnapshot(_Shape):
    id: int
    status: ConversationStatus
    contact: ContactSummary
    assignee_id: int | None
    assignee_name: str | None
    number_id: int
    number: str
    queue_id: int | None
    snoozed_until: str | None
    labels: list[LabelSnapshot]
    unread_count: int
    last_message: LastMessage | None
    last_message_at: str | None
    waiting_since: str | None  # the customer's latest message while the last one is theirs
    window_expires_at: str | None
    created_at: str | None
    closed_at: str | None
    csat: CsatSnapshot | None  # null until the satisfaction survey is sent


class AgentSnapshot(_Shape):
    id: int
    name: str
    email: str
    role: Role
    availability: Availability
    open_conversations: int


# --- the events -----------------------------------------------------------------------------


class EventData(_Shape):
    """The ``data`` of one event type; ``type`` names it on the wire."""

    type: ClassVar[str]


class MessageCreated(EventData):
    """A customer's message was stored, or an agent's reply was accepted."""

    type = "message.created"
    message: MessageSnapshot
    conversation: ConversationSnapshot


class MessageUpdated(EventData):
    """An outbound message's status moved, or it failed; or its file arrived."""

    type = "message.updated"
    message: MessageSnapshot


class ConversationEvent(EventData):
    """The base of the events that carry one conversation."""

    conversation: ConversationSnapshot


class ConversationCreated(ConversationEvent):
    type = "conversation.created"


class ConversationAssigned(ConversationEvent):
    """Routed, taken or transferred."""

    type = "conversation.assigned"


class ConversationUpdated(ConversationEvent):
    """Other changes, such as the unread count going to zero."""

    type = "conversation.updated"


class ConversationClosed(ConversationEvent):
    """Closed by a person, or by the queue's ``auto_close_after_hours``."""

    type = "conversation.closed"


class ConversationSnoozed(ConversationEvent):
    """Put aside until ``snoozed_until``; its agent's place is free meanwhile."""

    type = "conversation.snoozed"


class ConversationWoken(ConversationEvent):
    """A snoozed conversation is back: its time came or its customer wrote."""

    type = "conversation.woken"


class ConversationRerouted(ConversationEvent):
    """Its customer waited ``reroute_after_minutes`` for a first reply: it went to another
    agent or back to its queue (``previous_assignee_id`` had it)."""

    type = "conversation.rerouted"
    previous_assignee_id: int | None


class UserSnapshot(_Shape):
    id: int
    email: str
    name: str
    role: Role
    capacity: int | None
    queue_ids: list[int]
    active: bool


class AgentUpdated(EventData):
    """An agent's availability changed."""

    type = "agent.updated"
    agent: AgentSnapshot


class UserUpdated(EventData):
    """An admin changed a user (name, role, capacity, queues, deactivated)."""

    type = "user.updated"
    user: UserSnapshot


class MentionSnapshot(_Shape):
    id: int
    user_id: int
    author: Author | None
    conversation_id: int
    message_id: int
    excerpt: str
    created_at: str


class MentionCreated(EventData):
    """A colleague named this user with @ in a note; only that user is in its audience."""

    type = "mention.created"
    mention: MentionSnapshot
    conversation: ConversationSnapshot


class ConversationActivity(EventData):
    """Someone is viewing or typing in a conversation, or left it; stale after expires_at."""

    type = "conversation.activity"
    user: Author
    conversation_id: int
    state: str
    expires_at: str


class Hello(EventData):
    """Stream only, not stored: the first frame of a fresh stream."""

    type = "hello"
    user_id: int


class Reset(EventData):
    """Stream only, not stored: the client missed too much and reloads its state."""

    type = "reset"
    reason: str


STORED_EVENTS: tuple[type[EventData], ...] = (
    MessageCreated, MessageUpdated, ConversationCreated, ConversationAssigned,
    ConversationUpdated, ConversationClosed, ConversationSnoozed, ConversationWoken,
    ConversationRerouted, AgentUpdated, UserUpdated, MentionCreated,
    ConversationActivity,
)  # fmt: skip
STREAM_ONLY_EVENTS: tuple[type[EventData], ...] = (Hello, Reset)
EVENT_MODELS: dict[str, type[EventData]] = {
    model.type: model for model in STORED_EVENTS + STREAM_ONLY_EVENTS
}
_CONVERSATION_MODELS: tuple[type[ConversationEvent], ...] = (
    ConversationCreated, ConversationAssigned, ConversationUpdated, ConversationClosed,
    ConversationSnoozed, ConversationWoken, ConversationRerouted,
)  # fmt: skip
CONVERSATION_EVENTS: dict[str, type[ConversationEvent]] = {
    model.type: model for model in _CONVERSATION_MODELS
}

MESSAGE_CREATED = MessageCreated.type
MESSAGE_UPDATED = MessageUpdated.type
CONVERSATION_CREATED = ConversationCreated.type
CONVERSATION_ASSIGNED = ConversationAssigned.type
CONVERSATION_UPDATED = ConversationUpdated.type
CONVERSATION_CLOSED = ConversationClosed.type
CONVERSATION_SNOOZED = ConversationSnoozed.type
CONVERSATION_WOKEN = ConversationWoken.type
CONVERSATION_REROUTED = ConversationRerouted.type
AGENT_UPDATED = AgentUpdated.type
USER_UPDATED = UserUpdated.type
MENTION_CREATED = MentionCreated.type
CONVERSATION_ACTIVITY = ConversationActivity.type
HELLO = Hello.type
RESET = Reset.type

STORED_TYPES = tuple(model.type for model in STORED_EVENTS)
EVENT_TYPES = tuple(EVENT_MODELS)
