"""End User Messaging Social's SNS message: one Meta webhook ``entry`` plus AWS context.

The ``whatsAppWebhookEntry`` member is a JSON *string* holding one Meta ``entry`` object. It
is wrapped, byte for byte, into the body Meta itself would have POSTed, so the same parser
and the same durable inbox serve both providers, and a redelivery yields the same bytes
(hence the same sha256: the inbox stores it once).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

_PREFIX = b'{"object":"whatsapp_business_account","entry":['
_SUFFIX = b"]}"


class EnvelopeError(ValueError):
    """The SNS message is not an End User Messaging Social WhatsApp event."""


@dataclass(frozen=True)
class EumEvent:
    meta_body: bytes  # the Meta-shaped webhook body, for parse_update / the inbox
    phone_numbers: dict[str, str]  # Meta phone_number_id → AWS phone-number-id ARN
    waba_ids: dict[str, str]  # Meta WABA id → AWS WABA ARN
    aws_account_id: str | None
    message_id: str | None
    raw: dict[str, Any] = field(repr=False, hash=False, compare=False)

    def origination_id(self, meta_phone_number_id: str) -> str | None:
        """The AWS id to send from for a Meta phone_number_id (``phone-number-id-…``)."""
        arn = self.phone_numbers.get(meta_phone_number_id)
        return origination_id_from_arn(arn) if arn else None


def origination_id_from_arn(arn: str) -> str:
    """``arn:…:phone-number-id/abc`` → ``phone-number-id-abc`` (both forms are accepted)."""
    resource = arn.rsplit(":", 1)[-1]
    return resource.replace("/", "-", 1) if resource.startswith("phone-number-id/") else arn


def parse_eum_message(message: str) -> EumEvent:
    """Read the SNS ``Message`` string EUM Social publishes; raise EnvelopeError if not one."""
    try:
        data = json.loads(message)
    except (ValueError, RecursionError):
        raise EnvelopeError("the SNS message is not JSON") from None
    if not isinstance(data, dict):
        raise EnvelopeError("the SNS message is not a JSON object")
    entry = data.get("whatsAppWebhookEntry")
    if isinstance(entry, dict):
        # Not what AWS documents, but cheap to accept: re-serialise deterministically.
        entry = json.dumps(entry, separators=(",", ":"), ensure_ascii=True)
    if not isinstance(entry, str):
        raise EnvelopeError("the SNS message has no whatsAppWebhookEntry")
    try:
        decoded = json.loads(entry)
    except (ValueError, RecursionError):
        raise EnvelopeError("whatsAppWebhookEntry is not JSON") from None
    if not isinstance(decoded, dict):
        raise EnvelopeError("whatsAppWebhookEntry is not a JSON object")
    context = data.get("context") if isinstance(data.get("context"), dict) else {}
    assert isinstance(context, dict)
    return EumEvent(
        meta_body=_PREFIX + entry.encode() + _SUFFIX,
        phone_numbers=_pairs(context.get("MetaPhoneNumberIds"), "metaPhoneNumberId"),
        waba_ids=_pairs(context.get("MetaWabaIds"), "wabaId"),
        aws_account_id=_str(data.get("aws_account_id")),
        message_id=_str(data.get("messageId")),
        raw=data,
    )


def _pairs(items: Any, id_key: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            meta_id, arn = _str(item.get(id_key)), _str(item.get("arn"))
            if meta_id and arn:
                result[meta_id] = arn
    return result


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
