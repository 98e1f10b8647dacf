"""Amazon SNS messages: parse the envelope, check where the certificate comes from, verify.

An SNS message proves only that *some* SNS topic sent it. The caller must also check that the
``TopicArn`` is one of its own (``allowed_topic``), or anybody with an AWS account could
subscribe our URL to their topic and send us correctly signed messages.

The signature covers a canonical string built from a fixed list of keys per message type,
each as ``Key\\nValue\\n`` in that order; SignatureVersion 1 signs its SHA1, 2 its SHA256
(RSA PKCS#1 v1.5). The certificate is fetched only over HTTPS from the SNS host of the
topic's own region, and cached by URL.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"

_SIGNED_KEYS = {
    NOTIFICATION: ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    SUBSCRIPTION_CONFIRMATION: (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
    UNSUBSCRIBE_CONFIRMATION: (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
}  # fmt: skip

# The DNS suffix of SNS endpoints per partition, picked by the region's prefix. China's
# regions live under amazonaws.com.cn; GovCloud and the commercial regions under
# amazonaws.com. Other partitions (ISO) are refused until someone needs them.
_CHINA_PREFIX = "cn-"
MAX_CERT_BYTES = 64 * 1024

CertFetcher = Callable[[str], Awaitable[bytes]]


class SnsError(ValueError):
    """The message is not a well-formed, authentic SNS message (the text says why)."""


@dataclass(frozen=True)
class SnsMessage:
    type: str
    message_id: str
    topic_arn: str
    message: str
    timestamp: str
    subject: str | None
    token: str | None
    subscribe_url: str | None
    signature_version: str
    signature: str
    signing_cert_url: str
    attributes: dict[str, str] = field(hash=False, compare=False)
    raw: dict[str, Any] = field(repr=False, hash=False, compare=False)

    @property
    def region(self) -> str:
        """The topic's region, from its ARN (``arn:aws:sns:REGION:ACCOUNT:NAME``)."""
        return topic_region(self.topic_arn)


def topic_region(topic_arn: str) -> str:
    """The region of an SNS topic ARN; raise SnsError when it is not one."""
    parts = topic_arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns" or not parts[3]:
        raise SnsError(f"TopicArn {topic_arn!r} is not an SNS topic ARN")
    return parts[3]


def parse_message(data: dict[str, Any]) -> SnsMessage:
    """Read an SNS envelope, as POSTed over HTTPS or as a Lambda record's ``Sns`` object.

    HTTPS deliveries spell ``SigningCertURL``/``SubscribeURL``; Lambda records spell
    ``SigningCertUrl``/``UnsubscribeUrl``. Both are accepted.
    """
    if not isinstance(data, dict):
        raise SnsError("the body is not a JSON object")
    kind = _text(data, "Type")
    if kind not in _SIGNED_KEYS:
        raise SnsError(f"Type {kind!r} is not an SNS message type")
    attributes: dict[str, str] = {}
    raw_attributes = data.get("MessageAttributes")
    if isinstance(raw_attributes, dict):
        for name, value in raw_attributes.items():
            if isinstance(value, dict) and isinstance(value.get("Value"), str):
                attributes[str(name)] = value["Value"]
    subject = data.get("Subject")
    return SnsMessage(
        type=kind,
        message_id=_text(data, "MessageId"),
        topic_arn=_text(data, "TopicArn"),
        message=_text(data, "Message"),
        timestamp=_text(data, "Timestamp"),
        subject=subject if isinstance(subject, str) else None,
        token=_optional(data, "Token"),
        subscribe_url=_optional(data, "SubscribeURL") or _optional(data, "SubscribeUrl"),
        signature_version=_optional(data, "SignatureVersion") or "",
        signature=_optional(data, "Signature") or "",
        signing_cert_url=_optional(data, "SigningCertURL")
        or _optional(data, "SigningCertUrl")
        or "",
        attributes=attributes,
        raw=data,
    )


