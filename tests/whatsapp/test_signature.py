"""``X-Hub-Signature-256``: sign and verify over the exact raw bytes."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from cdmx.whatsapp.signature import sign, verify

SECRET = "app-secret-0123456789abcdef"
# Meta sends non-ASCII escaped as \uXXXX; the signature covers exactly those bytes.
BODY = json.dumps({"entry": [{"text": "¡Hola, Coyoacán! 🚚"}]}).encode()


def test_sign_is_sha256_prefix_and_lowercase_hex_hmac_of_the_body() -> None:
    digest = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, SECRET) == f"sha256={digest}"
    assert digest == digest.lower()


def test_valid_signature_verifies() -> None:
    assert verify(BODY, sign(BODY, SECRET), SECRET) is True


def test_signature_from_another_secret_is_rejected() -> None:
    assert verify(BODY, sign(BODY, "another-app-secret"), SECRET) is False


@pytest.mark.parametrize(
    "tampered",
    [
        BODY + b" ",
        BODY.replace(b"Hola", b"Hol4"),
        # Same JSON value, different bytes: re-serialised with raw UTF-8 instead of \u escapes.
        json.dumps(json.loads(BODY), ensure_ascii=False).encode(),
        b"",
    ],
    ids=["trailing-space", "one-char", "reserialised-utf8", "empty"],
)
def test_tampered_or_reserialised_body_is_rejected(tampered: bytes) -> None:
    assert tampered != BODY
    assert verify(tampered, sign(BODY, SECRET), SECRET) is False


@pytest.mark.parametrize("header", [None, ""], ids=["missing", "empty"])
def test_missing_header_is_rejected(header: str | None) -> None:
    assert verify(BODY, header, SECRET) is False


def test_header_without_sha256_prefix_is_rejected() -> None:
    bare_digest = sign(BODY, SECRET).removeprefix("sha256=")
    assert verify(BODY, bare_digest, SECRET) is False


@pytest.mark.parametrize("prefix", ["sha1=", "SHA256=", "sha256:"])
def test_header_with_another_prefix_is_rejected(prefix: str) -> None:
    digest = sign(BODY, SECRET).removeprefix("sha256=")
    assert verify(BODY, prefix + digest, SECRET) is False


def test_uppercase_hex_digest_is_rejected() -> None:
    assert verify(BODY, "sha256=" + sign(BODY, SECRET)[7:].upper(), SECRET) is False


@pytest.mark.parametrize(
    "header",
    ["sha256=ñ" + "0" * 63, "sha256=🚚", "sha256=\ud800", "sha256=" + "é" * 64],
    ids=["latin", "emoji", "lone-surrogate", "all-non-ascii"],
)
def test_non_ascii_header_returns_false_without_raising(header: str) -> None:
    assert verify(BODY, header, SECRET) is False


def test_empty_app_secret_refuses_even_a_signature_made_with_it() -> None:
    assert verify(BODY, sign(BODY, ""), "") is False
    assert verify(b"", sign(b"", ""), "") is False
