"""The PoC walked through the bridge: every Connect and EUM call checked by botocore's
Stubber against the service models, the state in moto's DynamoDB and S3.

customer text → chat started → agent reply → WhatsApp send; customer photo → attachment
uploaded; agent attachment → WhatsApp media; chat ended → goodbye delivered → next message
starts a new contact; redelivered SNS events change nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from cdmx.aws.bridge_inbound import InboundBridge
from cdmx.aws.bridge_outbound import WINDOW_NOTICE, OutboundBridge
from cdmx.aws.handlers import build_inbound, build_outbound
from tests.aws.conftest import (
    BUCKET,
    CONTACTS_TABLE,
    FLOW_ID,
    INSTANCE_ID,
    MESSAGES_TABLE,
    ORIGINATION_ID,
    STREAM_TOPIC,
    Aws,
    bridge_settings,
    eum_message,
    text_message,
)
from tests.conftest import PHONE_NUMBER_ID

WA_ID = "5215550101234"
UPLOAD_URL = "https://connect-attachments.s3.amazonaws.com/upload/abc?X-Amz-Signature=x"
DOWNLOAD_URL = "https://connect-attachments.s3.amazonaws.com/download/def?X-Amz-Signature=y"


@dataclass
class Http:
    """Connect's presigned S3 URLs, played by httpx.MockTransport."""

    puts: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            self.puts.append((str(request.url), request.content, dict(request.headers)))
            return httpx.Response(200)
        return httpx.Response(200, content=self.files[str(request.url)])


@dataclass
class Bridge:
    aws: Aws
    inbound: InboundBridge
    outbound: OutboundBridge
    http: Http
    now: list[float]

    def customer_says(self, *messages: dict[str, Any]) -> None:
        self.inbound.handle_sns_message(eum_message(list(messages)))

    def connect_says(self, item: dict[str, Any], visibility: str = "ALL") -> None:
        attributes = {
            "ContactId": item.get("ContactId", ""), "InitialContactId": item.get("InitialContactId", ""),
            "ParticipantRole": item.get("ParticipantRole", ""), "Type": item.get("Type", ""),
            "MessageVisibility": visibility, "InstanceId": INSTANCE_ID,
        }  # fmt: skip
        self.outbound.handle_sns_message(json.dumps(item), attributes)

    def item(self, key: str) -> dict[str, Any] | None:
        table = MESSAGES_TABLE if key.startswith(("wamid:", "connect:")) else CONTACTS_TABLE
        return self.aws.dynamodb.Table(table).get_item(Key={"pk": key}).get("Item")

    # --- expectations, each validated by botocore against the service model -----------------

    def expect_chat_started(
        self, contact_id: str, text: str, *, name: str = "Ana", related: str | None = None
    ) -> None:
        attributes = {
            "Channel": "WhatsApp", "customerId": WA_ID, "customerName": name,
            "systemNumber": ORIGINATION_ID, "metaPhoneNumberId": PHONE_NUMBER_ID,
        }  # fmt: skip
        params: dict[str, Any] = {
            "InstanceId": INSTANCE_ID, "ContactFlowId": FLOW_ID, "Attributes": attributes,
            "ParticipantDetails": {"DisplayName": name},
            "InitialMessage": {"ContentType": "text/plain", "Content": text},
            "ChatDurationInMinutes": 1500,
            "SupportedMessagingContentTypes": ["text/plain", "text/markdown"],
        }  # fmt: skip
        if related:
            attributes["previousContactId"] = related
            params["RelatedContactId"] = related
        self.aws.stub_connect.add_response(
            "start_chat_contact",
            {
                "ContactId": contact_id,
                "ParticipantId": f"p-{contact_id}",
                "ParticipantToken": f"pt-{contact_id}",
            },
            params,
        )
        self.aws.stub_connect.add_response(
            "start_contact_streaming",
            {"StreamingId": f"s-{contact_id}"},
            {"InstanceId": INSTANCE_ID, "ContactId": contact_id,
             "ChatStreamingConfiguration": {"StreamingEndpointArn": STREAM_TOPIC}},
        )  # fmt: skip
        self.aws.stub_participant.add_response(
            "create_participant_connection",
            {
                "ConnectionCredentials": {
                    "ConnectionToken": f"ct-{contact_id}",
                    "Expiry": "2025-06-02T12:00:00Z",
                }
            },
            {
                "ParticipantToken": f"pt-{contact_id}",
                "Type": ["CONNECTION_CREDENTIALS"],
                "ConnectParticipant": True,
            },
        )

    def expect_chat_text(self, contact_id: str, text: str) -> None:
        self.aws.stub_participant.add_response(
            "send_message",
            {"Id": "msg", "AbsoluteTime": "2025-06-01T12:00:01.000Z"},
            {"ContentType": "text/plain", "Content": text, "ConnectionToken": f"ct-{contact_id}"},
        )

    def expect_whatsapp(self, body: dict[str, Any], wamid: str) -> None:
        self.aws.stub_social.add_response(
            "send_whatsapp_message",
            {"messageId": wamid},
            {
                "originationPhoneNumberId": ORIGINATION_ID,
                "message": json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
                "metaApiVersion": "v23.0",
            },
        )