def parse_body(body: bytes) -> SnsMessage:
    """Parse HTTPS-delivered bytes; raise SnsError on anything that is not an SNS message."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise SnsError("the body is not JSON") from None
    return parse_message(data)


def canonical_string(message: SnsMessage) -> bytes:
    """The exact bytes SNS signed for this message."""
    values = {
        "Message": message.message,
        "MessageId": message.message_id,
        "Subject": message.subject,
        "SubscribeURL": message.subscribe_url,
        "Timestamp": message.timestamp,
        "Token": message.token,
        "TopicArn": message.topic_arn,
        "Type": message.type,
    }
    parts = []
    for key in _SIGNED_KEYS[message.type]:
        value = values[key]
        if value is None:
            if key == "Subject":  # the only optional signed key
                continue
            raise SnsError(f"{key} is missing")
        parts.append(f"{key}\n{value}\n")
    return "".join(parts).encode()


def sns_host(region: str) -> str:
    """The SNS endpoint host of a region (China's under amazonaws.com.cn)."""
    suffix = "amazonaws.com.cn" if region.startswith(_CHINA_PREFIX) else "amazonaws.com"
    return f"sns.{region}.{suffix}"


def trusted_url(url: str, region: str) -> bool:
    """True when ``url`` is HTTPS on the SNS host of ``region``, with no port or userinfo."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and parts.hostname == sns_host(region)
        and parts.port is None
        and parts.username is None
        and "@" not in parts.netloc
    )


def allowed_topic(message: SnsMessage, allowed: tuple[str, ...]) -> bool:
    """True when the message comes from one of our topics."""
    return message.topic_arn in allowed


class SnsVerifier:
    """Verifies SNS signatures; certificates come from ``fetch`` and are cached by URL."""

    def __init__(self, fetch: CertFetcher) -> None:
        self._fetch = fetch
        self._keys: dict[str, Any] = {}

    async def verify(self, message: SnsMessage) -> None:
        """Return when the message is authentic; raise SnsError saying why it is not."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        algorithm: hashes.HashAlgorithm
        if message.signature_version == "1":
            algorithm = hashes.SHA1()  # noqa: S303 - SNS's SignatureVersion 1 is SHA1
        elif message.signature_version == "2":
            algorithm = hashes.SHA256()
        else:
            raise SnsError(f"SignatureVersion {message.signature_version!r} is not 1 or 2")
        region = message.region
        if not trusted_url(message.signing_cert_url, region):
            raise SnsError(
                f"SigningCertURL {message.signing_cert_url!r} is not on {sns_host(region)}"
            )
        if message.subscribe_url is not None and message.type != NOTIFICATION:
            if not trusted_url(message.subscribe_url, region):
                raise SnsError(f"SubscribeURL is not on {sns_host(region)}")
        try:
            signature = base64.b64decode(message.signature, validate=True)
        except (binascii.Error, ValueError):
            raise SnsError("Signature is not base64") from None
        key = await self._public_key(message.signing_cert_url)
        try:
            key.verify(signature, canonical_string(message), padding.PKCS1v15(), algorithm)
        except InvalidSignature:
            raise SnsError("the signature does not match the message") from None

    async def _public_key(self, url: str) -> Any:
        if url not in self._keys:
            from cryptography import x509
            from cryptography.hazmat.primitives.asymmetric import rsa

            pem = await self._fetch(url)
            if len(pem) > MAX_CERT_BYTES:
                raise SnsError("the signing certificate is implausibly large")
            try:
                certificate = x509.load_pem_x509_certificate(pem)
            except ValueError:
                raise SnsError("the signing certificate is not a PEM certificate") from None
            key = certificate.public_key()
            if not isinstance(key, rsa.RSAPublicKey):
                raise SnsError("the signing certificate does not hold an RSA key")
            self._keys[url] = key
        return self._keys[url]


def httpx_fetcher(client: Any) -> CertFetcher:
    """A certificate fetcher over an ``httpx.AsyncClient`` (tests give it a MockTransport)."""

    async def fetch(url: str) -> bytes:
        import httpx

        try:
            response = await client.get(url, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise SnsError(f"could not fetch the signing certificate ({exc})") from None
        if response.status_code != 200:
            raise SnsError(f"fetching the signing certificate answered {response.status_code}")
        return bytes(response.content)

    return fetch


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise SnsError(f"{key} is missing")
    return value


def _optional(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None
