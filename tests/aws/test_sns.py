"""SNS signatures really verified: a real RSA key signs, the verifier checks (v1 and v2)."""

from __future__ import annotations

from typing import Any

import pytest

from cdmx.aws.sns import (
    SnsError,
    SnsVerifier,
    canonical_string,
    parse_message,
    sns_host,
    topic_region,
    trusted_url,
)
from tests.aws.conftest import CERT_URL, EUM_TOPIC, REGION, Signer


class Fetcher:
    def __init__(self, pem: bytes) -> None:
        self.pem = pem
        self.urls: list[str] = []

    async def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self.pem


@pytest.mark.parametrize("version", ["1", "2"])
async def test_signed_notification_verifies(signer: Signer, version: str) -> None:
    fetch = Fetcher(signer.pem)
    message = parse_message(signer.notification('{"hola": 1}', version=version))
    await SnsVerifier(fetch).verify(message)
    assert fetch.urls == [CERT_URL]


@pytest.mark.parametrize("version", ["1", "2"])
async def test_tampered_message_is_refused(signer: Signer, version: str) -> None:
    data = signer.notification('{"hola": 1}', version=version)
    data["Message"] = '{"hola": 2}'
    with pytest.raises(SnsError, match="does not match"):
        await SnsVerifier(Fetcher(signer.pem)).verify(parse_message(data))


async def test_signature_of_one_version_fails_as_the_other(signer: Signer) -> None:
    data = signer.notification("x", version="1")
    data["SignatureVersion"] = "2"
    with pytest.raises(SnsError):
        await SnsVerifier(Fetcher(signer.pem)).verify(parse_message(data))


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem",
        "http://sns.us-east-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com/cert.pem",  # another region than the topic's
        "https://evil.example/sns.us-east-1.amazonaws.com/cert.pem",
        "https://sns.us-east-1.amazonaws.com:8443/cert.pem",
        "https://user@sns.us-east-1.amazonaws.com/cert.pem",
        "https://s3.amazonaws.com/cert.pem",
    ],
)
async def test_certificate_from_another_host_is_refused_before_fetching(
    signer: Signer, url: str
) -> None:
    fetch = Fetcher(signer.pem)
    data = signer.sign({**signer.notification("x"), "SigningCertURL": url})
    with pytest.raises(SnsError, match="SigningCertURL"):
        await SnsVerifier(fetch).verify(parse_message(data))
    assert fetch.urls == []


async def test_certificate_is_fetched_once_and_cached(signer: Signer) -> None:
    fetch = Fetcher(signer.pem)
    verifier = SnsVerifier(fetch)
    for n in range(3):
        await verifier.verify(parse_message(signer.notification(f"m{n}", message_id=f"id-{n}")))
    assert fetch.urls == [CERT_URL]


async def test_subscription_confirmation_signs_token_and_subscribe_url(signer: Signer) -> None:
    data = signer.sign(
        {
            "Type": "SubscriptionConfirmation", "MessageId": "m1", "TopicArn": EUM_TOPIC,
            "Token": "tok", "Message": "You have chosen to subscribe…",
            "SubscribeURL": f"https://sns.{REGION}.amazonaws.com/?Action=ConfirmSubscription&Token=tok",
            "Timestamp": "2025-06-01T12:00:00.000Z",
        }
    )  # fmt: skip
    message = parse_message(data)
    assert b"SubscribeURL\n" in canonical_string(message) and b"Token\ntok\n" in canonical_string(
        message
    )
    await SnsVerifier(Fetcher(signer.pem)).verify(message)
    data["Token"] = "other"
    with pytest.raises(SnsError):
        await SnsVerifier(Fetcher(signer.pem)).verify(parse_message(data))


async def test_subscribe_url_off_the_sns_host_is_refused(signer: Signer) -> None:
    data = signer.sign(
        {
            "Type": "SubscriptionConfirmation", "MessageId": "m1", "TopicArn": EUM_TOPIC,
            "Token": "tok", "Message": "m", "SubscribeURL": "https://evil.example/confirm",
            "Timestamp": "2025-06-01T12:00:00.000Z",
        }
    )  # fmt: skip
    with pytest.raises(SnsError, match="SubscribeURL"):
        await SnsVerifier(Fetcher(signer.pem)).verify(parse_message(data))


def test_canonical_string_leaves_out_an_absent_subject(signer: Signer) -> None:
    with_subject = parse_message({**signer.notification("x"), "Subject": "Hola"})
    without = parse_message({**signer.notification("x"), "Subject": None})
    assert b"Subject\nHola\n" in canonical_string(with_subject)
    assert b"Subject" not in canonical_string(without)
    assert canonical_string(without).startswith(b"Message\nx\nMessageId\n")


def test_lambda_record_spelling_is_read(signer: Signer) -> None:
    data: dict[str, Any] = signer.notification("x")
    data["SigningCertUrl"] = data.pop("SigningCertURL")
    data["MessageAttributes"] = {"ContactId": {"Type": "String", "Value": "c-1"}}
    message = parse_message(data)
    assert message.signing_cert_url == CERT_URL
    assert message.attributes == {"ContactId": "c-1"}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"Type": "Notification"}, "MessageId"),
        ({"Type": "Hello"}, "Type"),
        ([], "object"),
    ],
)
def test_malformed_envelopes_are_refused(data: Any, reason: str) -> None:
    with pytest.raises(SnsError, match=reason):
        parse_message(data)


async def test_unknown_signature_version_is_refused(signer: Signer) -> None:
    data = {**signer.notification("x"), "SignatureVersion": "3"}
    with pytest.raises(SnsError, match="SignatureVersion"):
        await SnsVerifier(Fetcher(signer.pem)).verify(parse_message(data))


async def test_a_certificate_that_is_not_pem_is_refused(signer: Signer) -> None:
    with pytest.raises(SnsError, match="PEM"):
        await SnsVerifier(Fetcher(b"not a certificate")).verify(
            parse_message(signer.notification("x"))
        )


def test_sns_hosts_per_partition() -> None:
    assert sns_host("us-east-1") == "sns.us-east-1.amazonaws.com"
    assert sns_host("us-gov-west-1") == "sns.us-gov-west-1.amazonaws.com"
    assert sns_host("cn-north-1") == "sns.cn-north-1.amazonaws.com.cn"
    assert trusted_url("https://sns.cn-north-1.amazonaws.com.cn/c.pem", "cn-north-1")
    assert not trusted_url("https://sns.cn-north-1.amazonaws.com/c.pem", "cn-north-1")


def test_topic_region_needs_an_sns_arn() -> None:
    assert topic_region(EUM_TOPIC) == REGION
    with pytest.raises(SnsError):
        topic_region("arn:aws:sqs:us-east-1:1:q")
