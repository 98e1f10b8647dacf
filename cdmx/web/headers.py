"""Security headers on every response of the console and the API (``SecurityHeaders``).

The Content-Security-Policy lets a page load only this server's own scripts, styles and
connections: no inline script (the console's pages carry their data in
``<script type="application/json">`` blocks, which are data, not script, and set styles
only through the CSSOM, which ``style-src 'self'`` allows), no frame may embed a page, and
images and sound may also come from the media store's origin (S3 or CloudFront presigned
links) and from the browser's own ``blob:`` previews. A response that sets its own policy
(a stored file, sandboxed) keeps it. HSTS is sent only when the public base URL is https.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cdmx.settings import Settings

HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(media_origins: tuple[str, ...] = ()) -> str:
    """The console's policy; ``media_origins`` are where presigned media links point."""
    media = " ".join(("'self'", *media_origins))
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {media} data: blob:",  # data: for the empty favicon
            f"media-src {media} blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def media_origins(settings: Settings) -> tuple[str, ...]:
    """The origins presigned media links of this installation's S3 store point to."""
    if not settings.s3_bucket_media:
        return ()
    if settings.cloudfront_domain:
        domain = settings.cloudfront_domain.removeprefix("https://").rstrip("/")
        return (f"https://{domain}",)
    if settings.s3_endpoint_url:
        parts = urlsplit(settings.s3_endpoint_url)
        return (f"{parts.scheme}://{parts.netloc}",)
    bucket, region = settings.s3_bucket_media, settings.aws_region
    hosts = [f"https://{bucket}.s3.amazonaws.com"]
    if region:
        hosts.insert(0, f"https://{bucket}.s3.{region}.amazonaws.com")
    return tuple(hosts)


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    """The headers every response gets (unless it set the same header itself)."""
    headers = [
        ("content-security-policy", content_security_policy(media_origins(settings))),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
    ]
    if settings.base_url.startswith("https://"):
        headers.append(("strict-transport-security", HSTS))
    return [(name.encode(), value.encode()) for name, value in headers]


class SecurityHeaders:
    """Adds ``security_headers`` to every HTTP response passing through."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = security_headers(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    if name.decode() not in headers:
                        headers.raw.append((name, value))
            await send(message)

        await self.app(scope, receive, send_with_headers)
