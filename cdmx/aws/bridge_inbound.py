"""WhatsApp → Amazon Connect: each customer message into the customer's Connect chat.

For every message in an EUM Social event: claim its wamid (a redelivery stops here), find
the customer's open chat or start one (StartChatContact → StartContactStreaming →
CreateParticipantConnection, all in one go, well inside Connect's 5-minute limit), then say
it in the chat: text in ordered parts of at most 1,024 characters, files as attachments
(audio converted to WAV), everything Connect cannot show as words. A chat that has ended
(AccessDenied) is closed and a new contact is started, related to the old one. Status
events move the stored outbound messages forward, never back.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cdmx.aws.connect import ChatExpired, ConnectGateway, split_text
from cdmx.aws.describe import describe, media_of, preview, quoted_wamid, reply_context
from cdmx.aws.envelope import EnvelopeError, EumEvent, parse_eum_message
from cdmx.aws.eum import EumClient
from cdmx.aws.media import AudioConverter, base_type, for_connect
from cdmx.aws.state import BridgeState, Chat, Customer
from cdmx.domain.identity import contact_identity
from cdmx.whatsapp.payload import InboundMessage, StatusUpdate, parse_update

log = logging.getLogger(__name__)

STARTING_WAIT_SECONDS = 8.0  # how long to wait for a chat another invocation is starting


class BridgeBusy(Exception):
    """Another invocation is starting this customer's chat; retry shortly."""


@dataclass(frozen=True)
class Media:
    media_id: str
    mime_type: str
    filename: str | None
    kind: str


@dataclass(frozen=True)
class Steps:
    """What to put in the chat for one WhatsApp message, in order."""

    first_text: str  # becomes the initial message when a chat has to be started
    media: Media | None


