"""Stored files reach a browser inline only when they are an image, audio or video that was
recognised from its bytes; everything else is a download of application/octet-stream — from
S3 (or CloudFront) as from the local store."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest

from cdmx.storage import new_key
from cdmx.storage.filetype import recorded_type, served_as, sniff
from cdmx.storage.s3 import S3Store
from tests.media_helpers import jpeg, pdf

HTML = b"<html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("mime_type", "served", "inline"),
    [
        ("image/jpeg", "image/jpeg", True),
        ("video/mp4", "video/mp4", True),
        ("audio/ogg", "audio/ogg", True),
        ("image/svg+xml", "application/octet-stream", False),
        ("text/html", "application/octet-stream", False),
        ("text/plain", "application/octet-stream", False),
        ("application/pdf", "application/octet-stream", False),
        (None, "application/octet-stream", False),
    ],
)
def test_only_sniffable_media_types_are_inline(
    mime_type: str | None, served: str, inline: bool
) -> None:
    assert served_as(mime_type) == (served, inline)


@pytest.mark.parametrize(
    ("data", "declared", "recorded"),
    [
        (jpeg(8, 8), "application/pdf", "image/jpeg"),  # the bytes win
        (SVG, "image/svg+xml", "text/plain"),  # what the bytes show: text, a download
        (b"\x00\x01binary", "image/svg+xml", "application/octet-stream"),  # not shown at all
        (b"\x00\x01binary", "video/mp4", "application/octet-stream"),
        (b"\x00\x01binary", "application/zip", "application/zip"),  # kept, served as download
        (b"\x00\x01binary", None, "application/octet-stream"),
    ],
)
def test_a_declared_media_type_is_kept_only_if_the_bytes_agree(
    data: bytes, declared: str | None, recorded: str
) -> None:
    assert recorded_type(sniff(data), declared) == recorded


def _query(url: str) -> dict[str, str]:
    return dict(httpx.URL(url).params)


@pytest.mark.parametrize("cloudfront", [None, "d1.cloudfront.net"])
def test_s3_links_fix_the_type_and_the_disposition(
    s3_endpoint: str, cloudfront: str | None
) -> None:
    store = S3Store(
        "bucket", region="us-east-1", endpoint_url=s3_endpoint, cloudfront_domain=cloudfront
    )
    photo = _query(store.url(new_key(".jpg"), content_type="image/jpeg"))
    assert photo["response-content-type"] == "image/jpeg"
    assert photo["response-content-disposition"] == "inline"
    for mime in ("text/html", "image/svg+xml", "application/pdf", None):
        link = _query(store.url(new_key(".bin"), content_type=mime, filename="x.html"))
        assert link["response-content-type"] == "application/octet-stream", mime
        assert link["response-content-disposition"].startswith("attachment"), mime


def test_an_html_file_stored_as_an_image_downloads_from_s3(s3_store: Any) -> None:
    store: S3Store = s3_store
    key = new_key(".jpg")
    store.put_stream(key, io.BytesIO(HTML), "image/jpeg")  # the object's own type lies
    served = httpx.get(store.url(key, content_type=recorded_type(sniff(HTML), "image/jpeg")))
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["content-disposition"].startswith("attachment")
    real = new_key(".pdf")
    store.put_stream(real, io.BytesIO(pdf()), "application/pdf")
    document = httpx.get(store.url(real, content_type="application/pdf", filename="Factura.pdf"))
    assert document.headers["content-type"] == "application/octet-stream"
    assert 'filename="Factura.pdf"' in document.headers["content-disposition"]
