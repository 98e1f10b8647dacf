"""The tables. One module, because they are one schema; Alembic migrations mirror it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
Id = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on both databases (SQLite keeps naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON}


def table(model: type[Base]) -> Table:
    """A model's Core table, for the hot paths' prebuilt Core statements."""
    return cast(Table, model.__table__)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin | supervisor | agent
    password_hash: Mapped[str] = mapped_column(String(200))
    availability: Mapped[str] = mapped_column(String(20), default="offline")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Most open conversations routing gives this agent at once; None: CDMX_AGENT_CAPACITY.
    capacity: Mapped[int | None]
    created_at: Mapped[datetime]
    # When one of the user's event streams was last open (cdmx/realtime/presence.py).
    last_seen_at: Mapped[datetime | None]


class Queue(Base):
    """A team: the numbers that feed it, its members, its hours and automatic messages."""

    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # The queue of numbers and conversations that name none; exactly one has it.
    is_default: Mapped[bool] = mapped_column(default=False)
    # None: always open; else {"weekly", "holidays", "closed_dates"} (cdmx/domain/hours.py).
    hours: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    greeting_message: Mapped[str | None] = mapped_column(Text)
    closed_message: Mapped[str | None] = mapped_column(Text)
    reroute_after_minutes: Mapped[int | None]
    auto_close_after_hours: Mapped[int | None]
    # The first response a customer should get within, in business-hours seconds (reports).
    target_first_response_seconds: Mapped[int] = mapped_column(default=300, server_default="300")
    # The satisfaction survey sent when a conversation closes (cdmx/actions/csat.py), and the
    # approved template to send instead once the customer's 24-hour window has shut.
    csat_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    csat_template_name: Mapped[str | None] = mapped_column(String(512))
    csat_template_language: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime]


class CannedResponse(Base):
    """A quick reply: shared (``owner_id`` None; for every queue or one) or one agent's own."""

    __tablename__ = "canned_responses"
    __table_args__ = (
        # A shortcut names one reply of a scope: the shared ones, or one person's.
        Index(
            "uq_canned_shared", "shortcut", unique=True,
            sqlite_where=text("owner_id IS NULL"), postgresql_where=text("owner_id IS NULL"),
        ),
        Index(
            "uq_canned_personal", "owner_id", "shortcut", unique=True,
            sqlite_where=text("owner_id IS NOT NULL"),
            postgresql_where=text("owner_id IS NOT NULL"),
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    shortcut: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A file sent with the text, kept in the media store: {"storage_key", "mime_type",
    # "filename", "size"}; None: text only.
    attachment: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Label(Base):
    """A tag admins define, with a colour, that agents put on conversations."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    color: Mapped[str] = mapped_column(String(7))  # "#RRGGBB"
    created_at: Mapped[datetime]


class ConversationLabel(Base):
    """A label on a conversation: what the inbox filters by. The conversation row keeps a
    copy (``Conversation.labels``) so its JSON costs no statement on the message path."""

    __tablename__ = "conversation_labels"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id"), primary_key=True, index=True)


class ContactField(Base):
    """A custom attribute admins define for contacts (its key, and its label in the console)."""

    __tablename__ = "contact_fields"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class Mention(Base):
    """A colleague named with @ in a note: they are told, and may read that conversation."""

    __tablename__ = "mentions"
    __table_args__ = (Index("ix_mentions_user_conversation", "user_id", "conversation_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class SavedView(Base):
    """A user's saved inbox filter: a name and the list's query (status, queue, label, …)."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    filters: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class QueueMember(Base):
    """An agent or supervisor of a queue."""

    __tablename__ = "queue_members"

    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class Channel(Base):
    """A WhatsApp business number the contact center serves."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), default="meta")
    phone_number_id: Mapped[str] = mapped_column(String(64), unique=True)
    display_phone_number: Mapped[str] = mapped_column(String(32), default="")
    business_account_id: Mapped[str] = mapped_column(String(64), default="")
    health: Mapped[str] = mapped_column(String(20), default="ok")  # ok | needs_attention
    health_detail: Mapped[str | None] = mapped_column(Text)
    # The number's own access token, encrypted with CDMX_SECRET_KEY (cdmx/domain/sealing.py);
    # None means the token from META_ACCESS_TOKEN.
    access_token_sealed: Mapped[str | None] = mapped_column(Text)
    rate_per_second: Mapped[float | None]  # None: CDMX_OUTBOUND_RATE
    # The queue its new conversations join; None: the default queue.
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    created_at: Mapped[datetime]


class Contact(Base):
    """A customer, keyed by WhatsApp identity: the BSUID when present, else the wa_id."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    identity: Mapped[str] = mapped_column(String(200), unique=True)
    wa_id: Mapped[str | None] = mapped_column(String(32), index=True)
    user_id: Mapped[str | None] = mapped_column(String(200))
    # The WhatsApp profile name, kept current from their messages.
    name: Mapped[str] = mapped_column(String(200), default="")
    # The click-to-WhatsApp ad the customer last came from (Meta's referral object).
    referral: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # The profile the team keeps: a name of their choosing (None: the profile name), an
    # e-mail, free notes, and values of the admin-defined fields (ContactField keys).
    display_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    notes: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # Set when merged into another contact (the same person): that one is shown instead,
    # with this one's conversations in its history. This row keeps its WhatsApp identity,
    # so the customer's messages from it still arrive, and replies go to that number.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        # Exactly one open conversation per (number, contact), enforced by the database so a
        # burst of first messages processed by several workers still makes one.
        Index(
            "uq_conversations_open",
            "channel_id",
            "contact_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
        Index("ix_conversations_assignee_status", "assignee_id", "status"),
        Index("ix_conversations_assignee_assigned", "assignee_id", "assigned_at"),
        Index("ix_conversations_status_last", "status", "last_message_at"),
        # The inbox lists, newest activity first: everything, and one queue's.
        Index("ix_conversations_recent", "last_message_at", "id"),
        Index("ix_conversations_queue_recent", "queue_id", "last_message_at", "id"),
        # A queue's waiting conversations, oldest first.
        Index("ix_conversations_queue_status", "queue_id", "status", "created_at"),
        # A customer's history, newest first.
        Index("ix_conversations_contact", "contact_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    status: Mapped[str] = mapped_column(String(20))  # queued | assigned | snoozed | closed
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    snoozed_until: Mapped[datetime | None]
    unread_count: Mapped[int] = mapped_column(default=0)
    last_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_message_at: Mapped[datetime | None]
    last_inbound_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    # The first agent reply since it was last assigned: None while its customer waits.
    replied_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_notice_at: Mapped[datetime | None]  # the queue's closed message last sent
    # A copy of its labels, [{"id", "name", "color"}] (ConversationLabel is the truth).
    labels: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))
    # For reports (docs/reports.md): since when the customer waits for an answer (their
    # first message not yet answered by a person; None: not waiting), the first answer by a
    # person, and the messages each way (the customer's; people's, not automatic ones).
    awaiting_since: Mapped[datetime | None]
    first_reply_at: Mapped[datetime | None]
    messages_in: Mapped[int] = mapped_column(default=0, server_default="0")
    messages_out: Mapped[int] = mapped_column(default=0, server_default="0")
    # The satisfaction survey: when it went (never twice), and the customer's first answer.
    csat_sent_at: Mapped[datetime | None]
    csat_score: Mapped[int | None]
    csat_answered_at: Mapped[datetime | None]


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel_id", "wamid", name="uq_messages_channel_wamid"),
        Index("ix_messages_conversation_id", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    direction: Mapped[str] = mapped_column(String(10))  # inbound | outbound
    type: Mapped[str] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20))
    wamid: Mapped[str | None] = mapped_column(String(255))
    local_id: Mapped[str | None] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The raw Meta message, or what we send.
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error_code: Mapped[int | None]
    error_title: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]  # when WhatsApp received it (Meta's timestamp)
    status_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class InboxUpdate(Base):
    """A webhook body exactly as received; processed by the inbox worker."""

    __tablename__ = "inbox"
    __table_args__ = (
        Index("ix_inbox_pending", "processed_at", "id"),
        # What the processor claims, in order: small however large the processed history.
        Index(
            "ix_inbox_unprocessed",
            "id",
            sqlite_where=text("processed_at IS NULL"),
            postgresql_where=text("processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(20), default="meta")
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class OutboxItem(Base):
    """A message waiting to be sent to WhatsApp; written with the message, in one transaction."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "done_at", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class EarlyStatus(Base):
    """A status whose message's wamid is not known yet (the webhook beat the send response)."""

    __tablename__ = "early_statuses"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    wamid: Mapped[str] = mapped_column(String(255), index=True)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Event(Base):
    """Every published event, so a console tab can resume from its Last-Event-ID."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    type: Mapped[str] = mapped_column(String(60))
    conversation_id: Mapped[int | None] = mapped_column(BigInteger)
    # Who may receive it: None = every signed-in user; else these user ids (supervisors and
    # admins receive everything).
    audience: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True))
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class ReportEvent(Base):
    """A narrow row per thing reports count, written with the action (docs/reports.md):
    ``kind`` is opened | assigned | transferred | rerouted | snoozed | first_reply | reply |
    closed | csat. ``seconds`` / ``business_seconds`` are the wait (first_reply, reply) or
    the duration (closed), raw and in the queue's business hours; ``value`` a CSAT score.
    No foreign keys: an append-only log that reports read, never the messages table."""

    __tablename__ = "report_events"
    __table_args__ = (
        Index("ix_report_events_at", "at", "kind"),
        Index("ix_report_events_conversation", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    conversation_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    queue_id: Mapped[int | None] = mapped_column(BigInteger)
    agent_id: Mapped[int | None] = mapped_column(BigInteger)
    contact_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]
    seconds: Mapped[float | None] = mapped_column(Float)
    business_seconds: Mapped[float | None] = mapped_column(Float)
    value: Mapped[int | None]


# The daily rollup (docs/reports.md#the-daily-rollup): what the summary needs of a complete
# past local day, per queue × agent × number, so a year reads a few rows a day instead of
# every reporting row. No queue or no agent is 0 (ids start at 1), so each key is a primary
# key whose first column, the day, is the index a period reads.


class ReportDay(Base):
    """A day's counts per queue × agent × number: ``events`` the summary's rows (a group
    with none does not show), ``opened`` the conversations opened, snoozes, the CSAT sum."""

    __tablename__ = "report_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    agent_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    channel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    events: Mapped[int]
    opened: Mapped[int]
    snoozes: Mapped[int]
    csat_sum: Mapped[int]
    csat_count: Mapped[int]


class ReportDayWait(Base):
    """A day's waits as fixed-bin histograms: ``count`` waits of kind ``wait``
    (``cdmx.domain.reporting.WAITS``) in the bin whose lower edge is ``bin`` seconds. Long
    rows, summed by the database (an encoded column per key measured no faster)."""

    __tablename__ = "report_day_waits"

    day: Mapped[date] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    agent_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    channel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    wait: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    bin: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int]


class ReportDayAgent(Base):
    """Which conversations a day's rows name each agent in, per queue: an agent's
    conversations are distinct over the period, so a daily count could not be summed."""

    __tablename__ = "report_day_agents"

    day: Mapped[date] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    agent_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class ReportBuiltDay(Base):
    """A local day whose rollup rows are written, in the business time zone ``zone``
    (reports ignore a day built in another zone until it is built again)."""

    __tablename__ = "report_built_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    zone: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime]


class WebhookSubscription(Base):
    """An endpoint of the business's that receives signed events (Standard Webhooks)."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    events: Mapped[list[str]] = mapped_column(JSON)  # event types, or ["*"]
    # The signing secrets, encrypted with CDMX_SECRET_KEY; after a rotation the previous one
    # signs too until previous_secret_until.
    secret_sealed: Mapped[str] = mapped_column(Text)
    previous_secret_sealed: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    # Since when every attempt has failed (None: the last one succeeded).
    failing_since: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookDelivery(Base):
    """One event for one subscription: written with the change, in the same transaction,
    then POSTed until the endpoint answers 2xx (or three days pass)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # What the deliverer claims: pending rows, the oldest of each conversation first.
        Index(
            "ix_webhook_deliveries_pending",
            "subscription_id",
            "conversation_id",
            "id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),  # fmt: skip
        Index("ix_webhook_deliveries_log", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    event_type: Mapped[str] = mapped_column(String(60))
    conversation_id: Mapped[int | None] = mapped_column(BigInteger)
    # The body of an event that is not in ``events`` (a test event); else built from it.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # delivered | failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class WebhookAttempt(Base):
    """One POST of a delivery: what the endpoint answered, for the delivery log."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None]
    duration_ms: Mapped[int]
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)


class SendAction(Base):
    """A "send to…" action: agents push a conversation to one of the business's systems
    (its answer becomes a note), signed like the webhooks."""

    __tablename__ = "send_actions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret_sealed: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SendActionRun(Base):
    """One push of a conversation to an action's system, and what it answered."""

    __tablename__ = "send_action_runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("send_actions.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A retry sends the same request id as the run it retries, so the system can drop it.
    request_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # sent | failed
    status_code: Mapped[int | None]
    duration_ms: Mapped[int]
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(200))
    reference_url: Mapped[str | None] = mapped_column(String(2000))
    note_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime]


class Template(Base):
    """A message template of a business account, as last synced from Meta."""

    __tablename__ = "templates"
    __table_args__ = (
        UniqueConstraint("business_account_id", "name", "language", name="uq_templates_waba_name"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    business_account_id: Mapped[str] = mapped_column(String(64))
    meta_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(40), default="")  # APPROVED, PAUSED, …
    parameter_format: Mapped[str] = mapped_column(String(20), default="positional")
    components: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    synced_at: Mapped[datetime]


class Media(Base):
    """A file carried by a message: where it is stored, and how far its download got."""

    __tablename__ = "media"
    __table_args__ = (Index("ix_media_pending", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    direction: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))  # pending | stored | failed | expired | deleted
    meta_media_id: Mapped[str | None] = mapped_column(String(128))
    mime_type: Mapped[str | None] = mapped_column(String(128))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(128))
    filename: Mapped[str | None] = mapped_column(String(512))
    storage_key: Mapped[str | None] = mapped_column(String(512))
    thumbnail_key: Mapped[str | None] = mapped_column(String(512))
    width: Mapped[int | None]
    height: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    stored_at: Mapped[datetime | None]


class AuditEntry(Base):
    """One action a person (or their token) took: who, what, on which object, from where,
    when, and the values before and after. Append-only: the application inserts rows and
    never updates them; only the retention purge deletes (``cdmx/workers/audit.py``)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_actor", "actor_id", "id"),
        Index("ix_audit_log_object", "object_type", "object_id", "id"),
        Index("ix_audit_log_action", "action", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    # No foreign key: an entry outlives anything it names, and names who as they were then.
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str] = mapped_column(String(254))
    via: Mapped[str] = mapped_column(String(20))  # console | token | cli
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(30))
    object_id: Mapped[int | None] = mapped_column(BigInteger)
    address: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class Credential(Base):
    """What a request can present to be someone: a console session (the cookie names it), an
    API bearer token, or an admin's integration token. Only a SHA-256 of the secret is kept
    (the secrets are 32 random bytes: a slow hash would add nothing); revoking sets
    ``revoked_at``, and every request reads its row (``cdmx/queries/credentials.py``)."""

    __tablename__ = "credentials"
    __table_args__ = (Index("ix_credentials_user", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # session | token | integration
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Integration tokens: a name, the first characters of the secret (to recognise it),
    # the scopes it may use (cdmx/domain/scopes.py), and the admin who made it.
    name: Mapped[str | None] = mapped_column(String(100))
    prefix: Mapped[str | None] = mapped_column(String(20))
    scopes: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    # Updated at most once a minute (cdmx/actions/credentials.py TOUCH_EVERY), not per request.
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


# The Core tables behind the hot paths' prebuilt statements: one handle each, imported from
# here (never from the module of another action).
CHANNELS = table(Channel)
CONTACTS = table(Contact)
CONVERSATIONS = table(Conversation)
MESSAGES = table(Message)
INBOX = table(InboxUpdate)
OUTBOX = table(OutboxItem)
EARLY_STATUSES = table(EarlyStatus)
EVENTS = table(Event)
USERS = table(User)
QUEUES = table(Queue)
QUEUE_MEMBERS = table(QueueMember)
LABELS = table(Label)
CONVERSATION_LABELS = table(ConversationLabel)
MENTIONS = table(Mention)
WEBHOOK_SUBSCRIPTIONS = table(WebhookSubscription)
WEBHOOK_DELIVERIES = table(WebhookDelivery)
WEBHOOK_ATTEMPTS = table(WebhookAttempt)
AUDIT_LOG = table(AuditEntry)
CREDENTIALS = table(Credential)
REPORT_EVENTS = table(ReportEvent)
REPORT_DAYS = table(ReportDay)
REPORT_DAY_WAITS = table(ReportDayWait)
REPORT_DAY_AGENTS = table(ReportDayAgent)
REPORT_BUILT_DAYS = table(ReportBuiltDay)
