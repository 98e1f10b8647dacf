"""Fixtures for the AWS side: Stubber-validated Connect/EUM clients, moto tables and bucket,
a real RSA key and certificate for SNS signatures, and the app with ``POST /webhooks/sns``.

Nothing here reaches the network: botocore's Stubber answers connect, connectparticipant and
socialmessaging (checking every call and every answer against the service models), moto
answers DynamoDB, S3 and SNS, and httpx.MockTransport answers plain HTTP.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.stub import Stubber
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from moto import mock_aws

from cdmx.app import create_app
from cdmx.aws.sns import SnsMessage, canonical_string, parse_message
from cdmx.db.engine import Database
from cdmx.settings import Settings, load_settings
from tests.conftest import (
    ACCESS_TOKEN,
    APP_SECRET,
    DISPLAY_NUMBER,
    PHONE_NUMBER_ID,
    WABA_ID,
    GraphRecorder,
)

REGION = "us-east-1"
ACCOUNT = "111122223333"
EUM_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:whatsapp-events"
STREAM_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:connect-chat-stream"
CERT_URL = f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"
INSTANCE_ID = "aaaaaaaa-1111-4222-8333-444444444444"
FLOW_ID = "bbbbbbbb-1111-4222-8333-444444444444"
ORIGINATION_ID = "phone-number-id-fedcba9876543210fedcba9876543210"
ORIGINATION_ARN = (
    f"arn:aws:social-messaging:{REGION}:{ACCOUNT}:phone-number-id/fedcba9876543210fedcba9876543210"
)
MESSAGES_TABLE = "cdmx-messages"
CONTACTS_TABLE = "cdmx-contacts"
BUCKET = "cdmx-media-test"


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region, so no test can use a real account by accident."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


# --- SNS signing ----------------------------------------------------------------------------


@dataclass
class Signer:
    """A real RSA key and self-signed certificate that signs SNS messages like SNS does."""

    key: rsa.RSAPrivateKey
    pem: bytes

    def sign(self, data: dict[str, Any], version: str = "2") -> dict[str, Any]:
        data = {**data, "SignatureVersion": version}
        data.setdefault("SigningCertURL", CERT_URL)
        message = parse_message(data)
        digest = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
        signature = self.key.sign(canonical_string(message), padding.PKCS1v15(), digest)
        return {**data, "Signature": base64.b64encode(signature).decode()}

    def notification(self, message: str, *, topic: str = EUM_TOPIC, version: str = "2",
                     message_id: str = "6a1f0000-0000-4000-8000-000000000001") -> dict[str, Any]:  # fmt: skip
        return self.sign(
            {
                "Type": "Notification", "MessageId": message_id, "TopicArn": topic,
                "Message": message, "Timestamp": "2025-06-01T12:00:00.456Z",
                "UnsubscribeURL": f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe",
            },
            version,
        )  # fmt: skip


@pytest.fixture(scope="session")
def signer() -> Signer:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return Signer(key=key, pem=certificate.public_bytes(serialization.Encoding.PEM))


def as_message(data: dict[str, Any]) -> SnsMessage:
    return parse_message(data)


# --- EUM and Connect payloads ---------------------------------------------------------------


def eum_message(
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    *, name: str = "Ana", wa_id: str = "5215550101234", phone_number_id: str = PHONE_NUMBER_ID,
) -> str:  # fmt: skip
    """The SNS Message string EUM Social publishes, holding one Meta entry."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": phone_number_id},
    }
    if messages is not None:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id}]
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    entry = {"id": WABA_ID, "changes": [{"field": "messages", "value": value}]}
    return json.dumps(
        {
            "context": {
                "MetaWabaIds": [
                    {
                        "wabaId": WABA_ID,
                        "arn": f"arn:aws:social-messaging:{REGION}:{ACCOUNT}:waba/0123456789abcdef0123456789abcdef",
                    }
                ],
                "MetaPhoneNumberIds": [
                    {"metaPhoneNumberId": phone_number_id, "arn": ORIGINATION_ARN}
                ],
            },
            "whatsAppWebhookEntry": json.dumps(entry, separators=(",", ":")),
            "aws_account_id": ACCOUNT,
            "message_timestamp": "2025-06-01T12:00:00.123456789Z",
            "messageId": "3f2b6a0e-1d4c-4e8a-9b7f-0a1b2c3d4e5f",
        }
    )


