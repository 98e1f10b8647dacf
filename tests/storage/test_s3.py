from __future__ import annotations

import io
from typing import Any

import httpx
import pytest

from cdmx.storage import new_key
from cdmx.storage.s3 import S3Store
from tests.media_helpers import jpeg


def test_objects_are_encrypted_at_rest_and_roundtrip(s3_store: Any) -> None:
    store: S3Store = s3_store
    key = new_key(".jpg")
    data = jpeg(64, 64)
    store.put_stream(key, io.BytesIO(data), "image/jpeg")
    head = store.client.head_object(Bucket=store.bucket, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "image/jpeg"
    with store.open(key) as f:
        assert f.read() == data
    store.delete(key)
    with pytest.raises(FileNotFoundError):
        store.open(key)


def test_presigned_link_is_short_lived_and_needed(s3_store: Any) -> None:
    store: S3Store = s3_store
    key = new_key(".pdf")
    store.put_stream(key, io.BytesIO(b"%PDF-1.4 x"), "application/pdf")
    url = store.url(key, expires_in=1, filename="Factura marzo.pdf")
    response = httpx.get(url)
    assert response.status_code == 200 and response.content == b"%PDF-1.4 x"
    assert "attachment" in response.headers.get("content-disposition", "")
    assert httpx.get(url.split("?")[0]).status_code == 403  # unsigned: refused
    # moto checks the signature but not the expiry; the link says how long it lives.
    assert "X-Amz-Expires=1&" in url


def test_cloudfront_domain_replaces_the_host_and_keeps_the_signature(s3_endpoint: str) -> None:
    store = S3Store(
        "bucket",
        region="us-east-1",
        endpoint_url=s3_endpoint,
        cloudfront_domain="d1.cloudfront.net",
    )
    url = store.url("2026/05/" + "a" * 32 + ".jpg")
    assert url.startswith("https://d1.cloudfront.net/")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=" in url