def agent_text(contact_id: str, text: str, item_id: str, *, role: str = "AGENT",
               initial: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "AbsoluteTime": "2025-06-01T12:00:05.120Z", "Content": text, "ContentType": "text/plain",
        "Id": item_id, "Type": "MESSAGE", "ParticipantId": "agent-1", "DisplayName": "Agente Lee",
        "ParticipantRole": role, "InitialContactId": initial or contact_id, "ContactId": contact_id,
    }  # fmt: skip


def event(
    contact_id: str, content_type: str, item_id: str, role: str | None = None
) -> dict[str, Any]:
    item = {
        "AbsoluteTime": "2025-06-01T12:10:00.000Z", "Type": "EVENT", "Id": item_id,
        "ContentType": f"application/vnd.amazonaws.connect.event.{content_type}",
        "InitialContactId": contact_id, "ContactId": contact_id,
    }  # fmt: skip
    if role:
        item["ParticipantRole"] = role
    return item


def whatsapp_text(text: str) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": f"+{WA_ID}",
        "type": "text", "text": {"preview_url": False, "body": text},
    }  # fmt: skip


@pytest.fixture
def bridge(aws: Aws) -> Iterator[Bridge]:
    http = Http()
    client = httpx.Client(transport=httpx.MockTransport(http.handler))
    settings = bridge_settings()
    clients = {
        "connect": aws.connect, "participant": aws.participant, "socialmessaging": aws.social,
        "dynamodb": aws.dynamodb, "s3": aws.s3, "http": client,
    }  # fmt: skip
    inbound = build_inbound(settings, **clients, convert_audio=lambda data: b"RIFF" + data)
    outbound = build_outbound(settings, **clients)
    import time

    now = [time.time()]
    for state in (inbound.state, outbound.state):
        state.clock = lambda: now[0]
    outbound.clock = lambda: now[0]
    yield Bridge(aws, inbound, outbound, http, now)
    client.close()
    aws.assert_no_pending()


def test_customer_text_starts_a_chat_and_the_agent_reply_reaches_whatsapp(bridge: Bridge) -> None:
    bridge.expect_chat_started("c-1", "Hola, quiero ayuda")
    bridge.customer_says(text_message("wamid.IN1", "Hola, quiero ayuda"))
    bridge.aws.assert_no_pending()

    customer = bridge.item(f"customer:{ORIGINATION_ID}|wa:{WA_ID}")
    assert customer is not None
    assert (customer["state"], customer["contact_id"], customer["connection_token"]) == (
        "open",
        "c-1",
        "ct-c-1",
    )
    inbound = bridge.item("wamid:wamid.IN1")
    assert inbound is not None
    assert (
        inbound["direction"],
        inbound["status"],
        inbound["type"],
        inbound["state"],
        inbound["contact_id"],
    ) == (
        "inbound",
        "received",
        "text",
        "done",
        "c-1",
    )

    bridge.expect_whatsapp(whatsapp_text("¡Hola Ana! ¿En qué te ayudo?"), "wamid.OUT1")
    bridge.connect_says(agent_text("c-1", "¡Hola Ana! ¿En qué te ayudo?", "item-1"))
    bridge.aws.assert_no_pending()
    outbound = bridge.item("wamid:wamid.OUT1")
    assert outbound is not None
    assert (outbound["direction"], outbound["status"], outbound["connect_item_id"]) == (
        "outbound",
        "sent",
        "item-1",
    )


