"""Settings: the only reader of the environment.

Built once at the edge (``cli.py`` or a test) and passed into ``create_app``. A missing or
wrong value raises ``SettingsError`` with one sentence naming the variable; the CLI prints it
and exits with status 2.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cdmx.domain.routing import DEFAULT_CAPACITY

DEFAULT_GRAPH_API_VERSION = "v25.0"


class SettingsError(Exception):
    """A setting is missing or wrong; the message names the variable."""


class Settings(BaseSettings):
    """Every setting of the program, read from the environment (and nothing else)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    database_url: str = Field("sqlite:///./data/cdmx.db", alias="CDMX_DATABASE_URL")
    secret_key: str = Field("", alias="CDMX_SECRET_KEY")
    base_url: str = Field("http://127.0.0.1:8000", alias="CDMX_BASE_URL")
    media_root: Path = Field(Path("./data/media"), alias="CDMX_MEDIA_ROOT")
    timezone: str = Field("America/Mexico_City", alias="CDMX_TIMEZONE")
    locale: str = Field("es-MX", alias="CDMX_LOCALE")
    business_name: str = Field("", alias="CDMX_BUSINESS_NAME", max_length=200)

    provider: str = Field("meta", alias="WHATSAPP_PROVIDER")
    phone_number_id: str = Field("", alias="WHATSAPP_PHONE_NUMBER_ID")
    business_account_id: str = Field("", alias="WHATSAPP_BUSINESS_ACCOUNT_ID")
    display_phone_number: str = Field("", alias="WHATSAPP_DISPLAY_PHONE_NUMBER")
    access_token: str = Field("", alias="META_ACCESS_TOKEN")
    app_secret: str = Field("", alias="META_APP_SECRET")
    verify_token: str = Field("", alias="WEBHOOK_VERIFICATION_TOKEN")
    graph_api_base_url: str = Field("https://graph.facebook.com", alias="GRAPH_API_BASE_URL")
    graph_api_version: str = Field(DEFAULT_GRAPH_API_VERSION, alias="GRAPH_API_VERSION")

    s3_bucket_media: str = Field("", alias="S3_BUCKET_MEDIA")
    cloudfront_domain: str = Field("", alias="CLOUDFRONT_DOMAIN")
    aws_region: str = Field("", alias="AWS_REGION")
    connect_instance_id: str = Field("", alias="CONNECT_INSTANCE_ID")
    connect_contact_flow_id: str = Field("", alias="CONNECT_CONTACT_FLOW_ID")
    end_user_messaging_configuration_arn: str = Field(
        "", alias="END_USER_MESSAGING_CONFIGURATION_ARN"
    )
    dynamodb_table_messages: str = Field("", alias="DYNAMODB_TABLE_MESSAGES")
    dynamodb_table_agents: str = Field("", alias="DYNAMODB_TABLE_AGENTS")
    dynamodb_table_contacts: str = Field("", alias="DYNAMODB_TABLE_CONTACTS")
    eum_sns_topic_arn: str = Field("", alias="EUM_SNS_TOPIC_ARN")
    eum_meta_api_version: str = Field("v23.0", alias="EUM_META_API_VERSION")
    connect_streaming_topic_arn: str = Field("", alias="CONNECT_STREAMING_TOPIC_ARN")
    connect_chat_duration_minutes: int = Field(
        1500, alias="CONNECT_CHAT_DURATION_MINUTES", ge=60, le=10080
    )
    connect_goodbye_text: str = Field(
        "La conversación terminó. Si necesitas algo más, escríbenos de nuevo.",
        alias="CONNECT_GOODBYE_TEXT",
    )

    outbound_rate_per_second: float = Field(80.0, alias="CDMX_OUTBOUND_RATE", gt=0)
    read_receipts: bool = Field(True, alias="CDMX_READ_RECEIPTS")
    inbox_threads: int = Field(3, alias="CDMX_INBOX_THREADS", ge=1, le=32)
    agent_capacity: int = Field(DEFAULT_CAPACITY, alias="CDMX_AGENT_CAPACITY", ge=1, le=1000)
    # At least twice the streams' 30-second touch, so an open tab is never taken for gone.
    presence_timeout_seconds: int = Field(
        120, alias="CDMX_PRESENCE_TIMEOUT_SECONDS", ge=60, le=86400
    )
    media_retention_days: int = Field(0, alias="CDMX_MEDIA_RETENTION_DAYS", ge=0)
    # 400 days: a year of entries plus a quarter to look back on them; 0 keeps them forever.
    audit_retention_days: int = Field(400, alias="CDMX_AUDIT_RETENTION_DAYS", ge=0)
    # Proxies whose X-Forwarded-For names the client (the audit trail's address).
    forwarded_allow_ips: str = Field("127.0.0.1,::1", alias="CDMX_FORWARDED_ALLOW_IPS")
    s3_endpoint_url: str = Field("", alias="S3_ENDPOINT_URL")
    # JSON and form bodies (uploads and webhooks have their own limits: cdmx/web/limits.py).
    max_body_bytes: int = Field(
        1024 * 1024, alias="CDMX_MAX_BODY_BYTES", ge=64 * 1024, le=64 * 1024 * 1024
    )
    metrics_token: str = Field("", alias="CDMX_METRICS_TOKEN")
    demo: bool = Field(False, alias="CDMX_DEMO")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # psycopg 3 is the driver we ship; accept the libpq spelling people paste.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("base_url", "graph_api_base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"'{value}' is not an IANA time zone such as America/Mexico_City"
            ) from None
        return value

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in ("es-MX", "en"):
            raise ValueError("must be es-MX or en")
        return value

    @field_validator("graph_api_version", "eum_meta_api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not (value.startswith("v") and value[1:].replace(".", "").isdigit()):
            raise ValueError("must look like v25.0")
        return value

    @property
    def eum_sns_topic_arns(self) -> tuple[str, ...]:
        """The SNS topics whose messages ``POST /webhooks/sns`` accepts."""
        return tuple(arn.strip() for arn in self.eum_sns_topic_arn.split(",") if arn.strip())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


def load_settings(**overrides: object) -> Settings:
    """Read the environment (plus overrides) and check it; raise SettingsError on a bad value."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = _alias_of(str(error["loc"][0]) if error["loc"] else "")
        message = str(error["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None
    # Required in demo mode too: a demo never signs with an empty or well-known key
    # (`cdmx demo` makes a random one, kept in ./data/secret_key).
    if not settings.secret_key:
        raise SettingsError(
            "CDMX_SECRET_KEY: required (a long random string; `cdmx demo` sets one)"
        )
    if len(settings.secret_key) < 16:
        raise SettingsError("CDMX_SECRET_KEY: too short, use at least 16 characters")
    if settings.provider not in ("meta", "aws"):
        raise SettingsError("WHATSAPP_PROVIDER: must be meta or aws")
    if settings.phone_number_id and settings.provider == "meta" and not settings.access_token:
        raise SettingsError("META_ACCESS_TOKEN: required when WHATSAPP_PHONE_NUMBER_ID is set")
    if settings.provider == "aws" and not settings.aws_region:
        raise SettingsError("AWS_REGION: required when WHATSAPP_PROVIDER is aws")
    return settings


def _alias_of(field_name: str) -> str:
    field = Settings.model_fields.get(field_name)
    return field.alias if field is not None and field.alias else field_name
