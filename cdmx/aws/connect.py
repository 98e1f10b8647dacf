"""Amazon Connect chat, seen from the customer's side: start, stream, talk, attach.

A thin synchronous adapter over the boto3 ``connect`` and ``connectparticipant`` clients.
The participant calls carry the ConnectionToken as their credential; an
``AccessDeniedException`` on them means the chat ended or the token expired, raised here as
``ChatExpired`` so the bridge can start a new contact.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from cdmx.aws.errors import error_code

CHANNEL_ATTRIBUTE = "WhatsApp"
# text/plain and text/markdown messages are capped at 1,024 characters by Connect's docs,
# although the API model allows 16,384.
MAX_TEXT = 1024
SUPPORTED_CONTENT_TYPES = ["text/plain", "text/markdown"]
UPLOAD_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class ChatExpired(Exception):
    """The participant connection is no longer valid: the chat has ended."""


@dataclass(frozen=True)
class StartedChat:
    contact_id: str
    participant_id: str
    participant_token: str


class ConnectGateway:
    """Starts chats in one Connect instance and speaks in them as the customer."""

    def __init__(
        self,
        connect: Any,
        participant: Any,
        *,
        instance_id: str,
        contact_flow_id: str,
        streaming_topic_arn: str,
        chat_duration_minutes: int,
        http: httpx.Client | None = None,
    ) -> None:
        self.connect = connect
        self.participant = participant
        self.instance_id = instance_id
        self.contact_flow_id = contact_flow_id
        self.streaming_topic_arn = streaming_topic_arn
        self.chat_duration_minutes = chat_duration_minutes
        self.http = http or httpx.Client(timeout=UPLOAD_TIMEOUT)

    def start_chat(
        self,
        *,
        display_name: str,
        attributes: dict[str, str],
        initial_text: str,
        related_contact_id: str | None = None,
    ) -> StartedChat:
        """StartChatContact in the configured flow, then stream it to the outbound topic."""
        params: dict[str, Any] = {
            "InstanceId": self.instance_id,
            "ContactFlowId": self.contact_flow_id,
            "Attributes": attributes,
            "ParticipantDetails": {"DisplayName": display_name[:256] or "WhatsApp"},
            "InitialMessage": {"ContentType": "text/plain", "Content": initial_text[:MAX_TEXT]},
            "ChatDurationInMinutes": self.chat_duration_minutes,
            "SupportedMessagingContentTypes": SUPPORTED_CONTENT_TYPES,
        }
        if related_contact_id:
            params["RelatedContactId"] = related_contact_id
        response = self.connect.start_chat_contact(**params)
        chat = StartedChat(
            contact_id=response["ContactId"],
            participant_id=response["ParticipantId"],
            participant_token=response["ParticipantToken"],
        )
        self.connect.start_contact_streaming(
            InstanceId=self.instance_id,
            ContactId=chat.contact_id,
            ChatStreamingConfiguration={"StreamingEndpointArn": self.streaming_topic_arn},
        )
        return chat

    def connect_participant(self, participant_token: str) -> str:
        """CreateParticipantConnection (within 5 minutes of the start); the ConnectionToken."""
        response = self._participant_call(
            "create_participant_connection",
            ParticipantToken=participant_token,
            Type=["CONNECTION_CREDENTIALS"],
            ConnectParticipant=True,
        )
        return str(response["ConnectionCredentials"]["ConnectionToken"])

    def send_text(self, connection_token: str, text: str) -> None:
        """SendMessage, split into ordered parts of at most 1,024 characters."""
        for part in split_text(text):
            self._participant_call(
                "send_message",
                ContentType="text/plain",
                Content=part,
                ConnectionToken=connection_token,
            )

    def upload_attachment(
        self, connection_token: str, *, name: str, content_type: str, data: bytes
    ) -> str:
        """StartAttachmentUpload → PUT to the presigned URL → CompleteAttachmentUpload."""
        started = self._participant_call(
            "start_attachment_upload",
            ContentType=content_type,
            AttachmentSizeInBytes=len(data),
            AttachmentName=name[:256],
            ConnectionToken=connection_token,
        )
        attachment_id = str(started["AttachmentId"])
        upload = started["UploadMetadata"]
        url = str(upload["Url"])
        if not _is_aws_https(url):
            raise ValueError(f"refusing to upload an attachment to {urlsplit(url).hostname!r}")
        headers = {str(k): str(v) for k, v in (upload.get("HeadersToInclude") or {}).items()}
        response = self.http.put(url, content=data, headers=headers)
        response.raise_for_status()
        self._participant_call(
            "complete_attachment_upload",
            AttachmentIds=[attachment_id],
            ConnectionToken=connection_token,
        )
        return attachment_id

    def attachment_url(self, connection_token: str, attachment_id: str) -> str:
        """GetAttachment: a short-lived URL to the file an agent attached."""
        response = self._participant_call(
            "get_attachment",
            AttachmentId=attachment_id,
            ConnectionToken=connection_token,
            UrlExpiryInSeconds=300,
        )
        return str(response["Url"])

    def download(self, url: str) -> bytes:
        """GET a presigned attachment URL (only an AWS HTTPS host)."""
        if not _is_aws_https(url):
            raise ValueError(f"refusing to download from {urlsplit(url).hostname!r}")
        response = self.http.get(url)
        response.raise_for_status()
        return response.content

    def _participant_call(self, operation: str, **params: Any) -> Any:
        try:
            return getattr(self.participant, operation)(**params)
        except Exception as exc:
            if error_code(exc) == "AccessDeniedException":
                raise ChatExpired(str(exc)) from exc
            raise


def split_text(text: str, limit: int = MAX_TEXT) -> Iterator[str]:
    """Ordered parts of at most ``limit`` characters, cut at a line or word break if any."""
    rest = text.strip()
    while rest:
        if len(rest) <= limit:
            yield rest
            return
        cut = rest.rfind("\n", 0, limit + 1)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut < limit // 2:
            cut = limit
        yield rest[:cut].rstrip()
        rest = rest[cut:].lstrip()


def _is_aws_https(url: str) -> bool:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return parts.scheme == "https" and (
        host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn")
    )