def test_redelivered_sns_events_change_nothing(bridge: Bridge) -> None:
    bridge.expect_chat_started("c-1", "Hola")
    bridge.customer_says(text_message("wamid.IN1", "Hola"))
    bridge.expect_whatsapp(whatsapp_text("Buenas"), "wamid.OUT1")
    bridge.connect_says(agent_text("c-1", "Buenas", "item-1"))
    before = (bridge.item("wamid:wamid.IN1"), bridge.item("connect:item-1"))

    # The same events again: no Connect call, no WhatsApp send (the Stubber would fail on any).
    bridge.customer_says(text_message("wamid.IN1", "Hola"))
    bridge.connect_says(agent_text("c-1", "Buenas", "item-1"))
    assert (bridge.item("wamid:wamid.IN1"), bridge.item("connect:item-1")) == before


def test_customer_echo_and_agent_only_messages_are_not_sent(bridge: Bridge) -> None:
    bridge.expect_chat_started("c-1", "Hola")
    bridge.customer_says(text_message("wamid.IN1", "Hola"))
    bridge.connect_says(agent_text("c-1", "Hola", "echo-1", role="CUSTOMER"))
    bridge.connect_says(agent_text("c-1", "nota interna", "whisper-1"), visibility="AGENT")
    bridge.connect_says(event("c-1", "typing", "typing-1", role="AGENT"))
    assert bridge.item("connect:echo-1") is None and bridge.item("connect:whisper-1") is None


def test_system_messages_are_sent_too(bridge: Bridge) -> None:
    bridge.expect_chat_started("c-1", "Hola")
    bridge.customer_says(text_message("wamid.IN1", "Hola"))
    bridge.expect_whatsapp(whatsapp_text("Un agente te atenderá pronto."), "wamid.SYS1")
    bridge.connect_says(agent_text("c-1", "Un agente te atenderá pronto.", "sys-1", role="SYSTEM"))


def test_customer_photo_is_uploaded_as_a_chat_attachment(bridge: Bridge) -> None:
    bridge.expect_chat_started("c-1", "Hola")
    bridge.customer_says(text_message("wamid.IN1", "Hola"))

    photo = b"\xff\xd8\xff\xe0 fake jpeg bytes"
    prefix = f"inbound/{ORIGINATION_ID}/900000000000003/"
    # EUM writes the file into our bucket; here the test plays that part in moto's S3.
    bridge.aws.s3.put_object(Bucket=BUCKET, Key=prefix + "900000000000003.jpeg", Body=photo)
    bridge.expect_chat_text("c-1", "📷 Foto: mi recibo")
    bridge.aws.stub_social.add_response(
        "get_whatsapp_message_media",
        {"mimeType": "image/jpeg", "fileSize": len(photo)},
        {"mediaId": "900000000000003", "originationPhoneNumberId": ORIGINATION_ID,
         "destinationS3File": {"bucketName": BUCKET, "key": prefix}},
    )  # fmt: skip
    bridge.aws.stub_participant.add_response(
        "start_attachment_upload",
        {"AttachmentId": "att-1", "UploadMetadata": {
            "Url": UPLOAD_URL, "UrlExpiry": "2025-06-01T12:05:00Z",
            "HeadersToInclude": {"Content-Type": "image/jpeg", "x-amz-meta-x": "1"}}},
        {"ContentType": "image/jpeg", "AttachmentSizeInBytes": len(photo),
         "AttachmentName": "whatsapp-image-900000000000003.jpg", "ConnectionToken": "ct-c-1"},
    )  # fmt: skip
    bridge.aws.stub_participant.add_response(
        "complete_attachment_upload", {}, {"AttachmentIds": ["att-1"], "ConnectionToken": "ct-c-1"}
    )
    image = {
        "id": "900000000000003",
        "mime_type": "image/jpeg",
        "sha256": "x",
        "caption": "mi recibo",
    }
    bridge.customer_says(
        {
            "from": WA_ID,
            "id": "wamid.IN2",
            "timestamp": "1748779260",
            "type": "image",
            "image": image,
        }
    )
    assert len(bridge.http.puts) == 1
    url, body, headers = bridge.http.puts[0]
    assert (url, body, headers["x-amz-meta-x"], headers["content-type"]) == (
        UPLOAD_URL,
        photo,
        "1",
        "image/jpeg",
    )


