"""``cdmx aws doctor``: one line per check, AWS errors as sentences, non-zero on failure."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cdmx.aws.doctor import Clients, Doctor
from cdmx.cli import main
from tests.aws.conftest import (
    BUCKET,
    CONTACTS_TABLE,
    EUM_TOPIC,
    FLOW_ID,
    INSTANCE_ID,
    MESSAGES_TABLE,
    ORIGINATION_ARN,
    ORIGINATION_ID,
    REGION,
    STREAM_TOPIC,
    bridge_settings,
)  # fmt: skip

WABA = {"arn": "arn:aws:social-messaging:us-east-1:111122223333:waba/0123", "id": "waba-0123",
        "wabaId": "200000000000001", "registrationStatus": "COMPLETE", "linkDate": "2025-01-01T00:00:00Z",
        "wabaName": "Tienda", "eventDestinations": [{"eventDestinationArn": EUM_TOPIC}]}  # fmt: skip


@dataclass
class Stubs:
    clients: Clients
    stubs: dict[str, Stubber]


@pytest.fixture
def stubs() -> Iterator[Stubs]:
    session = boto3.session.Session(region_name=REGION)
    raw = {
        name: session.client(name)
        for name in ("connect", "socialmessaging", "sns", "dynamodb", "s3")
    }
    stubbers = {name: Stubber(client) for name, client in raw.items()}
    for stub in stubbers.values():
        stub.activate()
    clients = Clients(connect=raw["connect"], socialmessaging=raw["socialmessaging"], sns=raw["sns"],
                      dynamodb=raw["dynamodb"], s3=raw["s3"], has_credentials=lambda: True)  # fmt: skip
    yield Stubs(clients, stubbers)
    for stub in stubbers.values():
        stub.deactivate()


def _healthy(s: dict[str, Stubber], *, instance_status: str = "ACTIVE") -> None:
    c, sm, sns, ddb, s3 = s["connect"], s["socialmessaging"], s["sns"], s["dynamodb"], s["s3"]
    c.add_response("list_instances", {"InstanceSummaryList": [
        {"Id": INSTANCE_ID, "Arn": f"arn:aws:connect:{REGION}:111122223333:instance/{INSTANCE_ID}",
         "InstanceAlias": "cdmx", "InstanceStatus": instance_status}]}, {})  # fmt: skip
    c.add_response("list_instance_storage_configs", {"StorageConfigs": [
        {"StorageType": "S3", "S3Config": {"BucketName": "connect-att", "BucketPrefix": "att"}}]},
        {"InstanceId": INSTANCE_ID, "ResourceType": "ATTACHMENTS"})  # fmt: skip
    c.add_response("describe_instance_attribute", {"Attribute": {"AttributeType": "MESSAGE_STREAMING", "Value": "true"}},
                   {"InstanceId": INSTANCE_ID, "AttributeType": "MESSAGE_STREAMING"})  # fmt: skip
    c.add_response("describe_contact_flow", {"ContactFlow": {"Name": "WhatsApp entrada", "Type": "CONTACT_FLOW",
                   "State": "ACTIVE", "Status": "PUBLISHED"}}, {"InstanceId": INSTANCE_ID, "ContactFlowId": FLOW_ID})  # fmt: skip
    sm.add_response("list_linked_whatsapp_business_accounts", {"linkedAccounts": [WABA]}, {})
    sm.add_response("get_linked_whatsapp_business_account", {"account": {**WABA, "phoneNumbers": [{
        "arn": ORIGINATION_ARN, "phoneNumber": "+15550100000", "phoneNumberId": ORIGINATION_ID,
        "metaPhoneNumberId": "1", "displayPhoneNumberName": "Tienda", "displayPhoneNumber": "+1 555-010-0000",
        "qualityRating": "GREEN"}]}}, {"id": "waba-0123"})  # fmt: skip
    for topic, protocol in ((EUM_TOPIC, "lambda"), (STREAM_TOPIC, "lambda")):
        sns.add_response(
            "get_topic_attributes", {"Attributes": {"TopicArn": topic}}, {"TopicArn": topic}
        )
        sns.add_response("list_subscriptions_by_topic", {"Subscriptions": [
            {"SubscriptionArn": f"{topic}:sub-1", "Protocol": protocol, "TopicArn": topic, "Endpoint": "x", "Owner": "1"}]},
            {"TopicArn": topic})  # fmt: skip
    for table in (MESSAGES_TABLE, CONTACTS_TABLE):
        ddb.add_response(
            "describe_table",
            {"Table": {"TableName": table, "TableStatus": "ACTIVE"}},
            {"TableName": table},
        )
    ddb.add_response("describe_time_to_live", {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}},
                     {"TableName": CONTACTS_TABLE})  # fmt: skip
    s3.add_response("head_bucket", {}, {"Bucket": BUCKET})
    c.add_response("list_queues", {"QueueSummaryList": [{"Id": "q-1", "Name": "Soporte"}]},
                   {"InstanceId": INSTANCE_ID, "QueueTypes": ["STANDARD"], "MaxResults": 10})  # fmt: skip
    c.add_response("get_current_metric_data", {"MetricResults": [{"Collections": [
        {"Metric": {"Name": "AGENTS_ONLINE", "Unit": "COUNT"}, "Value": 3.0},
        {"Metric": {"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"}, "Value": 1.0}]}]},
        {"InstanceId": INSTANCE_ID, "Filters": {"Queues": ["q-1"], "Channels": ["CHAT"]},
         "CurrentMetrics": [{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}, {"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"}]})  # fmt: skip


def _settings() -> Any:
    return bridge_settings(END_USER_MESSAGING_CONFIGURATION_ARN=WABA["arn"])


def test_a_healthy_setup_passes_every_check(stubs: Stubs) -> None:
    _healthy(stubs.stubs)
    out = io.StringIO()
    assert Doctor(_settings(), stubs.clients, out).run() == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 11 and all(line.startswith("✓") for line in lines), out.getvalue()
    assert "3 agents online, 1 chats waiting" in lines[-1]
    for stub in stubs.stubs.values():
        stub.assert_no_pending_responses()


def test_failures_are_sentences_and_the_status_is_non_zero(stubs: Stubs) -> None:
    _healthy(stubs.stubs, instance_status="CREATION_FAILED")
    # Replace the flow answer with an AWS error: the queue was built in call order, so
    # rebuild it with the error in the flow's place.
    stubs.stubs["connect"]._queue.clear()  # type: ignore[attr-defined]
    c = stubs.stubs["connect"]
    c.add_response("list_instances", {"InstanceSummaryList": [
        {"Id": INSTANCE_ID, "InstanceAlias": "cdmx", "InstanceStatus": "CREATION_FAILED"}]}, {})  # fmt: skip
    c.add_response("list_instance_storage_configs", {"StorageConfigs": []},
                   {"InstanceId": INSTANCE_ID, "ResourceType": "ATTACHMENTS"})  # fmt: skip
    c.add_client_error("describe_instance_attribute", service_error_code="AccessDeniedException",
                       service_message="User is not authorized", http_status_code=403)  # fmt: skip
    c.add_client_error("describe_contact_flow", service_error_code="ResourceNotFoundException",
                       service_message="Contact flow not found", http_status_code=404)  # fmt: skip
    c.add_response("list_queues", {"QueueSummaryList": []},
                   {"InstanceId": INSTANCE_ID, "QueueTypes": ["STANDARD"], "MaxResults": 10})  # fmt: skip
    out = io.StringIO()
    assert Doctor(_settings(), stubs.clients, out).run() == 1
    text = out.getvalue()
    assert "✗ Connect instance: cdmx is CREATION_FAILED, not ACTIVE" in text
    assert "✗ chat attachments: attachments are not enabled" in text
    assert (
        "✗ contact flow: AWS refused it (ResourceNotFoundException: Contact flow not found); check the id and the region"
        in text
    )
    assert "Traceback" not in text and len(text.splitlines()) == 11


def test_no_credentials_is_one_line(stubs: Stubs) -> None:
    stubs.clients.has_credentials = lambda: False
    out = io.StringIO()
    assert Doctor(_settings(), stubs.clients, out).run() == 1
    assert out.getvalue().count("\n") == 1
    assert out.getvalue().startswith("✗ credentials: no AWS credentials found")


def test_the_command_without_credentials_prints_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_REGION", REGION)
    assert main(["aws", "doctor"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "✗ credentials: no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, or run where a role provides them"
    ]
    assert "Traceback" not in captured.err


def test_the_command_without_a_region_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    assert main(["aws", "doctor"]) == 1
    assert capsys.readouterr().out == "✗ region: AWS_REGION is not set\n"
