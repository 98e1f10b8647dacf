"""Lambda entry points of the Amazon Connect bridge: ``inbound`` and ``outbound``.

``cdmx.aws.handlers.inbound`` is subscribed to the EUM Social topic, ``…outbound`` to the
Connect streaming topic. Both read their configuration from the environment through
``Settings`` (the same variable names as the rest of the product), build their clients once
per Lambda container (a warm container reuses them: building boto3 clients costs ~50 ms
each) and process every record of the event. An exception fails the invocation so Lambda
retries it and, in the end, puts it on the dead-letter queue; the conditional writes in
``state`` make those retries safe.

``build_inbound`` / ``build_outbound`` take the clients as arguments, so tests (and a
process that is not a Lambda) run the very same code with Stubber-backed clients.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from cdmx.aws.bridge_inbound import InboundBridge
from cdmx.aws.bridge_outbound import OutboundBridge
from cdmx.aws.connect import UPLOAD_TIMEOUT, ConnectGateway
from cdmx.aws.eum import EumClient
from cdmx.aws.media import AudioConverter, ffmpeg_converter
from cdmx.aws.state import BridgeState
from cdmx.settings import Settings

log = logging.getLogger(__name__)

REQUIRED = {
    "inbound": (
        "CONNECT_INSTANCE_ID", "CONNECT_CONTACT_FLOW_ID", "CONNECT_STREAMING_TOPIC_ARN",
        "DYNAMODB_TABLE_MESSAGES", "DYNAMODB_TABLE_CONTACTS", "S3_BUCKET_MEDIA",
    ),
    "outbound": (
        "CONNECT_INSTANCE_ID", "DYNAMODB_TABLE_MESSAGES", "DYNAMODB_TABLE_CONTACTS",
        "S3_BUCKET_MEDIA",
    ),
}  # fmt: skip


class BridgeConfigError(RuntimeError):
    """A variable the bridge needs is not set (the message names it)."""


def check_settings(settings: Settings, side: str) -> None:
    """Raise BridgeConfigError naming the first missing variable for this side."""
    for alias in REQUIRED[side]:
        name = next(n for n, f in Settings.model_fields.items() if f.alias == alias)
        if not getattr(settings, name):
            raise BridgeConfigError(f"{alias}: required by the Connect bridge's {side} side")


def _gateway(settings: Settings, connect: Any, participant: Any, http: httpx.Client | None) -> Any:
    return ConnectGateway(
        connect,
        participant,
        instance_id=settings.connect_instance_id,
        contact_flow_id=settings.connect_contact_flow_id,
        streaming_topic_arn=settings.connect_streaming_topic_arn,
        chat_duration_minutes=settings.connect_chat_duration_minutes,
        http=http,
    )


def _state(settings: Settings, dynamodb: Any) -> BridgeState:
    return BridgeState(
        dynamodb.Table(settings.dynamodb_table_messages),
        dynamodb.Table(settings.dynamodb_table_contacts),
        chat_duration_minutes=settings.connect_chat_duration_minutes,
    )


def build_inbound(
    settings: Settings, *, connect: Any, participant: Any, socialmessaging: Any,
    dynamodb: Any, s3: Any, http: httpx.Client | None = None,
    convert_audio: AudioConverter | None = None,
) -> InboundBridge:  # fmt: skip
    """The inbound bridge with these clients (``dynamodb`` is a boto3 resource)."""
    check_settings(settings, "inbound")
    return InboundBridge(
        state=_state(settings, dynamodb),
        connect=_gateway(settings, connect, participant, http),
        eum=EumClient(socialmessaging, meta_api_version=settings.eum_meta_api_version),
        s3=s3,
        media_bucket=settings.s3_bucket_media,
        convert_audio=convert_audio or ffmpeg_converter(),
    )


def build_outbound(
    settings: Settings, *, connect: Any, participant: Any, socialmessaging: Any,
    dynamodb: Any, s3: Any, http: httpx.Client | None = None,
) -> OutboundBridge:  # fmt: skip
    """The outbound bridge with these clients."""
    check_settings(settings, "outbound")
    return OutboundBridge(
        state=_state(settings, dynamodb),
        connect=_gateway(settings, connect, participant, http),
        eum=EumClient(socialmessaging, meta_api_version=settings.eum_meta_api_version),
        s3=s3,
        media_bucket=settings.s3_bucket_media,
        goodbye_text=settings.connect_goodbye_text,
    )


def sns_records(event: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """Each SNS record's message and its attributes (``{Type, Value}`` → value)."""
    result = []
    for record in event.get("Records") or []:
        sns = record.get("Sns") if isinstance(record, dict) else None
        if not isinstance(sns, dict) or not isinstance(sns.get("Message"), str):
            continue
        attributes = {
            name: value["Value"]
            for name, value in (sns.get("MessageAttributes") or {}).items()
            if isinstance(value, dict) and isinstance(value.get("Value"), str)
        }
        result.append((sns["Message"], attributes))
    return result


def bridge_settings() -> Settings:
    """Settings from the environment, without the web app's own requirements (secret key)."""
    overrides: dict[str, Any] = {}
    return Settings(**overrides)


# One bridge per Lambda container, built on first use: Lambda keeps module state between
# invocations of a warm container, and that is the only state kept here.
_bridges: dict[str, Any] = {}


def _aws_clients(settings: Settings) -> dict[str, Any]:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(region_name=settings.aws_region or None)
    config = Config(retries={"mode": "standard", "max_attempts": 3})
    return {
        "connect": session.client("connect", config=config),
        "participant": session.client("connectparticipant", config=config),
        "socialmessaging": session.client("socialmessaging", config=config),
        "dynamodb": session.resource("dynamodb", config=config),
        "s3": session.client("s3", config=config),
        "http": httpx.Client(timeout=UPLOAD_TIMEOUT),
    }


def _bridge(side: str) -> Any:
    if side not in _bridges:
        settings = bridge_settings()
        clients = _aws_clients(settings)
        build = build_inbound if side == "inbound" else build_outbound
        _bridges[side] = build(settings, **clients)
    return _bridges[side]


def inbound(event: dict[str, Any], context: Any = None) -> dict[str, int]:
    """Lambda handler for the EUM Social topic."""
    bridge: InboundBridge = _bridge("inbound")
    records = sns_records(event)
    for message, _attributes in records:
        bridge.handle_sns_message(message)
    return {"records": len(records)}


def outbound(event: dict[str, Any], context: Any = None) -> dict[str, int]:
    """Lambda handler for the Connect streaming topic."""
    bridge: OutboundBridge = _bridge("outbound")
    records = sns_records(event)
    for message, attributes in records:
        bridge.handle_sns_message(message, attributes)
    return {"records": len(records)}