def test_voice_note_is_converted_to_wav_and_without_ffmpeg_the_agent_is_told(
    bridge: Bridge,
) -> None:
    bridge.expect_chat_started("c-1", "Hola")
    bridge.customer_says(text_message("wamid.IN1", "Hola"))
    ogg = b"OggS fake opus"
    voice = {"mime_type": "audio/ogg; codecs=opus", "voice": True}

    def expect_download(media_id: str) -> str:
        prefix = f"inbound/{ORIGINATION_ID}/{media_id}/"
        bridge.aws.s3.put_object(Bucket=BUCKET, Key=prefix + f"{media_id}.ogg", Body=ogg)
        bridge.expect_chat_text("c-1", "🎤 Nota de voz")
        bridge.aws.stub_social.add_response(
            "get_whatsapp_message_media",
            {"mimeType": "audio/ogg; codecs=opus", "fileSize": len(ogg)},
            {"mediaId": media_id, "originationPhoneNumberId": ORIGINATION_ID,
             "destinationS3File": {"bucketName": BUCKET, "key": prefix}},
        )  # fmt: skip
        return prefix + f"{media_id}.ogg"

    expect_download("800000000000001")
    bridge.aws.stub_participant.add_response(
        "start_attachment_upload",
        {"AttachmentId": "att-v", "UploadMetadata": {"Url": UPLOAD_URL, "UrlExpiry": "x", "HeadersToInclude": {}}},
        {"ContentType": "audio/wav", "AttachmentSizeInBytes": len(ogg) + 4,
         "AttachmentName": "whatsapp-audio-800000000000001.wav", "ConnectionToken": "ct-c-1"},
    )  # fmt: skip
    bridge.aws.stub_participant.add_response(
        "complete_attachment_upload", {}, {"AttachmentIds": ["att-v"], "ConnectionToken": "ct-c-1"}
    )
    bridge.customer_says({"from": WA_ID, "id": "wamid.V1", "timestamp": "1748779270", "type": "audio",
                          "audio": {**voice, "id": "800000000000001"}})  # fmt: skip
    assert bridge.http.puts[0][1] == b"RIFF" + ogg

    bridge.inbound.convert_audio = lambda data: None  # no ffmpeg
    key = expect_download("800000000000002")
    bridge.expect_chat_text(
        "c-1",
        "🎤 Nota de voz recibida, pero no se pudo convertir a un formato que Connect muestre "
        f"(audio/ogg). Quedó guardada como s3://{BUCKET}/{key}",
    )
    bridge.customer_says({"from": WA_ID, "id": "wamid.V2", "timestamp": "1748779271", "type": "audio",
                          "audio": {**voice, "id": "800000000000002"}})  # fmt: skip


