"""Amazon S3 (or any S3 API): server-side encryption on every object, presigned links.

A link makes the file inline only for an image, audio or video type recognised from its
bytes, and a download of ``application/octet-stream`` otherwise (``served_as``).

With CLOUDFRONT_DOMAIN the presigned link's host is swapped for the distribution's: the
distribution must have the bucket's REST endpoint as origin and forward every query string
(the signature covers the bucket host, which CloudFront sends to the origin), so links stay
short-lived. See docs/media.md.
"""

from __future__ import annotations

from typing import Any, BinaryIO, cast
from urllib.parse import urlsplit, urlunsplit

from cdmx.storage.base import URL_TTL_SECONDS
from cdmx.storage.filetype import served_as


class S3Store:
    """A MediaStore in an S3 bucket."""

    def __init__(
        self,
        bucket: str,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        cloudfront_domain: str | None = None,
        client: Any = None,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.cloudfront_domain = (cloudfront_domain or "").removeprefix("https://").rstrip("/")
        self.client = client or boto3.client(
            "s3",
            region_name=region,
            endpoint_url=endpoint_url,
            config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"})
            if endpoint_url is None
            else Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def put_stream(self, key: str, stream: BinaryIO, content_type: str) -> None:
        # upload_fileobj reads in parts (multipart above 8 MB): the file is never in memory.
        self.client.upload_fileobj(
            stream, self.bucket, key,
            ExtraArgs={"ContentType": content_type, "ServerSideEncryption": "AES256"},
        )  # fmt: skip

    def open(self, key: str) -> BinaryIO:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(key) from exc
        return cast(BinaryIO, response["Body"])

    def url(
        self,
        key: str,
        *,
        expires_in: int = URL_TTL_SECONDS,
        content_type: str | None = None,
        filename: str | None = None,
        owner: int | None = None,
    ) -> str:
        # The response's type and disposition are fixed by the signed link, whatever the
        # object was stored with: inline only for a type recognised from the bytes.
        served, inline = served_as(content_type)
        params: dict[str, Any] = {
            "Bucket": self.bucket, "Key": key, "ResponseContentType": served,
            "ResponseContentDisposition": "inline" if inline
            else content_disposition(filename or key.rsplit("/", 1)[-1]),
        }  # fmt: skip
        url = str(
            self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
        )
        if not self.cloudfront_domain:
            return url
        parts = urlsplit(url)
        return urlunsplit(("https", self.cloudfront_domain, parts.path, parts.query, ""))

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


def content_disposition(filename: str) -> str:
    """``attachment`` with the name both as ASCII and RFC 5987 UTF-8."""
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