def text_message(wamid: str, body: str, *, wa_id: str = "5215550101234", timestamp: int | None = None) -> dict[str, Any]:  # fmt: skip
    ts = timestamp if timestamp is not None else int(dt.datetime.now(dt.UTC).timestamp())
    return {
        "from": wa_id,
        "id": wamid,
        "timestamp": str(ts),
        "type": "text",
        "text": {"body": body},
    }


# --- settings and the app -------------------------------------------------------------------


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The suite's settings plus the AWS side (overrides tests/conftest.py's fixture)."""
    return load_settings(
        CDMX_DATABASE_URL=database_url,
        CDMX_SECRET_KEY="test-secret-key-0123456789",
        CDMX_MEDIA_ROOT=str(tmp_path / "media"),
        WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID,
        WHATSAPP_BUSINESS_ACCOUNT_ID=WABA_ID,
        WHATSAPP_DISPLAY_PHONE_NUMBER=DISPLAY_NUMBER,
        META_ACCESS_TOKEN=ACCESS_TOKEN,
        META_APP_SECRET=APP_SECRET,
        WEBHOOK_VERIFICATION_TOKEN="verify-me",
        GRAPH_API_BASE_URL="http://graph.test",
        EUM_SNS_TOPIC_ARN=EUM_TOPIC,
        AWS_REGION=REGION,
    )


class SnsHttp:
    """The HTTP side of SNS for the webhook: serves the certificate, records confirmations."""

    def __init__(self, pem: bytes) -> None:
        self.pem = pem
        self.requests: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        if request.url.path.endswith(".pem"):
            return httpx.Response(200, content=self.pem)
        if request.url.params.get("Action") == "ConfirmSubscription":
            return httpx.Response(200, text="<ConfirmSubscriptionResponse/>")
        return httpx.Response(404)


@pytest.fixture
def sns_http(signer: Signer) -> SnsHttp:
    return SnsHttp(signer.pem)


@pytest.fixture
async def app(
    settings: Settings, db: Database, graph: GraphRecorder, sns_http: SnsHttp
) -> AsyncIterator[Any]:
    """The app (with ``POST /webhooks/sns``) whose SNS certificate fetches go to ``sns_http``."""
    application = create_app(
        settings,
        graph_transport=graph.transport,
        sns_transport=httpx.MockTransport(sns_http.handler),
    )
    async with application.router.lifespan_context(application):
        yield application


# --- boto3: Stubber for Connect and EUM, moto for the rest ----------------------------------


@dataclass
class Aws:
    connect: Any
    participant: Any
    social: Any
    dynamodb: Any  # resource
    s3: Any
    stub_connect: Stubber
    stub_participant: Stubber
    stub_social: Stubber

    def assert_no_pending(self) -> None:
        for stub in (self.stub_connect, self.stub_participant, self.stub_social):
            stub.assert_no_pending_responses()


@pytest.fixture
def aws() -> Iterator[Aws]:
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        dynamodb = session.resource("dynamodb")
        for name in (MESSAGES_TABLE, CONTACTS_TABLE):
            dynamodb.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            session.client("dynamodb").update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
            )
        s3 = session.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        connect = session.client("connect")
        participant = session.client("connectparticipant")
        social = session.client("socialmessaging")
        stubs = [Stubber(connect), Stubber(participant), Stubber(social)]
        for stub in stubs:
            stub.activate()
        yield Aws(connect, participant, social, dynamodb, s3, *stubs)
        for stub in stubs:
            stub.deactivate()


def bridge_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "AWS_REGION": REGION,
        "CONNECT_INSTANCE_ID": INSTANCE_ID,
        "CONNECT_CONTACT_FLOW_ID": FLOW_ID,
        "CONNECT_STREAMING_TOPIC_ARN": STREAM_TOPIC,
        "DYNAMODB_TABLE_MESSAGES": MESSAGES_TABLE,
        "DYNAMODB_TABLE_CONTACTS": CONTACTS_TABLE,
        "S3_BUCKET_MEDIA": BUCKET,
        "EUM_SNS_TOPIC_ARN": EUM_TOPIC,
        "CONNECT_CHAT_DURATION_MINUTES": 1500,
        **overrides,
    }
    return Settings(**values)