def test_agent_attachment_goes_out_as_whatsapp_media(bridge: Bridge) -> None:
    bridge.expect_chat_started("c-1", "Hola")
    bridge.customer_says(text_message("wamid.IN1", "Hola"))
    pdf = b"%PDF-1.7 factura"
    bridge.http.files[DOWNLOAD_URL] = pdf
    bridge.aws.stub_participant.add_response(
        "get_attachment",
        {
            "Url": DOWNLOAD_URL,
            "UrlExpiry": "2025-06-01T12:05:00Z",
            "AttachmentSizeInBytes": len(pdf),
        },
        {"AttachmentId": "att-9", "ConnectionToken": "ct-c-1", "UrlExpiryInSeconds": 300},
    )
    key = "outbound/c-1/att-9/factura.pdf"
    bridge.aws.stub_social.add_response(
        "post_whatsapp_message_media",
        {"mediaId": "700000000000009"},
        {
            "originationPhoneNumberId": ORIGINATION_ID,
            "sourceS3File": {"bucketName": BUCKET, "key": key},
        },
    )
    body = {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": f"+{WA_ID}",
        "type": "document", "document": {"id": "700000000000009", "filename": "factura.pdf"},
    }  # fmt: skip
    bridge.expect_whatsapp(body, "wamid.OUT-DOC")
    bridge.connect_says(
        {
            "AbsoluteTime": "2025-06-01T12:01:00.000Z",
            "Type": "ATTACHMENT",
            "Id": "item-att",
            "ParticipantId": "agent-1",
            "DisplayName": "Agente Lee",
            "ParticipantRole": "AGENT",
            "InitialContactId": "c-1",
            "ContactId": "c-1",
            "Attachments": [
                {
                    "AttachmentId": "att-9",
                    "AttachmentName": "factura.pdf",
                    "ContentType": "application/pdf",
                    "Status": "APPROVED",
                },
                {
                    "AttachmentId": "att-bad",
                    "AttachmentName": "x.exe",
                    "ContentType": "application/x",
                    "Status": "REJECTED",
                },
            ],
        }  # fmt: skip
    )
    stored = bridge.aws.s3.get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].read() == pdf
    assert bridge.item("wamid:wamid.OUT-DOC")["type"] == "document"  # type: ignore[index]


def test_chat_end_delivers_the_goodbye_then_a_new_message_starts_a_new_contact(
    bridge: Bridge,
) -> None:
    bridge.expect_chat_started("c-1", "Hola")
    bridge.customer_says(text_message("wamid.IN1", "Hola"))

    goodbye = bridge.outbound.goodbye_text
    bridge.expect_whatsapp(whatsapp_text(goodbye), "wamid.BYE")
    bridge.connect_says(event("c-1", "chat.ended", "end-1"))
    assert bridge.item(f"customer:{ORIGINATION_ID}|wa:{WA_ID}")["state"] == "closed"  # type: ignore[index]
    assert bridge.item("contact:c-1")["state"] == "closed"  # type: ignore[index]

    # The flow's closing words can arrive after the end event: still delivered.
    bridge.expect_whatsapp(whatsapp_text("Gracias por escribirnos."), "wamid.LATE")
    bridge.connect_says(agent_text("c-1", "Gracias por escribirnos.", "late-1", role="SYSTEM"))

    # Redelivered end event: no second goodbye.
    bridge.connect_says(event("c-1", "chat.ended", "end-1"))

    bridge.expect_chat_started("c-2", "Otra pregunta")
    bridge.customer_says(text_message("wamid.IN2", "Otra pregunta"))
    assert bridge.item(f"customer:{ORIGINATION_ID}|wa:{WA_ID}")["contact_id"] == "c-2"  # type: ignore[index]