class InboundBridge:
    """Turns EUM Social events into Connect chat messages."""

    def __init__(
        self,
        *,
        state: BridgeState,
        connect: ConnectGateway,
        eum: EumClient,
        s3: Any,
        media_bucket: str,
        convert_audio: AudioConverter,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.state = state
        self.connect = connect
        self.eum = eum
        self.s3 = s3
        self.media_bucket = media_bucket
        self.convert_audio = convert_audio
        self.sleep = sleep

    def handle_sns_message(self, message: str) -> None:
        """One SNS ``Message`` from the EUM topic."""
        try:
            event = parse_eum_message(message)
        except EnvelopeError as exc:
            log.warning("EUM topic message ignored: %s", exc)  # a retry cannot fix it
            return
        update = parse_update(event.meta_body)
        for problem in update.problems:
            log.warning("EUM event: %s", problem)
        for status in update.statuses:
            self.apply_status(status)
        for inbound in update.messages:
            self.deliver(inbound, event)

    def apply_status(self, status: StatusUpdate) -> None:
        """A sent/delivered/read/failed event for a message the bridge sent."""
        error = status.errors[0] if status.errors else None
        detail = f"#{error.code} {error.title}" if error else None
        moved = self.state.apply_status(
            status.wamid, status.status, status.timestamp.timestamp(), detail
        )
        outcome = "applied" if moved else "kept"
        log.info("status %s for %s: %s", status.status, status.wamid, outcome)

    def deliver(self, message: InboundMessage, event: EumEvent) -> None:
        """Put one customer message into Connect, exactly once per wamid."""
        origination = event.origination_id(message.phone_number_id) or self.eum.origination_id(
            message.phone_number_id
        )
        customer = Customer(
            origination_id=origination,
            meta_phone_number_id=message.phone_number_id,
            identity=contact_identity(wa_id=message.sender.wa_id, user_id=message.sender.user_id),
            wa_id=message.sender.wa_id,
            user_id=message.sender.user_id,
            name=message.sender.name,
        )
        pk = f"wamid:{message.wamid}"
        steps = self._steps(message)
        if not self.state.claim(
            pk, wamid=message.wamid, direction="inbound", type=message.type, status="received",
            customer_key=customer.key, created_at=int(message.timestamp.timestamp()),
            preview=preview(steps.first_text),
        ):  # fmt: skip
            log.info("message %s already handled; redelivery ignored", message.wamid)
            return
        try:
            chat = self._say(customer, steps)
        except BaseException:
            self.state.release(pk)
            raise
        self.state.finish(pk, contact_id=chat.contact_id)
        self.state.touch_inbound(customer, message.timestamp.timestamp())

    def _say(self, customer: Customer, steps: Steps) -> Chat:
        previous: str | None = None
        chat = self.state.chat(customer)
        if chat is not None:
            try:
                self._say_in(chat, steps, first_sent=False)
                return chat
            except ChatExpired:
                log.info("chat %s has ended; starting a new contact", chat.contact_id)
                self.state.close_chat_of(customer.key, chat.contact_id)
                previous = chat.contact_id
        chat, first_sent = self._start(customer, steps.first_text, previous)
        self._say_in(chat, steps, first_sent=first_sent)
        return chat

    def _say_in(self, chat: Chat, steps: Steps, *, first_sent: bool) -> None:
        if first_sent:  # the first 1,024 characters went as the chat's initial message
            for part in list(split_text(steps.first_text))[1:]:
                self.connect.send_text(chat.connection_token, part)
        else:
            self.connect.send_text(chat.connection_token, steps.first_text)
        self._rest(chat, steps)

    def _start(
        self, customer: Customer, first_text: str, previous: str | None
    ) -> tuple[Chat, bool]:
        """A new chat, and whether ``first_text`` went in as its initial message."""
        if not self.state.begin_chat(customer):
            return self._wait_for_chat(customer), False
        attributes = {
            "Channel": "WhatsApp",
            "customerId": customer.wa_id or customer.user_id or "",
            "customerName": customer.name,
            "systemNumber": customer.origination_id,
            "metaPhoneNumberId": customer.meta_phone_number_id,
            "previousContactId": previous or "",
        }
        try:
            started = self.connect.start_chat(
                display_name=customer.name or customer.wa_id or "WhatsApp",
                attributes={k: v for k, v in attributes.items() if v},
                initial_text=next(split_text(first_text), "…"),
                related_contact_id=previous,
            )
            token = self.connect.connect_participant(started.participant_token)
        except BaseException:
            self.state.abandon_chat(customer)
            raise
        chat = self.state.open_chat(
            customer,
            contact_id=started.contact_id,
            participant_token=started.participant_token,
            connection_token=token,
            previous_contact_id=previous,
        )
        return chat, True

    def _wait_for_chat(self, customer: Customer) -> Chat:
        # Two messages of a new customer arrived together and the other invocation is
        # starting the chat: wait for it rather than start a second one.
        waited = 0.0
        while waited < STARTING_WAIT_SECONDS:
            self.sleep(0.5)
            waited += 0.5
            chat = self.state.chat(customer)
            if chat is not None:
                return chat
        raise BridgeBusy(f"a chat for {customer.key} is still being started")

    def _rest(self, chat: Chat, steps: Steps) -> None:
        if steps.media is not None:
            note = self._attach(chat, steps.media)
            if note:
                self.connect.send_text(chat.connection_token, note)

    def _attach(self, chat: Chat, media: Media) -> str | None:
        """Upload the file to the chat; returns a note for the agent when it cannot."""
        prefix = f"inbound/{_safe(chat.customer.origination_id)}/{_safe(media.media_id)}/"
        info = self.eum.download_media(
            media.media_id, chat.customer.origination_id, self.media_bucket, prefix
        )
        key = self._stored_key(prefix)
        if key is None:
            return f"📎 El archivo ({info.mime_type}) no llegó al almacenamiento."
        data = self.s3.get_object(Bucket=self.media_bucket, Key=key)["Body"].read()
        attachment = for_connect(
            kind=media.kind, mime_type=info.mime_type or media.mime_type, data=data,
            filename=media.filename, stem=f"whatsapp-{media.kind}-{media.media_id}",
            convert_audio=self.convert_audio,
        )  # fmt: skip
        if attachment is None:
            kind = base_type(info.mime_type or media.mime_type)
            if media.kind == "audio":
                return (
                    "🎤 Nota de voz recibida, pero no se pudo convertir a un formato que "
                    f"Connect muestre ({kind}). Quedó guardada como s3://{self.media_bucket}/{key}"
                )
            return (
                f"📎 El cliente envió un archivo que Connect no puede mostrar ({kind}). "
                f"Quedó guardado como s3://{self.media_bucket}/{key}"
            )
        self.connect.upload_attachment(
            chat.connection_token, name=attachment.name,
            content_type=attachment.content_type, data=attachment.data,
        )  # fmt: skip
        return None

    def _stored_key(self, prefix: str) -> str | None:
        # Where EUM puts the file under the key it is given is not documented precisely
        # (the sample expects "<key><mediaId>.<ext>"), so look for it under the prefix.
        listing = self.s3.list_objects_v2(Bucket=self.media_bucket, Prefix=prefix, MaxKeys=5)
        contents = listing.get("Contents") or []
        return str(contents[0]["Key"]) if contents else None

    def _steps(self, message: InboundMessage) -> Steps:
        media = media_of(message)
        text = describe(message)
        quoted = quoted_wamid(message)
        if quoted and message.type != "reaction":
            stored = self.state.message(quoted)
            text = f"{reply_context(stored.get('preview') if stored else None)}\n{text}"
        if message.type == "reaction":
            target = _dict(message.raw.get("reaction")).get("message_id")
            stored = self.state.message(str(target)) if target else None
            if stored and stored.get("preview"):
                text = f"{text}: «{stored['preview']}»"
        if media is None:
            return Steps(first_text=text or message.summary or "(mensaje vacío)", media=None)
        return Steps(
            first_text=message.summary or "📎 Archivo",
            media=Media(
                media_id=str(media["id"]),
                mime_type=str(media.get("mime_type") or "application/octet-stream"),
                filename=media.get("filename") if isinstance(media.get("filename"), str) else None,
                kind=message.type,
            ),
        )


def _safe(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", value)[:120]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
