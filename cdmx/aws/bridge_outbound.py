"""Amazon Connect → WhatsApp: what agents and flows say in the chat, sent to the customer.

Each streamed chat item arrives as an SNS notification (the item as JSON, with
``MessageVisibility`` only as a message attribute). The customer's own items are the
bridge's echo and are ignored, as is anything not visible to the customer. Messages go out
with ``SendWhatsAppMessage``; attachments are fetched with ``GetAttachment``, stored in S3
and sent as WhatsApp media (``PostWhatsAppMessageMedia``). Outside the 24-hour window
nothing free-form can go, so the agent is told in the chat. When the chat ends, the
goodbye is sent first and only then is the mapping closed.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cdmx.aws.connect import ChatExpired, ConnectGateway
from cdmx.aws.describe import preview
from cdmx.aws.errors import graph_error_from_aws
from cdmx.aws.eum import EumClient
from cdmx.aws.media import extension_for, whatsapp_media_type
from cdmx.aws.state import BridgeState, ContactRef
from cdmx.domain.identity import e164
from cdmx.domain.window import window_is_open
from cdmx.whatsapp.errors import GraphError, NeedsTemplate, Retryable

log = logging.getLogger(__name__)

EVENT_PREFIX = "application/vnd.amazonaws.connect.event."
CHAT_ENDED = EVENT_PREFIX + "chat.ended"
PARTICIPANT_LEFT = EVENT_PREFIX + "participant.left"
TRANSFER_SUCCEEDED = EVENT_PREFIX + "transfer.succeeded"
TEXT_TYPES = frozenset({"text/plain", "text/markdown"})
WINDOW_NOTICE = (
    "⚠️ Aviso automático de WhatsApp: han pasado más de 24 horas desde el último mensaje del "
    "cliente, así que WhatsApp solo acepta una plantilla aprobada. Este mensaje no se "
    "entregó. (Automatic notice: the 24-hour window is closed; only a template can be sent.)"
)


@dataclass(frozen=True)
class ChatItem:
    """One streamed Connect chat item, from the SNS message and its attributes."""

    id: str
    type: str  # MESSAGE | ATTACHMENT | EVENT
    content_type: str
    content: str
    role: str  # AGENT | CUSTOMER | SYSTEM | CUSTOM_BOT | SUPERVISOR | ""
    visibility: str  # AGENT | CUSTOMER | ALL | "" (absent)
    contact_id: str
    initial_contact_id: str
    attachments: tuple[dict[str, Any], ...]
    raw: dict[str, Any] = field(repr=False, hash=False, compare=False)


def parse_item(message: str, attributes: dict[str, str]) -> ChatItem:
    """Read a streamed item; raise ValueError when it is not one."""
    data = json.loads(message)
    if not isinstance(data, dict):
        raise ValueError("the chat item is not a JSON object")

    def pick(key: str) -> str:
        value = data.get(key, attributes.get(key))
        return value if isinstance(value, str) else ""

    attachments = data.get("Attachments")
    return ChatItem(
        id=pick("Id"),
        type=pick("Type"),
        content_type=pick("ContentType"),
        content=pick("Content"),
        role=pick("ParticipantRole"),
        visibility=attributes.get("MessageVisibility", ""),
        contact_id=pick("ContactId"),
        initial_contact_id=pick("InitialContactId"),
        attachments=tuple(a for a in attachments if isinstance(a, dict))
        if isinstance(attachments, list)
        else (),
        raw=data,
    )


class OutboundBridge:
    """Turns Connect chat items into WhatsApp messages."""

    def __init__(
        self,
        *,
        state: BridgeState,
        connect: ConnectGateway,
        eum: EumClient,
        s3: Any,
        media_bucket: str,
        goodbye_text: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state = state
        self.connect = connect
        self.eum = eum
        self.s3 = s3
        self.media_bucket = media_bucket
        self.goodbye_text = goodbye_text
        self.clock = clock

    def handle_sns_message(self, message: str, attributes: dict[str, str]) -> None:
        """One SNS notification from the Connect streaming topic."""
        try:
            item = parse_item(message, attributes)
        except ValueError as exc:
            log.warning("streaming message ignored: %s", exc)
            return
        if item.role == "CUSTOMER":
            return  # our own words, echoed back by Connect
        if item.type == "EVENT":
            self._event(item)
            return
        if item.visibility and item.visibility not in ("CUSTOMER", "ALL"):
            return  # whispers to the agent only
        if item.type not in ("MESSAGE", "ATTACHMENT") or not item.id:
            return
        ref = self.state.contact(item.contact_id, item.initial_contact_id)
        if ref is None:
            log.warning("no WhatsApp customer for contact %s; item ignored", item.contact_id)
            return
        self._once(item, ref, self._message if item.type == "MESSAGE" else self._attachments)

    def _event(self, item: ChatItem) -> None:
        ended = item.content_type == CHAT_ENDED or (
            item.content_type == PARTICIPANT_LEFT and item.role == "CUSTOMER"
        )
        if item.content_type == TRANSFER_SUCCEEDED:
            self.state.contact(item.contact_id, item.initial_contact_id)  # records the alias
            return
        if not ended or not item.id:
            return
        ref = self.state.contact(item.contact_id, item.initial_contact_id)
        if ref is None:
            return
        self._once(item, ref, self._end)

    def _once(
        self, item: ChatItem, ref: ContactRef, act: Callable[[ChatItem, ContactRef], str | None]
    ) -> None:
        pk = f"connect:{item.id}"
        if not self.state.claim(pk, contact_id=ref.contact_id, type=item.type):
            log.info("chat item %s already handled; redelivery ignored", item.id)
            return
        try:
            wamid = act(item, ref)
        except BaseException:
            self.state.release(pk)
            raise
        self.state.finish(pk, wamid=wamid)

    def _message(self, item: ChatItem, ref: ContactRef) -> str | None:
        if item.content_type not in TEXT_TYPES or not item.content.strip():
            return None  # interactive templates and JSON are for Connect's own widgets
        body = _text_body(ref, item.content)
        return self._send(ref, body, item, kind="text")

    def _attachments(self, item: ChatItem, ref: ContactRef) -> str | None:
        last: str | None = None
        approved = [a for a in item.attachments if a.get("Status") == "APPROVED"]
        if approved and not self._window_open(ref):
            self._notify_agent(ref, WINDOW_NOTICE)
            return None
        for attachment in approved:
            attachment_id = str(attachment["AttachmentId"])
            mime = str(attachment.get("ContentType") or "application/octet-stream")
            name = str(attachment.get("AttachmentName") or f"archivo{extension_for(mime)}")
            url = self.connect.attachment_url(ref.connection_token, attachment_id)
            data = self.connect.download(url)
            key = f"outbound/{ref.contact_id}/{attachment_id}/{name}"
            self.s3.put_object(Bucket=self.media_bucket, Key=key, Body=data, ContentType=mime)
            kind = whatsapp_media_type(mime)
            try:
                media_id = self.eum.upload_media(ref.origination_id, self.media_bucket, key)
            except Exception as exc:
                self._failed(ref, graph_error_from_aws(exc))
                continue
            media: dict[str, Any] = {"id": media_id}
            if kind == "document":
                media["filename"] = name
            body = {**_address(ref), "type": kind, kind: media}
            last = self._send(ref, body, item, kind=kind) or last
        return last

    def _end(self, item: ChatItem, ref: ContactRef) -> str | None:
        wamid = None
        if self.goodbye_text and self._window_open(ref):
            try:
                wamid = self._send(ref, _text_body(ref, self.goodbye_text), item, kind="text",
                                   tell_agent=False)  # fmt: skip
            except GraphError as error:
                if isinstance(error, Retryable):
                    raise
                log.warning("goodbye to %s not sent: %s", ref.customer_key, error)
        self.state.close_chat(ref)
        return wamid

    def _send(
        self, ref: ContactRef, body: dict[str, Any], item: ChatItem, *, kind: str,
        tell_agent: bool = True,
    ) -> str | None:  # fmt: skip
        """Send through EUM; a retryable failure raises (Lambda retries), others are told."""
        if not self._window_open(ref):
            if tell_agent:
                self._notify_agent(ref, WINDOW_NOTICE)
            return None
        try:
            wamid = self.eum.send(ref.origination_id, body)
        except Exception as exc:
            error = graph_error_from_aws(exc)
            if isinstance(error, Retryable) or not tell_agent:
                raise error from exc
            self._failed(ref, error)
            return None
        said = body.get("text", {}).get("body") or body.get(kind, {}).get("filename")
        self.state.record_outbound(
            wamid, type=kind, contact_id=ref.contact_id, customer_key=ref.customer_key,
            connect_item_id=item.id, preview=preview(said) if said else None,
        )  # fmt: skip
        return wamid

    def _failed(self, ref: ContactRef, error: GraphError) -> None:
        if isinstance(error, Retryable):
            raise error
        if isinstance(error, NeedsTemplate):
            self._notify_agent(ref, WINDOW_NOTICE)
            return
        self._notify_agent(
            ref, f"⚠️ Aviso automático: WhatsApp no aceptó el mensaje ({error.message})."
        )

    def _window_open(self, ref: ContactRef) -> bool:
        last = self.state.last_inbound_at(ref.customer_key)
        last_at = datetime.fromtimestamp(last, UTC) if last is not None else None
        return window_is_open(last_at, datetime.fromtimestamp(self.clock(), UTC))

    def _notify_agent(self, ref: ContactRef, text: str) -> None:
        # The bridge speaks in the chat only as the customer participant, so the notice is
        # marked as automatic; its echo comes back as a CUSTOMER item and is ignored.
        try:
            self.connect.send_text(ref.connection_token, text)
        except ChatExpired:
            log.info("could not tell the agent of contact %s: the chat has ended", ref.contact_id)


def _address(ref: ContactRef) -> dict[str, Any]:
    body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
    if ref.wa_id:
        body["to"] = e164(ref.wa_id)
    else:
        body["recipient"] = ref.user_id
    return body


def _text_body(ref: ContactRef, text: str) -> dict[str, Any]:
    return {**_address(ref), "type": "text", "text": {"preview_url": False, "body": text[:4096]}}