def test_an_expired_chat_starts_a_new_contact_related_to_the_old_one(bridge: Bridge) -> None:
    bridge.expect_chat_started("c-1", "Hola")
    bridge.customer_says(text_message("wamid.IN1", "Hola"))
    bridge.aws.stub_participant.add_client_error(
        "send_message", service_error_code="AccessDeniedException",
        service_message="Access denied", http_status_code=403,
        expected_params={"ContentType": "text/plain", "Content": "¿Siguen ahí?", "ConnectionToken": "ct-c-1"},
    )  # fmt: skip
    bridge.expect_chat_started("c-2", "¿Siguen ahí?", related="c-1")
    bridge.customer_says(text_message("wamid.IN2", "¿Siguen ahí?"))
    customer = bridge.item(f"customer:{ORIGINATION_ID}|wa:{WA_ID}")
    assert customer is not None
    assert (customer["contact_id"], customer["previous_contact_id"]) == ("c-2", "c-1")
    assert bridge.item("contact:c-1")["state"] == "closed"  # type: ignore[index]


def test_long_text_is_split_in_order_under_1024_characters(bridge: Bridge) -> None:
    words = " ".join(f"palabra{n:04d}" for n in range(250))  # 2,749 characters
    parts = []
    rest = words
    while rest:
        cut = rest.rfind(" ", 0, 1025) if len(rest) > 1024 else len(rest)
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip()
    assert len(parts) == 3 and all(len(p) <= 1024 for p in parts)
    bridge.expect_chat_started("c-1", parts[0])
    for part in parts[1:]:
        bridge.expect_chat_text("c-1", part)
    bridge.customer_says(text_message("wamid.LONG", words))


def test_location_contacts_reaction_and_reply_are_described_in_words(bridge: Bridge) -> None:
    bridge.expect_chat_started("c-1", "Hola")
    bridge.customer_says(text_message("wamid.IN1", "Hola"))
    bridge.expect_whatsapp(whatsapp_text("Tu pedido llega mañana"), "wamid.OUT1")
    bridge.connect_says(agent_text("c-1", "Tu pedido llega mañana", "item-1"))

    bridge.expect_chat_text(
        "c-1",
        "📍 Ubicación compartida\nOficina\nAv. Reforma 222\n19.4326, -99.1332 — https://maps.google.com/?q=19.4326,-99.1332",
    )
    bridge.customer_says({"from": WA_ID, "id": "wamid.LOC", "timestamp": "1748779300", "type": "location",
                          "location": {"latitude": 19.4326, "longitude": -99.1332, "name": "Oficina", "address": "Av. Reforma 222"}})  # fmt: skip

    bridge.expect_chat_text(
        "c-1", "👤 Contacto compartido\nBeto Ramírez: +52 55 1234 5678, beto@example.com"
    )
    bridge.customer_says({"from": WA_ID, "id": "wamid.VCF", "timestamp": "1748779301", "type": "contacts",
                          "contacts": [{"name": {"formatted_name": "Beto Ramírez"}, "phones": [{"phone": "+52 55 1234 5678"}],
                                        "emails": [{"email": "beto@example.com"}]}]})  # fmt: skip

    bridge.expect_chat_text("c-1", "Reaccionó 👍 a un mensaje: «Tu pedido llega mañana»")
    bridge.customer_says({"from": WA_ID, "id": "wamid.REA", "timestamp": "1748779302", "type": "reaction",
                          "reaction": {"message_id": "wamid.OUT1", "emoji": "👍"}})  # fmt: skip

    bridge.expect_chat_text("c-1", "↩ En respuesta a: «Tu pedido llega mañana»\n¿A qué hora?")
    reply = text_message("wamid.REP", "¿A qué hora?")
    reply["context"] = {"from": "15550100000", "id": "wamid.OUT1"}
    bridge.customer_says(reply)


def test_outside_the_24_hour_window_the_agent_is_told_instead(bridge: Bridge) -> None:
    bridge.expect_chat_started("c-1", "Hola")
    bridge.customer_says(text_message("wamid.IN1", "Hola"))
    bridge.now[0] += 25 * 3600
    bridge.expect_chat_text("c-1", WINDOW_NOTICE)
    bridge.connect_says(agent_text("c-1", "¿Sigues ahí?", "item-late"))
    assert bridge.item("connect:item-late")["state"] == "done"  # type: ignore[index]


