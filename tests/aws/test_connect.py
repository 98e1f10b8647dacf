"""The Connect adapter: text split in order, uploads only to AWS hosts, expiry recognised."""

from __future__ import annotations

import httpx
import pytest

from cdmx.aws.connect import ChatExpired, ConnectGateway, split_text
from tests.aws.conftest import FLOW_ID, INSTANCE_ID, STREAM_TOPIC, Aws


def test_split_keeps_order_and_limits() -> None:
    text = "\n".join(f"línea {n}: " + "x" * 90 for n in range(40))
    parts = list(split_text(text))
    assert all(len(p) <= 1024 for p in parts)
    assert "\n".join(parts) == text
    assert list(split_text("a" * 2500)) == ["a" * 1024, "a" * 1024, "a" * 452]
    assert list(split_text("  hola  ")) == ["hola"]
    assert list(split_text("")) == []


def _gateway(aws: Aws, handler: httpx.MockTransport) -> ConnectGateway:
    return ConnectGateway(
        aws.connect, aws.participant, instance_id=INSTANCE_ID, contact_flow_id=FLOW_ID,
        streaming_topic_arn=STREAM_TOPIC, chat_duration_minutes=1500,
        http=httpx.Client(transport=handler),
    )  # fmt: skip


def test_upload_to_a_host_that_is_not_aws_is_refused(aws: Aws) -> None:
    puts: list[str] = []
    gateway = _gateway(
        aws, httpx.MockTransport(lambda r: puts.append(str(r.url)) or httpx.Response(200))
    )
    aws.stub_participant.add_response(
        "start_attachment_upload",
        {
            "AttachmentId": "a",
            "UploadMetadata": {
                "Url": "https://evil.example/put",
                "UrlExpiry": "x",
                "HeadersToInclude": {},
            },
        },
    )
    with pytest.raises(ValueError, match="evil.example"):
        gateway.upload_attachment("ct", name="f.pdf", content_type="application/pdf", data=b"x")
    assert puts == []


def test_access_denied_means_the_chat_expired(aws: Aws) -> None:
    gateway = _gateway(aws, httpx.MockTransport(lambda r: httpx.Response(200)))
    aws.stub_participant.add_client_error(
        "send_message", service_error_code="AccessDeniedException", http_status_code=403
    )
    with pytest.raises(ChatExpired):
        gateway.send_text("ct", "hola")
    aws.stub_participant.add_client_error(
        "send_message", service_error_code="ThrottlingException", http_status_code=429
    )
    with pytest.raises(Exception) as raised:
        gateway.send_text("ct", "hola")
    assert not isinstance(raised.value, ChatExpired)
