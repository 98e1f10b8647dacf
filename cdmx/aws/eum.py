"""AWS End User Messaging Social: sending WhatsApp messages and moving media through S3.

``EumClient`` is the thin, synchronous adapter over the boto3 ``socialmessaging`` client that
the Lambda bridge uses. ``EumSender`` gives the self-hosted product's outbox the same
interface as ``GraphClient`` (``async send_message(phone_number_id, token, body)``), so a
number whose provider is ``aws`` is sent through EUM with no other change: the body is the
very Meta message JSON, the token is unused (IAM signs the call), and AWS errors become the
same GraphError classes. Wiring: build ``EumSender(EumClient(boto3 socialmessaging client,
meta_api_version=settings.eum_meta_api_version))`` and use it for channels whose provider
is ``aws``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from cdmx.aws.envelope import origination_id_from_arn
from cdmx.aws.errors import graph_error_from_aws
from cdmx.whatsapp.errors import AuthFailed, Retryable
from cdmx.whatsapp.graph import SendResult


@dataclass(frozen=True)
class MediaInfo:
    mime_type: str
    size: int


class EumClient:
    """Calls ``socialmessaging`` for one AWS account and region."""

    def __init__(self, client: Any, *, meta_api_version: str) -> None:
        self.client = client
        self.meta_api_version = meta_api_version
        self._origination: dict[str, str] = {}

    def send(self, origination_id: str, body: dict[str, Any]) -> str:
        """SendWhatsAppMessage with a Meta message body; returns the message id."""
        response = self.client.send_whatsapp_message(
            originationPhoneNumberId=origination_id,
            message=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
            metaApiVersion=self.meta_api_version,
        )
        return str(response.get("messageId") or "")

    def download_media(
        self, media_id: str, origination_id: str, bucket: str, key: str
    ) -> MediaInfo:
        """GetWhatsAppMessageMedia into ``s3://bucket/key…``; returns its type and size."""
        response = self.client.get_whatsapp_message_media(
            mediaId=media_id,
            originationPhoneNumberId=origination_id,
            destinationS3File={"bucketName": bucket, "key": key},
        )
        return MediaInfo(
            mime_type=str(response.get("mimeType") or "application/octet-stream"),
            size=int(response.get("fileSize") or 0),
        )

    def upload_media(self, origination_id: str, bucket: str, key: str) -> str:
        """PostWhatsAppMessageMedia from S3; returns the WhatsApp media id."""
        response = self.client.post_whatsapp_message_media(
            originationPhoneNumberId=origination_id,
            sourceS3File={"bucketName": bucket, "key": key},
        )
        return str(response["mediaId"])

    def origination_id(self, meta_phone_number_id: str) -> str:
        """The AWS phone-number id for Meta's phone_number_id, looked up once and cached."""
        if meta_phone_number_id.startswith(("phone-number-id-", "arn:")):
            return meta_phone_number_id
        if meta_phone_number_id not in self._origination:
            self._origination.update(self._linked_numbers())
        try:
            return self._origination[meta_phone_number_id]
        except KeyError:
            raise AuthFailed(
                f"phone number {meta_phone_number_id} is not linked in End User Messaging Social"
            ) from None

    def _linked_numbers(self) -> dict[str, str]:
        numbers: dict[str, str] = {}
        token: str | None = None
        while True:
            page = self.client.list_linked_whatsapp_business_accounts(
                **({"nextToken": token} if token else {})
            )
            for account in page.get("linkedAccounts", []):
                details = self.client.get_linked_whatsapp_business_account(id=account["id"])
                for number in details.get("account", {}).get("phoneNumbers", []):
                    meta_id = number.get("metaPhoneNumberId")
                    aws_id = number.get("phoneNumberId") or origination_id_from_arn(
                        number.get("arn", "")
                    )
                    if meta_id and aws_id:
                        numbers[str(meta_id)] = str(aws_id)
            token = page.get("nextToken")
            if not token:
                return numbers


class EumSender:
    """The outbox's sender for numbers behind End User Messaging Social."""

    def __init__(self, eum: EumClient) -> None:
        self.eum = eum

    async def send_message(
        self, phone_number_id: str, token: str, body: dict[str, Any]
    ) -> SendResult:
        """Send a Meta message body through EUM; raise a GraphError subclass on failure."""
        del token  # IAM credentials sign the call; the Meta token does not exist here
        try:
            message_id = await asyncio.to_thread(self._send, phone_number_id, body)
        except AuthFailed:
            raise
        except Exception as exc:
            raise graph_error_from_aws(exc) from exc
        if not message_id:
            raise Retryable("End User Messaging Social answered without a message id")
        return SendResult(wamid=message_id, wa_id=None)

    async def mark_read(self, phone_number_id: str, token: str, wamid: str) -> None:
        """Tell WhatsApp the business read a message."""
        body = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
        await self.send_message(phone_number_id, token, body)

    async def aclose(self) -> None:
        """Nothing to close (boto3 clients hold no open sockets worth closing)."""

    def _send(self, phone_number_id: str, body: dict[str, Any]) -> str:
        return self.eum.send(self.eum.origination_id(phone_number_id), body)