def test_window_error_from_eum_also_tells_the_agent(bridge: Bridge) -> None:
    bridge.expect_chat_started("c-1", "Hola")
    bridge.customer_says(text_message("wamid.IN1", "Hola"))
    bridge.aws.stub_social.add_client_error(
        "send_whatsapp_message", service_error_code="ValidationException",
        service_message="(#131047) Re-engagement message", http_status_code=400,
    )  # fmt: skip
    bridge.expect_chat_text("c-1", WINDOW_NOTICE)
    bridge.connect_says(agent_text("c-1", "Hola", "item-2"))


def test_throttling_fails_the_invocation_and_releases_the_claim_for_the_retry(
    bridge: Bridge,
) -> None:
    from cdmx.whatsapp.errors import Throttled

    bridge.expect_chat_started("c-1", "Hola")
    bridge.customer_says(text_message("wamid.IN1", "Hola"))
    bridge.aws.stub_social.add_client_error(
        "send_whatsapp_message", service_error_code="ThrottledRequestException",
        service_message="slow down", http_status_code=429,
    )  # fmt: skip
    with pytest.raises(Throttled):
        bridge.connect_says(agent_text("c-1", "Hola", "item-3"))
    assert bridge.item("connect:item-3") is None
    bridge.expect_whatsapp(whatsapp_text("Hola"), "wamid.RETRY")
    bridge.connect_says(agent_text("c-1", "Hola", "item-3"))  # Lambda's retry


def test_transferred_contact_is_resolved_through_initial_contact_id(bridge: Bridge) -> None:
    bridge.expect_chat_started("c-1", "Hola")
    bridge.customer_says(text_message("wamid.IN1", "Hola"))
    bridge.connect_says(
        event("c-2", "transfer.succeeded", "tr-1", role="SYSTEM") | {"InitialContactId": "c-1"}
    )
    assert bridge.item("contact:c-2")["contact_id"] == "c-1"  # type: ignore[index]
    bridge.expect_whatsapp(whatsapp_text("Soy otra agente"), "wamid.TR")
    bridge.connect_says(agent_text("c-2", "Soy otra agente", "item-tr", initial="c-1"))


def test_statuses_apply_monotonically(bridge: Bridge) -> None:
    bridge.expect_chat_started("c-1", "Hola")
    bridge.customer_says(text_message("wamid.IN1", "Hola"))
    bridge.expect_whatsapp(whatsapp_text("Listo"), "wamid.OUT1")
    bridge.connect_says(agent_text("c-1", "Listo", "item-1"))

    def status(value: str, ts: int) -> None:
        item = {"id": "wamid.OUT1", "status": value, "timestamp": str(ts), "recipient_id": WA_ID}
        bridge.inbound.handle_sns_message(eum_message(statuses=[item]))

    status("read", 1748779500)
    status("delivered", 1748779400)  # late, must not undo "read"
    status("failed", 1748779600)  # a late failure never undoes a read
    stored = bridge.item("wamid:wamid.OUT1")
    assert stored is not None
    assert (stored["status"], int(stored["status_at"])) == ("read", 1748779500)


def test_agent_attachment_outside_the_window_is_not_fetched(bridge: Bridge) -> None:
    bridge.expect_chat_started("c-1", "Hola")
    bridge.customer_says(text_message("wamid.IN1", "Hola"))
    bridge.now[0] += 25 * 3600
    bridge.expect_chat_text("c-1", WINDOW_NOTICE)
    bridge.connect_says(
        {
            "Type": "ATTACHMENT",
            "Id": "item-att-late",
            "ParticipantRole": "AGENT",
            "InitialContactId": "c-1",
            "ContactId": "c-1",
            "Attachments": [
                {
                    "AttachmentId": "att-1",
                    "AttachmentName": "a.pdf",
                    "ContentType": "application/pdf",
                    "Status": "APPROVED",
                }
            ],
        }  # fmt: skip
    )
